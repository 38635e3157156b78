import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CheckReport,
  exitCodeFor,
  formatReport,
  PROBES,
  type ProbeResult,
  REVISIONS,
  reportPassed,
  runCheck,
} from "../src/check/index.js";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";
import { SCOPES, startReferenceServer } from "./fixtures/reference-server.js";
import { ANY_SERVER } from "./helpers/probes.js";

let issuer: LocalIssuer;

beforeAll(async () => {
  issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES });
});
afterAll(async () => {
  await issuer?.close();
});

function probe(report: CheckReport, id: string): ProbeResult {
  const r = report.results.find((x) => x.id === id);
  if (!r) throw new Error(`no probe ${id}`);
  return r;
}
const failing = (report: CheckReport) => report.results.filter((r) => r.status === "fail").map((r) => r.id);
const notPassing = (report: CheckReport) =>
  report.results.filter((r) => r.status !== "pass").map((r) => `${r.id}: ${r.status}: ${r.reason}`);

describe("runCheck against the correct reference server", () => {
  it("passes every probe with an in-process issuer, each probe citing its rule and revision", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      // Its speed is measured in bench/selfcheck.mjs, not here.
      const report = await runCheck({ url: server.url, issuer, timeoutMs: 3000 });
      expect(notPassing(report)).toEqual([]);
      expect(report.results.map((r) => r.id)).toEqual(PROBES.map((p) => p.id));
      expect(report).toMatchObject({ ok: true, exitCode: 0, eras: { "2025": "accepted", "2026-07-28": "accepted" } });
      expect(report.headline).toBeUndefined();
      expect(reportPassed(report)).toBe(true);
      for (const r of report.results) {
        expect(r.rule.length, r.id).toBeGreaterThan(10);
        if (r.revision === null) expect(r.rule, r.id).toMatch(/not stated by any MCP revision/);
        else {
          expect(REVISIONS, r.id).toContain(r.revision);
          expect(r.rule, r.id).toContain(`MCP ${r.revision} `);
        }
      }
      // A rule only a newer revision states is that revision's.
      expect(probe(report, "prm.discovery").revision).toBe("2025-11-25");
      expect(probe(report, "as.issuer").revision).toBe("2026-07-28");
      expect(probe(report, "era.2026").revision).toBe("2026-07-28");
      expect(probe(report, "scope.insufficient.2026").revision).toBe("2026-07-28");
      expect(probe(report, "token.expired").revision).toBe("2025-06-18");
      expect(probe(report, "cors.mcp").revision).toBeNull();
    } finally {
      await server.close();
    }
  });

  it("passes every probe with the issuer given by URL (its /_dev endpoints)", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      const report = await runCheck({ url: server.url, issuer: issuer.url, timeoutMs: 3000 });
      expect(notPassing(report)).toEqual([]);
      expect(report.issuer).toBe(issuer.url);
    } finally {
      await server.close();
    }
  });

  it("passes every probe against an issuer with the plain OpenID Connect layout", async () => {
    const oidc = await startIssuer({ port: 0, quiet: true, scopes: SCOPES, layout: "oidc" });
    const server = await startReferenceServer({ issuerUrl: oidc.url, resourceId: oidc.resourceId, layout: "oidc" });
    try {
      const report = await runCheck({ url: server.url, issuer: oidc.url, timeoutMs: 3000 });
      expect(notPassing(report)).toEqual([]);
    } finally {
      await server.close();
      await oidc.close();
    }
  });

  it("never calls a tool marked destructive, and no tool ever runs for a token without its scope", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      const report = await runCheck({ url: server.url, issuer });
      expect(probe(report, "scope.insufficient").status).toBe("pass");
      expect(server.destructiveCalls).toBe(0);
      expect(server.unauthorizedCalls).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("passes every probe when the server answers with SSE streams", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId, sse: true });
    try {
      const report = await runCheck({ url: server.url, issuer });
      expect(notPassing(report)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("without an issuer or token: the any-server probes pass (forged tokens included), the rest are listed once with what would run them", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      const report = await runCheck({ url: server.url });
      expect(failing(report)).toEqual([]);
      expect(report.results.filter((r) => r.status === "pass").map((r) => r.id)).toEqual(ANY_SERVER);
      expect(probe(report, "token.alg-none").reason).toContain("claims from the metadata, kid from");
      expect(probe(report, "era.2026")).toMatchObject({
        status: "skip",
        reason: expect.stringContaining("--issuer <url> or --token <token>"),
      });
      expect(probe(report, "token.expired")).toMatchObject({ status: "skip", reason: expect.stringContaining("--issuer <url>") });
      expect(report.eras).toEqual({ "2025": "unknown", "2026-07-28": "unknown" });
      const text = formatReport(report, { width: Number.POSITIVE_INFINITY }); // one line per reason (wrapping: check-report.test.ts)
      expect(text).toMatch(
        /Not run \(\d+ probes\):\n {2}- needs --issuer <url> \(a local issuer that mints test tokens\): issuer\.reachable, token\.valid, /,
      );
      expect(text).toMatch(/\n {2}- needs --issuer <url> or --token <token> \(a valid access token\): era\.2025, era\.2026, /);
      // Each skipped probe is named once, not once per line.
      expect(text.match(/token\.expired/g)).toHaveLength(1);
      expect(exitCodeFor(report)).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("with only a token: the authorized probes run with it, in both eras", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      const token = await issuer.mint({ audience: [server.url], scopes: SCOPES });
      const report = await runCheck({ url: server.url, token });
      for (const id of ["era.2025", "era.2026", "mcp.fresh-connection", "token.lowercase-bearer"])
        expect(probe(report, id).status, id).toBe("pass");
      expect(probe(report, "challenge.query-token").reason).toContain("valid token");
      expect(probe(report, "token.tampered-signature").reason).toContain("claims and kid of the --token");
      expect(report.eras).toEqual({ "2025": "accepted", "2026-07-28": "accepted" });
      expect(failing(report)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("repeatable: ten runs in a row against one server process give identical results", () => {
  it("with the issuer, which check leaves as it found it (same current key; the standby key published once)", async () => {
    const fresh = await startIssuer({ port: 0, quiet: true, scopes: SCOPES });
    const server = await startReferenceServer({ issuerUrl: fresh.url, resourceId: fresh.resourceId });
    const jwks = async () => ((await (await fetch(fresh.jwksUri)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    try {
      const before = await jwks();
      const outcomes: string[][] = [];
      let afterFirst: string[] = [];
      for (let i = 0; i < 10; i++) {
        const report = await runCheck({ url: server.url, issuer: fresh.url, timeoutMs: 3000 });
        expect(notPassing(report), `run ${i + 1}`).toEqual([]);
        outcomes.push(
          report.results.map((r) => `${r.id} ${r.status} ${r.reason.replace(/skc_dcr_\w+/, "<client id>").replace(/\d+ s\b/, "<n> s")}`),
        );
        if (i === 0) afterFirst = await jwks();
      }
      for (const o of outcomes.slice(1)) expect(o).toEqual(outcomes[0]);
      // The current key is the one it started with; the standby key was added once and kept.
      expect(afterFirst).toEqual([...before, afterFirst[1]]);
      expect(await jwks()).toEqual(afterFirst);
    } finally {
      await server.close();
      await fresh.close();
    }
  }, 120_000);
});

describe("clear failures", () => {
  async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp` };
  }
  const stop = (server: Server) =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });

  it("nothing listening: one environment error (exit 3), not a failure per probe", async () => {
    const { server, url } = await listen(() => {});
    await stop(server);
    await expect(runCheck({ url, issuer, timeoutMs: 1000 })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/^nothing answers at http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\): is the server running/),
    });
  });

  it("a URL without a scheme: the suggestion, http for loopback and https otherwise", async () => {
    await expect(runCheck({ url: "localhost:3000/mcp" })).rejects.toMatchObject({
      exitCode: 2,
      message: '"localhost:3000/mcp" has no scheme: did you mean http://localhost:3000/mcp?',
    });
    await expect(runCheck({ url: "127.0.0.1:3000/mcp" })).rejects.toThrow("did you mean http://127.0.0.1:3000/mcp?");
    await expect(runCheck({ url: "mcp.example.com/mcp" })).rejects.toThrow("did you mean https://mcp.example.com/mcp?");
    await expect(runCheck({ url: "ftp://example.com/mcp" })).rejects.toThrow(/not an http\(s\) URL/);
  });

  it("--issuer that is not an authorization server the server names: one failure with both URLs; the issuer probes skip", async () => {
    const other = await startIssuer({ port: 0, quiet: true, scopes: SCOPES });
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      const report = await runCheck({ url: server.url, issuer: other.url, timeoutMs: 3000 });
      expect(failing(report)).toEqual(["issuer.reachable"]);
      const reason = probe(report, "issuer.reachable").reason;
      expect(reason).toContain(`--issuer ${other.url} is the authorization server ${other.authorizationServer}`);
      expect(reason).toContain(`but the server advertises ${issuer.authorizationServer} (authorization_servers)`);
      expect(probe(report, "token.rotated-key")).toMatchObject({ status: "skip", reason: expect.stringContaining("see issuer.reachable") });
      expect(probe(report, "flow.discovery").status).toBe("skip");
      // The forged tokens need no issuer: they still run.
      expect(probe(report, "token.alg-none").status).toBe("pass");
    } finally {
      await server.close();
      await other.close();
    }
  });

  it("an unreachable issuer URL fails issuer.reachable once and skips the issuer probes", async () => {
    const { server: dead, url: deadIssuer } = await listen(() => {});
    await stop(dead);
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      const report = await runCheck({ url: server.url, issuer: deadIssuer.replace("/mcp", ""), timeoutMs: 2000 });
      expect(failing(report)).toEqual(["issuer.reachable"]);
      expect(probe(report, "issuer.reachable").reason).toContain("ECONNREFUSED");
      expect(probe(report, "token.expired").status).toBe("skip");
      expect(probe(report, "flow.discovery").status).toBe("skip");
      expect(probe(report, "prm.path").status).toBe("pass");
    } finally {
      await server.close();
    }
  });

  it("an unprotected endpoint: the headline comes first", async () => {
    const { server, url } = await listen((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
    try {
      const report = await runCheck({ url, issuer, timeoutMs: 1000 });
      expect(report.headline).toBe("This endpoint is not protected: an MCP request without a token was answered HTTP 200.");
      expect(probe(report, "challenge.no-token")).toMatchObject({
        status: "fail",
        reason: expect.stringContaining("anyone can use this endpoint"),
      });
      expect(probe(report, "prm.discovery").status).toBe("fail");
      expect(report).toMatchObject({ ok: false, exitCode: 1 });
      expect(formatReport(report, { width: Number.POSITIVE_INFINITY }).split("\n").slice(0, 3)).toEqual([
        `Checking ${url} with the local issuer ${issuer.url}`,
        "",
        report.headline,
      ]);
    } finally {
      await stop(server);
    }
  });

  it("strings from the server are shown with control characters escaped, ANSI escapes included", async () => {
    const evil = "\x1b[2J\x1b[31mPWNED\x1b[0m\u202e\x07";
    const { server, url } = await listen((req, res) => {
      if (req.url?.startsWith("/.well-known/")) {
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify({ resource: `http://evil/${evil}`, authorization_servers: [`http://as/${evil}`] }));
        return;
      }
      // (Node and fetch refuse control characters in headers: the body is where they get through.)
      res
        .writeHead(401, {
          "WWW-Authenticate": `Bearer resource_metadata="${url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")}"`,
        })
        .end();
    });
    try {
      const report = await runCheck({ url, timeoutMs: 1000 });
      const text = formatReport(report);
      const json = JSON.stringify(report);
      expect(text).toContain("\\x1b[31mPWNED\\x1b[0m\\u202e\\x07");
      // Nothing but our own output: no ESC, BEL, C1 or bidi controls.
      expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
      expect(json).not.toMatch(/\\u001b|\\u0007|\u202e/);
    } finally {
      await stop(server);
    }
  });

  it("a server that never answers: one environment error (exit 3) saying what to do, once the discovery requests time out", async () => {
    const { server, url } = await listen(() => {
      /* never answers */
    });
    try {
      const started = performance.now();
      await expect(runCheck({ url, token: "t", timeoutMs: 200 })).rejects.toMatchObject({
        exitCode: 3,
        message: expect.stringMatching(
          /^the server at http:\/\/127\.0\.0\.1:\d+ accepted the connections but answered none of the discovery requests within 200 ms: .*raise --timeout$/,
        ),
      });
      // Not a speed target: a generous bound that only a hung probe would exceed.
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      await stop(server);
    }
  });
});

describe("formatReport", () => {
  const result = (id: string, status: ProbeResult["status"], reason = "why"): ProbeResult => ({
    id,
    title: `Title ${id}`,
    status,
    reason,
    rule: "RFC 0000 §1",
    revision: null,
    durationMs: 1,
  });
  const report = (results: ProbeResult[]): CheckReport => {
    const summary = {
      passed: results.filter((r) => r.status === "pass").length,
      failed: results.filter((r) => r.status === "fail").length,
      warnings: results.filter((r) => r.status === "warn").length,
      skipped: results.filter((r) => r.status === "skip").length,
    };
    return {
      ok: summary.failed === 0,
      exitCode: summary.failed ? 1 : 0,
      url: "http://127.0.0.1:3000/mcp",
      eras: { "2025": "accepted", "2026-07-28": "refused" },
      results,
      summary,
      durationMs: 1234,
    };
  };

  it("prints a checklist with symbols, the rule of failures and warnings, the eras, and a summary", () => {
    const text = formatReport(
      report([result("a", "pass", "fine"), result("b", "fail", "broken"), result("c", "warn", "meh"), result("d", "skip", "no issuer")]),
    );
    expect(text).toContain("✔ Title a: fine");
    expect(text).toContain("✖ Title b: broken\n    RFC 0000 §1 [b]");
    expect(text).toContain("▲ Title c: meh\n    RFC 0000 §1 [c]");
    expect(text).toContain("Protocol eras: 2025 accepted, 2026-07-28 refused");
    expect(text).toContain("Not run (1 probe):\n  - no issuer: d");
    expect(text).toContain("1 passed, 1 failed, 1 warning, 1 not run");
    expect(text).not.toContain("\x1b[");
    expect(exitCodeFor(report([result("a", "pass"), result("c", "warn"), result("d", "skip")]))).toBe(0);
  });

  it("lists skips once per reason, wherever they are, and colors only when asked", () => {
    const needs = "needs --issuer <url>";
    const text = formatReport(
      report([result("t1", "skip", needs), result("a", "pass"), result("t2", "skip", needs), result("t3", "skip", "other")]),
      { color: true },
    );
    expect(text).toContain(`- ${needs}: t1, t2`);
    expect(text).toContain("- other: t3");
    expect(text).toContain("\x1b[32m✔\x1b[0m");
  });
});

describe("runCheck against a server whose tools are slower than --timeout", () => {
  it("a scoped call answered 200 on an SSE stream whose result is late has passed authorization: scope.granted passes, flow.tools-call warns; nothing fails", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId, slowToolCallsMs: 2500 });
    try {
      const report = await runCheck({ url: server.url, issuer, timeoutMs: 1000 });
      expect(failing(report)).toEqual([]);
      for (const id of ["scope.granted", "scope.granted.2026"]) {
        expect(probe(report, id)).toMatchObject({ status: "pass" });
        expect(probe(report, id).reason).toMatch(/passed authorization.*did not arrive within 1000 ms.*--timeout/);
      }
      expect(probe(report, "flow.tools-call")).toMatchObject({ status: "warn" });
      expect(probe(report, "flow.tools-call").reason).toMatch(/passed authorization.*did not arrive within 1000 ms.*--timeout/);
    } finally {
      await server.close();
    }
  }, 60_000);
});
