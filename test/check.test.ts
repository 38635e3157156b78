import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROBES, exitCodeFor, formatReport, reportPassed, runCheck, type CheckReport, type ProbeResult } from "../src/check/index.js";
import { startIssuer, type LocalIssuer } from "../src/issuer/index.js";
import { type Faults, SCOPES, startReferenceServer } from "./fixtures/reference-server.js";

let issuer: LocalIssuer;

beforeAll(async () => {
  issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES });
});
afterAll(async () => {
  await issuer?.close();
});

type Options = Omit<Parameters<typeof runCheck>[0], "url">;

async function checkServer(faults: Partial<Faults> = {}, o: Options = { issuer: undefined }): Promise<CheckReport> {
  const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId, faults });
  try {
    return await runCheck({ timeoutMs: 3000, ...("issuer" in o ? o : { issuer }), ...o, url: server.url });
  } finally {
    await server.close();
  }
}

const withIssuer = (): Options => ({ issuer });

function probe(report: CheckReport, id: string): ProbeResult {
  const r = report.results.find((x) => x.id === id);
  if (!r) throw new Error(`no probe ${id}`);
  return r;
}
const failing = (report: CheckReport) => report.results.filter((r) => r.status === "fail").map((r) => r.id);
const notPassing = (report: CheckReport) => report.results.filter((r) => r.status !== "pass").map((r) => `${r.id}: ${r.status}: ${r.reason}`);

