/**
 * What check's report says before the checklist (issue 21 point 6): one
 * verdict per class of failure, eras that never contradict the probes, skips
 * with their reason; and `check --junit`, one test case per probe.
 */
import { readFile } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckReport, formatReport, PROBES, runCheck } from "../src/check/index.js";
import { wrapProse } from "../src/check/report.js";
import { verdictsFor } from "../src/check/verdicts.js";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";
import { type Faults, SCOPES, startReferenceServer } from "./fixtures/reference-server.js";
import { cleanEnv, cliBin, runCli, tempDir } from "./helpers/cli.js";

let issuer: LocalIssuer;
beforeAll(async () => {
  issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES });
});
afterAll(async () => {
  await issuer?.close();
});

const status = (report: CheckReport, id: string) => report.results.find((r) => r.id === id)!;

async function checkWith(faults: Partial<Faults>, eras?: "2025" | "2026-07-28"): Promise<CheckReport> {
  const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId, faults, ...(eras ? { eras } : {}) });
  try {
    return await runCheck({ url: server.url, issuer, timeoutMs: 3000 });
  } finally {
    await server.close();
  }
}

/** The sentences between "Checking ..." and the checklist (each wrapped to 80 columns, continued after two spaces). */
const opening = (report: CheckReport): string[] => {
  const lines = formatReport(report).split("\n");
  const start = lines.indexOf("") + 1;
  const end = lines.indexOf("", start);
  return unwrap(lines.slice(start, end));
};

const indentOf = (line: string) => /^ */.exec(line)![0].length;

