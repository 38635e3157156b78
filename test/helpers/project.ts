import { request as httpRequest } from "node:http";
import { type AddressInfo, createServer, Socket } from "node:net";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript, shared with bench/conformance/run.mjs
import { conformanceTools, regressions, runScenarios, startTokenProxy } from "../../lib/conformance.mjs";
// @ts-expect-error plain JavaScript, shared with bench/conformance/run.mjs
import { startPlainV2Server } from "../../lib/plain-v2-server.mjs";
import { startProjectServer } from "../../src/selfcheck.js";
import { cleanEnv, npmCacheDir, runCli, tempDir } from "./cli.js";
import { loadSuite } from "./load.js";
import { openIdSuite } from "./openid.js";

export interface ProbeRow {
  id: string;
  status: "pass" | "fail" | "warn" | "skip";
  reason: string;
}

/** Env for installs: a shared npm cache so the suite downloads each package once. */
export function installEnv(): Record<string, string> {
  return cleanEnv({
    npm_config_cache: npmCacheDir,
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_update_notifier: "false",
  });
}

/**
 * The full matrix row for one framework, as a user would run it: scaffold
 * with flags (install + self-check included), then typecheck the project and
 * run its own tests.
 */
export async function scaffoldInstallAndCheck(framework: string, root: string, scopes: string, extraArgs: string[] = []) {
  const created = await runCli([root, "--framework", framework, "--scopes", scopes, "--yes", "--no-git", "--json", ...extraArgs], {
    env: installEnv(),
  });
  let doc: { ok: boolean; check: { results: ProbeRow[]; summary: { failed: number } } | null; files: string[] };
  try {
    doc = JSON.parse(created.stdout);
  } catch {
    throw new Error(`create did not print JSON (exit ${created.exitCode}):\n${created.stderr}\n${created.stdout}`);
  }
  const failures = (doc.check?.results ?? []).filter((r) => r.status === "fail").map((r) => `${r.id}: ${r.reason}`);
  expect(failures, created.stderr).toEqual([]);
  expect(created.exitCode, created.stderr).toBe(0);
  expect(doc.check).not.toBeNull();
  const ids = doc.check!.results.map((r) => r.id);
  return { doc, ids, stderr: created.stderr };
}

export async function typecheckAndTest(root: string) {
  const tsc = await execa("npx", ["tsc", "--noEmit"], { cwd: root, reject: false, all: true, env: installEnv() });
  expect(tsc.exitCode, String(tsc.all)).toBe(0);
  const test = await execa("npm", ["test"], { cwd: root, reject: false, all: true, env: installEnv() });
  expect(test.exitCode, String(test.all)).toBe(0);
  return String(test.all);
}

/** Probes the self-check must have run (and passed) on every generated server. */
export const EXPECTED_PROBES = [
  "prm.discovery",
  "prm.path",
  "prm.root",
  "prm.fields",
  "prm.resource",
  "prm.cors",
  "challenge.no-token",
  "challenge.invalid-token",
  "challenge.query-token",
  "cors.mcp",
  "as.metadata",
  "as.issuer",
  "as.pkce",
  "as.registration",
  "era.2025",
  "era.2026",
  "token.valid",
  "token.expired",
  "token.not-yet-valid",
  "token.no-exp",
  "token.wrong-issuer",
  "token.wrong-audience",
  "token.sibling-audience",
  "token.unknown-key",
  "token.tampered-signature",
  "token.alg-none",
  "token.hs256-public-key",
  "token.unsigned",
  "token.truncated-signature",
  "token.malformed",
  "token.empty-bearer",
  "token.basic-scheme",
  "token.lowercase-bearer",
  "token.oversized",
  "token.rotated-key",
  "scope.insufficient",
  "scope.granted",
  "scope.offline-access",
  "flow.discovery",
  "flow.registration",
  "flow.authorization",
  "flow.token",
  "flow.tools-list",
  "flow.tools-call",
  "flow.step-up",
];

/**
 * The CI matrix row for one framework. Each framework has its own test file
 * calling this, so vitest runs two frameworks at a time on two cores.
 */