describe("runCheck against the correct reference server", () => {
  it("passes every probe with an in-process issuer", async () => {
    // Its speed is measured in bench/selfcheck.mjs, not here.
    const report = await checkServer({}, withIssuer());
    expect(notPassing(report)).toEqual([]);
    expect(report.results.map((r) => r.id)).toEqual(PROBES.map((p) => p.id));
    expect(exitCodeFor(report)).toBe(0);
    expect(reportPassed(report)).toBe(true);
  });

  it("passes every probe with the issuer given by URL (its /_dev endpoints)", async () => {
    const report = await checkServer({}, { issuer: issuer.url });
    expect(notPassing(report)).toEqual([]);
    expect(report.issuer).toBe(issuer.url);
  });

  it("never calls a tool marked destructive", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      const report = await runCheck({ url: server.url, issuer });
      expect(probe(report, "scope.insufficient").status).toBe("pass");
      expect(server.destructiveCalls).toBe(0);
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

  it("without an issuer or token: the any-server probes pass, the rest skip with a reason", async () => {
    const report = await checkServer({}, { issuer: undefined });
    expect(failing(report)).toEqual([]);
    for (const id of ["prm.path", "prm.root", "prm.fields", "prm.resource", "prm.cors", "challenge.no-token", "challenge.invalid-token", "challenge.query-token", "cors.mcp", "as.metadata", "as.pkce", "as.registration"]) {
      expect(probe(report, id).status, id).toBe("pass");
    }
    expect(probe(report, "mcp.authorized")).toMatchObject({ status: "skip", reason: expect.stringContaining("--token") });
    expect(probe(report, "token.expired")).toMatchObject({ status: "skip", reason: expect.stringContaining("--issuer") });
    expect(probe(report, "flow.step-up").status).toBe("skip");
    expect(exitCodeFor(report)).toBe(0);
  });

  it("with only a token: the authorized-request probes run with it", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      const token = await issuer.mint({ audience: [server.url], scopes: SCOPES });
      const report = await runCheck({ url: server.url, token });
      expect(probe(report, "mcp.authorized").status).toBe("pass");
      expect(probe(report, "mcp.fresh-connection").status).toBe("pass");
      expect(probe(report, "challenge.query-token").reason).toContain("valid token");
      expect(failing(report)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("each planted fault is caught by the right probe", () => {
  const cases: [keyof Faults, string[], string][] = [
    ["relativeResourceMetadata", ["challenge.no-token", "challenge.invalid-token"], "not an absolute URL"],
    ["prmRootOnly", ["prm.path"], "HTTP 404"],
    ["resourceTrailingSlash", ["prm.resource", "flow.discovery"], "/mcp/"],
    ["serverErrorOnBadToken", ["challenge.invalid-token", "token.expired", "token.wrong-audience", "token.alg-none"], "HTTP 500"],
    ["acceptAnyAudience", ["token.wrong-audience", "token.sibling-audience"], "was accepted"],
    ["missingScopeAs401", ["scope.insufficient"], "got 401, not 403"],
    ["reuseMcpServer", ["mcp.fresh-connection"], "Already connected"],
    ["noCorsExpose", ["cors.mcp"], "WWW-Authenticate"],
    ["staleKeySet", ["token.rotated-key"], "does not refetch its key set"],
    ["noExpRequired", ["token.no-exp"], "was accepted"],
    ["caseSensitiveScheme", ["token.lowercase-bearer"], "got HTTP 401"],
    ["queryToken", ["challenge.query-token"], "was accepted"],
    ["skipSignature", ["token.tampered-signature", "token.alg-none", "token.hs256-public-key", "token.unknown-key"], "was accepted"],
  ];
  // The probes a fault must not trip: it is caught where it is, not everywhere.
  const unaffected: Partial<Record<keyof Faults, string[]>> = {
    relativeResourceMetadata: ["prm.path", "token.expired", "flow.step-up"],
    prmRootOnly: ["prm.root", "prm.resource", "flow.step-up"],
    resourceTrailingSlash: ["prm.path", "token.valid", "scope.granted"],
    acceptAnyAudience: ["token.wrong-issuer", "flow.step-up"],
    missingScopeAs401: ["challenge.no-token", "flow.tools-call"],
    noCorsExpose: ["prm.cors", "flow.step-up"],
    staleKeySet: ["token.valid", "token.unknown-key", "token.expired"],
    noExpRequired: ["token.expired"],
    caseSensitiveScheme: ["token.valid", "flow.step-up"],
    skipSignature: ["token.expired", "token.wrong-issuer", "token.wrong-audience", "token.malformed"],
  };

  it.each(cases)("%s", async (fault, ids, reason) => {
    const report = await checkServer({ [fault]: true }, withIssuer());
    for (const id of ids) expect(probe(report, id).status, `${id} should fail`).toBe("fail");
    expect(probe(report, ids[0]!).reason).toContain(reason);
    for (const id of unaffected[fault] ?? []) expect(probe(report, id).status, `${id} should pass`).toBe("pass");
    expect(exitCodeFor(report)).toBe(1);
    expect(formatReport(report)).toMatch(new RegExp(`✖ .*\\n.*\\[${ids[0]!.replace(".", "\\.")}\\]`));
  });
});

describe("robustness", () => {
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

  it("a server that never answers: every request times out, the run ends", async () => {
    const { server, url } = await listen(() => {
      /* never answers */
    });
    try {
      const started = performance.now();
      const report = await runCheck({ url, token: "t", timeoutMs: 200 });
      // Not a speed target: a generous bound that only a hung probe would exceed.
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(probe(report, "prm.path")).toMatchObject({ status: "fail", reason: expect.stringContaining("no answer within 200 ms") });
      expect(probe(report, "challenge.no-token").status).toBe("fail");
      expect(probe(report, "mcp.authorized").status).toBe("fail");
      expect(exitCodeFor(report)).toBe(1);
    } finally {
      await stop(server);
    }
  });

  it("nothing listening: probes fail with the connection error, no throw", async () => {
    const { server, url } = await listen(() => {});
    await stop(server);
    const report = await runCheck({ url, issuer, timeoutMs: 1000 });
    expect(probe(report, "prm.root").reason).toContain("ECONNREFUSED");
    expect(probe(report, "token.valid").status).toBe("fail");
    const others = report.results.filter((r) => r.id !== "issuer.reachable");
    expect(others.every((r) => r.status === "fail" || r.status === "skip")).toBe(true);
  });

  it("an unreachable issuer URL fails issuer.reachable once and skips the issuer probes", async () => {
    const { server, url: deadIssuer } = await listen(() => {});
    await stop(server);
    const report = await checkServer({}, { issuer: deadIssuer.replace("/mcp", "") });
    expect(probe(report, "issuer.reachable")).toMatchObject({ status: "fail", reason: expect.stringContaining("ECONNREFUSED") });
    expect(probe(report, "token.expired").status).toBe("skip");
    expect(probe(report, "flow.discovery").status).toBe("skip");
    expect(probe(report, "prm.path").status).toBe("pass");
  });

  it("a server that answers 200 to everything is reported unprotected, not crashed on", async () => {
    const { server, url } = await listen((req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
    try {
      const report = await runCheck({ url, issuer, timeoutMs: 1000 });
      expect(probe(report, "challenge.no-token")).toMatchObject({ status: "fail", reason: expect.stringContaining("not protected") });
      expect(probe(report, "prm.fields").status).toBe("fail");
      expect(exitCodeFor(report)).toBe(1);
    } finally {
      await stop(server);
    }
  });

  it("refuses a URL that is not http(s)", async () => {
    await expect(runCheck({ url: "ftp://example.com/mcp" })).rejects.toThrow(/not an http\(s\) URL/);
  });
});

describe("formatReport", () => {
  const result = (id: string, status: ProbeResult["status"], reason = "why"): ProbeResult => ({ id, title: `Title ${id}`, status, reason, rule: "RFC 0000 §1", durationMs: 1 });
  const report = (results: ProbeResult[]): CheckReport => ({
    url: "http://127.0.0.1:3000/mcp",
    results,
    summary: {
      passed: results.filter((r) => r.status === "pass").length,
      failed: results.filter((r) => r.status === "fail").length,
      warnings: results.filter((r) => r.status === "warn").length,
      skipped: results.filter((r) => r.status === "skip").length,
    },
    durationMs: 1234,
  });

  it("prints a checklist with symbols, the rule of failures and warnings, and a summary", () => {
    const text = formatReport(report([result("a", "pass", "fine"), result("b", "fail", "broken"), result("c", "warn", "meh"), result("d", "skip", "no issuer")]));
    expect(text).toContain("✔ Title a: fine");
    expect(text).toContain("✖ Title b: broken\n    RFC 0000 §1 [b]");
    expect(text).toContain("▲ Title c: meh\n    RFC 0000 §1 [c]");
    expect(text).toContain("- Title d: no issuer");
    expect(text).toContain("1 passed, 1 failed, 1 warnings, 1 skipped");
    expect(text).not.toContain("\x1b[");
    expect(exitCodeFor(report([result("a", "pass"), result("c", "warn"), result("d", "skip")]))).toBe(0);
  });

  it("folds a run of skips with the same reason, and colors only when asked", () => {
    const skips = ["t1", "t2", "t3"].map((id) => result(id, "skip", "needs a local issuer (--issuer)"));
    const text = formatReport(report([result("a", "pass"), ...skips]), { color: true });
    expect(text).toContain("3 probes skipped (t1 … t3): needs a local issuer (--issuer)");
    expect(text).toContain("\x1b[32m✔\x1b[0m");
  });
});