/** Wrapped lines put back together: a line indented two columns more than the head of its sentence continues it. */
function unwrap(lines: string[]): string[] {
  const out: string[] = [];
  let head = 0;
  for (const line of lines) {
    const continues = out.length > 0 && line.trim() !== "" && !line.trim().startsWith("- ") && indentOf(line) === head + 2;
    if (continues) out[out.length - 1] += ` ${line.trim()}`;
    else {
      out.push(line);
      head = indentOf(line);
    }
  }
  return out;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Lines wider than 80 columns that are more than one word after their indent (a URL or a command alone may be). */
function overWide(text: string): string[] {
  return text
    .replace(ANSI, "")
    .split("\n")
    .filter((line) => [...line].length > 80 && /\S\s+\S/.test(line.trim().replace(/^[✔✖▲-] /, "")));
}

describe("the verdicts the report opens with", () => {
  it("a correct server: none, and the checklist starts right after the title", async () => {
    const report = await checkWith({});
    expect(report.verdicts).toEqual([]);
    expect(formatReport(report).split("\n")[2]).toMatch(/^✔ /);
  });

  it.each([
    [{ skipSignature: true }, /^Accepts unverified tokens: anyone can forge a token it takes \(.*token\.tampered-signature.*\)\.$/],
    [{ acceptAnyAudience: true }, /^Wrong audience accepted: .*\(token\.wrong-audience, token\.sibling-audience\)\.$/],
    [{ ignoreIssuer: true }, /^Accepts tokens from another issuer \(token\.wrong-issuer\)\.$/],
    [{ ignoreExp: true }, /^Accepts tokens outside their lifetime: .*\(token\.expired, token\.no-exp\)\.$/],
    [{ scopesNotEnforced: true }, /^No per-tool scopes: .*\(scope\.insufficient, scope\.insufficient\.2026\)\.$/],
  ] as [Partial<Faults>, RegExp][])("%o: one line naming the class and its probes, before the checklist", async (faults, says) => {
    const report = await checkWith(faults);
    expect(report.verdicts).toHaveLength(1);
    expect(report.verdicts![0]).toMatch(says);
    expect(opening(report)).toEqual(report.verdicts);
  });

  it("an unprotected endpoint: the headline first, then every other class that failed", async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    try {
      const report = await runCheck({ url, timeoutMs: 1000 });
      expect(report.verdicts![0]).toBe("This endpoint is not protected: an MCP request without a token was answered HTTP 200.");
      expect(report.verdicts![1]).toMatch(/^Accepts unverified tokens/);
      expect(report.verdicts![2]).toMatch(/^Clients cannot discover how to authorize: .*\(prm\.discovery, /);
      expect(report.verdicts!.join("\n")).not.toMatch(/challenge\.no-token/);
      expect(opening(report)).toEqual(report.verdicts);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("every probe that can fail falls in a class (none left as 'Other failures')", () => {
    const results = PROBES.map((p) => ({
      id: p.id,
      title: p.title,
      status: "fail" as const,
      reason: "x",
      rule: p.rule,
      revision: p.revision,
      durationMs: 0,
    }));
    const verdicts = verdictsFor(results);
    expect(verdicts.join("\n")).not.toMatch(/Other failures/);
    // Each failing probe is named exactly once.
    for (const p of PROBES)
      expect(verdicts.join(" ").match(new RegExp(`\\b${p.id.replace(/\./g, "\\.")}\\b(?![.\\w-])`, "g")), p.id).toHaveLength(1);
  });
});

/**
 * A proxy in front of a 2025-only server that answers the raw 2026-07-28
 * `server/discover` itself: the era's opening request is served, and the
 * official v2 client, which goes on to call tools/list in that era, fails.
 */
async function discoverOnlyProxy(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.headers.authorization && body.includes('"server/discover"')) {
        const id = (JSON.parse(body.toString()) as { id: number }).id;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            jsonrpc: "2.0",
            id,
            result: {
              supportedVersions: ["2026-07-28"],
              capabilities: { tools: {} },
              serverInfo: { name: "proxy", version: "1" },
            },
          }),
        );
        return;
      }
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on("error", () => res.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("eras: the report never contradicts itself", () => {
  it("server/discover answered, the official 2026-07-28 client failing: era.2026 fails, the era is 'failing', never 'refused'", async () => {
    const reference = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId, eras: "2025" });
    const proxy = await discoverOnlyProxy(reference.url);
    try {
      const report = await runCheck({ url: proxy.url, issuer, timeoutMs: 3000 });
      expect(status(report, "era.2026")).toMatchObject({
        status: "fail",
        reason: expect.stringMatching(/^server\/discover answered HTTP 200, but the official SDK v2 client pinned to 2026-07-28 fails: /),
      });
      expect(status(report, "era.2025").status).toBe("pass");
      expect(report.eras).toEqual({ "2025": "accepted", "2026-07-28": "failing" });
      const text = unwrap(formatReport(report).split("\n")).join("\n");
      // Neither the era's line nor the eras say "refused" (other probes may fail through the proxy: not the point here).
      expect(text.split("\n").filter((l) => /2026-07-28/.test(l) && /refused/.test(l))).toEqual([]);
      expect(text).toContain("Protocol eras: 2025 accepted, 2026-07-28 served, but the official client fails (see era.2026)");
      expect(report.verdicts).toContainEqual(expect.stringMatching(/^Valid tokens do not get through: .*era\.2026/));
    } finally {
      await proxy.close();
      await reference.close();
    }
  });

  it("an era the server refuses: 'refused', its probe warns, and its scope probes skip saying why", async () => {
    const report = await checkWith({}, "2025");
    expect(report.eras).toEqual({ "2025": "accepted", "2026-07-28": "refused" });
    expect(status(report, "era.2026")).toMatchObject({
      status: "warn",
      reason: expect.stringMatching(/^the server serves only the 2025 era: server\/discover answered HTTP 4\d\d/),
    });
    for (const id of ["scope.insufficient.2026", "scope.granted.2026", "scope.header-mismatch"]) {
      expect(status(report, id), id).toMatchObject({
        status: "skip",
        reason: "the server does not serve 2026-07-28 requests (see era.2026)",
      });
    }
    const text = unwrap(formatReport(report).split("\n")).join("\n");
    expect(text).toContain("Protocol eras: 2025 accepted, 2026-07-28 refused");
    expect(text).toMatch(
      /\n {2}- the server does not serve 2026-07-28 requests \(see era\.2026\): scope\.insufficient\.2026, scope\.granted\.2026, scope\.header-mismatch/,
    );
    expect(report.verdicts).toEqual([]);
  });
});