export function frameworkSuite(framework: string, more?: (root: () => string) => void): void {
  // Scopes with characters that must not break the generated code ($ { } * / '), and scopes named like
  // Object.prototype members, whose tools the SDK would otherwise look up on a plain object (issue 12.5).
  const scopes = "todo:read,todo:write,a$b{c}*/d'e,constructor,toString,hasOwnProperty,__proto__,valueOf";
  describe(`${framework}: scaffold, install, self-check, typecheck, own tests`, () => {
    let work: { dir: string; cleanup: () => Promise<void> };
    const root = () => path.join(work.dir, `${framework}-project`);
    beforeAll(async () => {
      work = await tempDir(`cma-${framework}-`);
    });
    afterAll(() => work.cleanup());

    it("create installs the project and its self-check passes every probe, OAuth flow included", async () => {
      const { ids } = await scaffoldInstallAndCheck(framework, root(), scopes);
      expect(ids).toEqual(expect.arrayContaining(EXPECTED_PROBES));
    }, 600_000);

    it("typechecks with tsc --noEmit and passes its own tests", async () => {
      const output = await typecheckAndTest(root());
      expect(output).toMatch(/passed/);
    }, 600_000);

    conformanceSuite(framework, root);
    loadSuite(framework, root);
    shutdownSuite(root);

    // Framework-specific tests on the same installed project, after the matrix row.
    more?.(root);
  });

  // The same framework with the `oidc` provider: its own tests, the self-check against the local issuer in
  // its OpenID layout, then a real OpenID provider (oidc-provider).
  describe(`${framework} with --provider oidc: scaffold, install, self-check, own tests, oidc-provider`, () => {
    let work: { dir: string; cleanup: () => Promise<void> };
    const root = () => path.join(work.dir, `${framework}-oidc`);
    beforeAll(async () => {
      work = await tempDir(`cma-${framework}-oidc-`);
    });
    afterAll(() => work.cleanup());

    it("create --provider oidc installs the project and its self-check passes every probe", async () => {
      const { ids, doc } = await scaffoldInstallAndCheck(framework, root(), "todo:read,todo:write", ["--provider", "oidc"]);
      expect((doc as { provider?: string }).provider).toBe("oidc");
      expect(ids).toEqual(expect.arrayContaining(EXPECTED_PROBES));
    }, 600_000);

    it("typechecks and passes its own tests", async () => {
      expect(await typecheckAndTest(root())).toMatch(/passed/);
    }, 600_000);

    openIdSuite(framework, root);
  });
}

/** The generated server of `root`, as the self-check runs it, against `issuer`; ready when this resolves. */
export async function startGeneratedServer(root: string, issuer: { url: string; resourceId: string }) {
  const server = await startProjectServer(root, issuer);
  await server.ready();
  return server;
}

/**
 * The official conformance suite against the generated server (behind a proxy
 * that adds a valid token) and, in the same run, against a plain SDK v2
 * server: every check the plain server passes, ours passes too.
 */
export function conformanceSuite(
  framework: string,
  root: () => string,
  baseline: { name: string; start: () => Promise<{ url: string; close(): Promise<unknown> }>; timeoutMs: number } = {
    name: "a plain SDK v2 server",
    start: startPlainV2Server,
    timeoutMs: 600_000,
  },
): void {
  const tools = conformanceTools();
  // In CI a missing tool is a failure, never a silent skip.
  const missing = !tools && !process.env.CI;
  it.skipIf(missing)(
    `the official conformance suite: ${framework} passes every check ${baseline.name} passes${missing ? " (SKIPPED: no CMA_NODE24 and CMA_CONFORMANCE_BIN, and not CI; .ci/run installs them)" : ""}`,
    async () => {
      expect(tools, "CMA_NODE24 and CMA_CONFORMANCE_BIN must be set (.ci/run installs them)").toBeDefined();
      const { startIssuer } = await import("../../src/issuer/index.js");
      const issuer = await startIssuer({ port: 0, quiet: true });
      const server = await startGeneratedServer(root(), issuer);
      const plain = await baseline.start();
      try {
        const token = await issuer.mint({
          audience: [server.url, issuer.resourceId],
          expiresIn: 3600,
          scopes: ["todo:read", "todo:write"],
        });
        const proxy = await startTokenProxy(server.url, token);
        try {
          const [ours, baseline] = await Promise.all([runScenarios(proxy.url, tools!), runScenarios(plain.url, tools!)]);
          expect(regressions(ours, baseline), JSON.stringify(ours, null, 1)).toEqual([]);
        } finally {
          await proxy.close();
        }
      } finally {
        await Promise.all([server.stop(), plain.close(), issuer.close()]);
      }
    },
    baseline.timeoutMs,
  );
}

/**
 * SIGTERM (docker stop, Kubernetes): the generated server lets a request in
 * flight finish, then exits with code 0, within a bound.
 */
/** Resolves once the server on `port` answers GET /healthz with 200; fails the test after 30 s. */
async function healthy(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    expect(Date.now(), "the server did not start").toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Start-up errors and slow clients on the generated server, started as its
 * README says: a busy port is one line with the fix and exit 1 (no stack);
 * headers that trickle in are cut off within tens of seconds, not Node's
 * minutes.
 */
export function startupSuite(root: () => string): void {
  const start = async (port: number) => {
    const { startIssuer } = await import("../../src/issuer/index.js");
    const { projectProvider } = await import("../../src/selfcheck.js");
    const issuer = await startIssuer({ port: 0, quiet: true, layout: projectProvider(root()).issuerLayout });
    const url = `http://127.0.0.1:${port}/mcp`;
    const server = execa(process.execPath, ["--import", "tsx", "src/index.ts"], {
      cwd: root(),
      env: { ...projectProvider(root()).selfCheckEnv(issuer, url), MCP_SERVER_URL: url, PORT: String(port), HOST: "127.0.0.1" },
      reject: false,
      all: true,
    });
    return { issuer, server };
  };

  it("a port in use: one line that says what to do, exit 1, no stack trace", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as AddressInfo).port;
    const { issuer, server } = await start(port);
    try {
      const result = await server;
      expect(result.exitCode, String(result.all)).toBe(1);
      expect(String(result.all)).toContain(`MCP server: port ${port} is already in use on 127.0.0.1: stop what listens there, or set PORT`);
      expect(String(result.all)).not.toMatch(/\n\s+at /);
    } finally {
      server.kill();
      busy.close();
      await issuer.close();
    }
  }, 60_000);

  it("headers that trickle in are cut off within tens of seconds", async () => {
    const { freePort } = await import("../../src/selfcheck.js");
    const port = await freePort();
    const { issuer, server } = await start(port);
    const socket = new Socket();
    let trickle: NodeJS.Timeout | undefined;
    try {
      await healthy(port);
      const startedAt = Date.now();
      const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - startedAt)));
      socket.on("error", () => undefined);
      socket.connect(port, "127.0.0.1", () => {
        socket.write("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        // One header byte a second: never a whole header block.
        trickle = setInterval(() => socket.write("X"), 1000);
      });
      const elapsed = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 75_000))]);
      expect(elapsed, "the connection was still open after 75 s").toBeGreaterThan(0);
      // headersTimeout 20 s, checked every 5 s (Fastify: Node's 30 s check interval): well under Node's 60 s + 30 s.
      expect(elapsed).toBeLessThan(55_000);
    } finally {
      clearInterval(trickle);
      socket.destroy();
      server.kill("SIGTERM");
      await server;
      await issuer.close();
    }
  }, 120_000);
}

export function shutdownSuite(root: () => string): void {
  it("SIGTERM: a request in flight is answered, then the server exits 0", async () => {
    const { startIssuer } = await import("../../src/issuer/index.js");
    const { freePort, projectProvider } = await import("../../src/selfcheck.js");
    const issuer = await startIssuer({ port: 0, quiet: true, layout: projectProvider(root()).issuerLayout });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const server = execa(process.execPath, ["--import", "tsx", "src/index.ts"], {
      cwd: root(),
      env: { ...projectProvider(root()).selfCheckEnv(issuer, url), MCP_SERVER_URL: url, PORT: String(port), HOST: "127.0.0.1" },
      reject: false,
      all: true,
    });
    try {
      await healthy(port);
      const token = await issuer.mint({ audience: [url, issuer.resourceId] });
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } });
      // A request whose body is still on its way when the signal arrives.
      const answered = new Promise<number>((resolve, reject) => {
        const req = httpRequest(url, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${token}`,
            "Content-Type": "application/json",
            Accept: "application/json, text/event-stream",
            "Content-Length": Buffer.byteLength(body),
          },
        });
        req.on("response", (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.write(body.slice(0, 10));
        setTimeout(() => req.end(body.slice(10)), 500);
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      server.kill("SIGTERM");
      expect(await answered).toBe(200);
      const exited = await Promise.race([server, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000))]);
      expect(exited?.exitCode, server.all ? String(await server.then((r) => r.all)) : "").toBe(0);
    } finally {
      server.kill("SIGKILL");
      await issuer.close();
    }
  }, 120_000);
}