describe("check --junit", () => {
  it("writes one test case per probe, failures and skips with their reasons; the console report is unchanged", async () => {
    const server = await startReferenceServer({
      issuerUrl: issuer.url,
      resourceId: issuer.resourceId,
      faults: { acceptAnyAudience: true },
    });
    const dir = await tempDir("cma-junit-");
    try {
      const file = path.join(dir.dir, "check.xml");
      const r = await runCli(["check", server.url, "--issuer", issuer.url, "--junit", file], { timeout: 120_000 });
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^Checking /);
      const xml = await readFile(file, "utf8");
      expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
      const cases = xml.match(/<testcase /g) ?? [];
      expect(cases).toHaveLength(PROBES.length);
      for (const p of PROBES) expect(xml).toContain(`name="${p.id}: `);
      expect(xml).toMatch(/<testsuite [^>]*tests="\d+" failures="2" errors="0" skipped="0"/);
      expect(xml).toMatch(
        /name="token\.wrong-audience: [^"]*" time="[\d.]+">\n {6}<failure message="the server accepted a token for https:\/\/other-server\.invalid\/mcp/,
      );
      // Well-formed: every element opened is closed.
      expect((xml.match(/<testcase /g) ?? []).length).toBe((xml.match(/<testcase [^>]*\/>|<\/testcase>/g) ?? []).length);

      // Without an issuer: the probes that need one are skipped test cases with the reason.
      const bare = await runCli(["check", server.url, "--junit", file], { timeout: 120_000 });
      expect(bare.exitCode, bare.stderr).toBe(0);
      const skipped = await readFile(file, "utf8");
      expect(skipped).toMatch(
        /name="token\.expired: [^"]*" time="[\d.]+">\n {6}<skipped message="needs --issuer &lt;url&gt; \(a local issuer that mints test tokens\)"\/>/,
      );
    } finally {
      await server.close();
      await dir.cleanup();
    }
  });

  it("a folder that does not exist: exit 2 before any probe runs", async () => {
    const r = await runCli(["check", "http://127.0.0.1:9/mcp", "--junit", "/nonexistent-dir-cma/x.xml"], { timeout: 30_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--junit /nonexistent-dir-cma/x.xml: the folder /nonexistent-dir-cma does not exist");
  });

  it("--json ends with a newline (the next output is not glued to it)", async () => {
    const server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    try {
      const r = await execa(process.execPath, [cliBin, "check", server.url, "--json"], {
        env: cleanEnv(),
        extendEnv: false,
        reject: false,
        stripFinalNewline: false,
      });
      expect(r.exitCode).toBe(0);
      expect(String(r.stdout)).toMatch(/^\{\n[\s\S]*\n\}\n$/);
    } finally {
      await server.close();
    }
  });
});

describe("the report within 80 columns", () => {
  it("wraps prose at spaces with a hanging indent; a URL or a command in backquotes is never broken", () => {
    const url = `https://example.com/${"very-long-segment/".repeat(6)}mcp`;
    const lines = wrapProse(
      `the server answered ${url} with HTTP 500; run \`npx -y create-mcp-auth@0.1.0 check --project .\` to see why, then fix it`,
      80,
      "✖ ",
      "  ",
    );
    expect(lines.length).toBeGreaterThan(2);
    expect(lines[0]).toMatch(/^✖ the server answered$/);
    expect(lines).toContain(`  ${url}`);
    expect(lines.some((l) => l.includes("`npx -y create-mcp-auth@0.1.0 check --project .`"))).toBe(true);
    for (const line of lines.slice(1)) expect(line).toMatch(/^ {2}\S/);
    for (const line of lines) if (!line.includes(url)) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it("a real run with many failures and long URLs: every line fits, every URL whole, the sentences unchanged", async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/a/rather/long/path/to/the/mcp/endpoint/of/this/server/mcp`;
    try {
      const report = await runCheck({ url, timeoutMs: 1000 });
      const text = formatReport(report, { color: true });
      expect(overWide(text)).toEqual([]);
      expect(text.replace(ANSI, "")).toContain(url);
      expect(opening(report)).toEqual(report.verdicts);
      // Each probe's reason reads as it did, once the wrapped lines are joined.
      const plain = unwrap(text.replace(ANSI, "").split("\n")).join("\n");
      for (const r of report.results.filter((r) => r.status !== "skip")) expect(plain).toContain(`${r.title}: ${r.reason}`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("the built CLI against a server with faults, with --issuer: stdout within 80 columns", async () => {
    const server = await startReferenceServer({
      issuerUrl: issuer.url,
      resourceId: issuer.resourceId,
      faults: { acceptAnyAudience: true, scopesNotEnforced: true, ignoreExp: true },
    });
    try {
      const r = await runCli(["check", server.url, "--issuer", issuer.url], { timeout: 120_000 });
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stdout.split("\n").filter((l) => [...l].length > 80).length, r.stdout).toBeGreaterThanOrEqual(0);
      expect(overWide(r.stdout), r.stdout).toEqual([]);
      expect(r.stdout).toMatch(/^Wrong audience accepted: /m);
    } finally {
      await server.close();
    }
  });
});
