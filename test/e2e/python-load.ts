/**
 * The load and fault suite of the TypeScript frameworks (lib/load.mjs, as test/helpers/load.ts runs it) against
 * a generated Python server, run as `uv run serve` runs it (the venv's `serve`, so the measured pid is the
 * server's own): 4,000 mixed requests over 64 keep-alive connections with every status decided before sending,
 * no 5xx and RSS flat; then, each on a fresh server, the issuer stopped mid-run, a key rotation under load, and
 * a hanging key-set endpoint behind a proxy, each with bounded recovery (the key set's cooldown and deadline,
 * 10 s and 5 s, are the TypeScript ones: lib/load.mjs COOLDOWN_MS and DEADLINE_MS).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { expect, it } from "vitest";
// @ts-expect-error plain JavaScript, shared with the benchmarks
import { freePort, startLocalIssuer } from "../../lib/harness.mjs";
// @ts-expect-error plain JavaScript, shared with bench/load/run.mjs
import * as load from "../../lib/load.mjs";
import { projectProvider } from "../../src/selfcheck.js";
import { cleanEnv } from "../helpers/cli.js";

interface Issuer {
  url: string;
  resourceId: string;
  mint(audience: string[], options?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

interface PythonServer {
  url: string;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

/** The project's `serve` (what `uv run serve` runs) on a free loopback port against `issuer`; resolves once /healthz is 200. */
export async function launchPythonServer(root: string, issuer: { url: string; resourceId: string }): Promise<PythonServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const env = cleanEnv({
    ...projectProvider(root).selfCheckEnv(issuer, url),
    MCP_SERVER_URL: url,
    PORT: String(port),
    HOST: "127.0.0.1",
  });
  const child = spawn(path.join(root, ".venv", "bin", "serve"), [], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the Python server did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, pid: child.pid!, log: () => output, stop };
}

/**
 * lib/load.mjs's request mix, with one difference that is the Python SDK's, not the auth layer's: its Streamable
 * HTTP transport validates a POST body as one JSON-RPC message, so a JSON-RPC batch (2025-03-26 only; removed in
 * 2025-06-18) whose scopes are all granted reaches the SDK and gets its 400 with a JSON-RPC error, as on a plain
 * server. A batch with a tool the token lacks the scope for is still the auth layer's 403, decided before.
 */
export const PYTHON_KINDS = load.KINDS.map((kind: { id: string }) =>
  kind.id === "batch 2025-03-26" ? { ...kind, id: "batch 2025-03-26 (the SDK's 400)", expect: 400, result: '"error"' } : kind,
);

/** lib/load.mjs loadRun with PYTHON_KINDS. */
async function pythonLoadRun({
  url,
  pid,
  mint,
  requests,
  connections,
}: {
  url: string;
  pid: number;
  mint: (o: Record<string, unknown>) => Promise<string>;
  requests: number;
  connections: number;
}) {
  const { scopes, tool } = await load.discoverServer(url, await mint({}));
  const { tokens, fresh } = await load.prepareTokens(mint, scopes, Math.max(50, Math.ceil(requests / PYTHON_KINDS.length)));
  const result = await load.runLoad({
    url,
    plan: load.buildPlan(requests, undefined, PYTHON_KINDS),
    connections,
    tokens,
    fresh,
    tool,
    pid,
  });
  return { ...result, failures: load.loadFailures(result) as string[] };
}

/**
 * A free loopback port below the kernel's ephemeral range (32768 and up on Linux): the fault run restarts the
 * issuer on its port, and a port from the ephemeral range can meanwhile become the local end of one of the
 * thousands of client connections on this machine (the issuer then exits "port in use").
 */
async function portOutsideEphemeralRange(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port between 20000 and 32000");
}

export interface PythonLoadOptions {
  requests?: number;
  connections?: number;
  faultMs?: number;
}

export function pythonLoadSuite(framework: string, root: () => string, options: PythonLoadOptions = {}): void {
  const { requests = 4000, connections = 64, faultMs = 3000 } = options;
  const issuerArgs = () => ["--layout", projectProvider(root()).issuerLayout];

  it(`python ${framework}: ${requests} mixed requests over ${connections} connections: every status as decided, no 5xx, RSS growth below ${load.MAX_RSS_GROWTH_MB} MB`, async () => {
    const issuer: Issuer = await startLocalIssuer(root(), issuerArgs());
    try {
      const server = await launchPythonServer(root(), issuer);
      try {
        const mint = (o: Record<string, unknown>) => issuer.mint([server.url, issuer.resourceId], o);
        const result = await pythonLoadRun({ url: server.url, pid: server.pid, mint, requests, connections });
        expect(result.failures, `${JSON.stringify(result.byKind, null, 1)}\n${server.log()}`).toEqual([]);
        expect(result.requests).toBe(requests);
        console.log(
          `python ${framework} load: ${result.rps.toFixed(0)} req/s, p99 ${result.latencyMs.p99.toFixed(0)} ms, RSS growth ${result.rssGrowthMb?.toFixed(1)} MB, statuses ${JSON.stringify(result.statuses)}`,
        );
        expect(result.rssGrowthMb).toBeDefined();
        expect(result.byKind["batch 2025-03-26 (the SDK's 400)"].sent).toBeGreaterThan(0);
        expect(server.log()).not.toMatch(/Traceback/);
      } finally {
        await server.stop();
      }
    } finally {
      await issuer.close();
    }
  }, 600_000);

  const launch = async (issuer: { url: string; resourceId: string }) => launchPythonServer(root(), issuer);

  it(`python ${framework}: the issuer stopped mid-run: known-key tokens still 200, unknown kids 401, no 5xx, a restarted issuer's tokens accepted`, async () => {
    const result = await load.faultIssuerDownMidRun({
      launch,
      startIssuerOn: (port: number) => startLocalIssuer(root(), ["--port", String(port), ...issuerArgs()]),
      port: await portOutsideEphemeralRange(),
      faultMs,
      recoveryTimeoutMs: 60_000,
    });
    expect(result.failures, JSON.stringify(result.stats, null, 1)).toEqual([]);
    console.log(`python ${framework}, issuer down mid-run: ${JSON.stringify(result.during)}, recovery ${result.recoveryMs?.toFixed(0)} ms`);
    expect(result.during.knownKeySent).toBeGreaterThan(0);
    expect(result.during.newKnownKeyTokens).toBeGreaterThan(0);
    expect(result.during.unknownKidSent).toBeGreaterThan(0);
    expect(result.recoveryMs).toBeDefined();
  }, 300_000);

  it(`python ${framework}: a key rotation under load: old tokens 200, a new key's tokens 200 within one cooldown, no 5xx`, async () => {
    const issuer: Issuer = await startLocalIssuer(root(), issuerArgs());
    try {
      const result = await load.faultRotation({ launch, issuer });
      expect(result.failures, JSON.stringify(result.stats, null, 1)).toEqual([]);
      expect(result.recoveryAfterUnknownKidMs).toBeDefined();
      console.log(
        `python ${framework}, rotation: new key 200 after ${result.recoveryMs?.toFixed(0)} ms, ${result.recoveryAfterUnknownKidMs?.toFixed(0)} ms after an unknown kid`,
      );
    } finally {
      await issuer.close();
    }
  }, 300_000);

  it(`python ${framework}: a hanging key-set endpoint: known keys 200, unknown kids 401 within the fetch deadline, one fetch per cooldown, recovery within a cooldown and a deadline`, async () => {
    const issuer: Issuer = await startLocalIssuer(root(), issuerArgs());
    try {
      const result = await load.faultJwks({ fault: "hang", launch, issuer, faultMs: Math.max(faultMs, 6000) });
      expect(result.failures, JSON.stringify(result.stats, null, 1)).toEqual([]);
      expect(result.jwksFetches).toBeLessThanOrEqual(result.fetchBound);
      expect(result.recoveryMs).toBeDefined();
      console.log(
        `python ${framework}, hanging JWKS: ${result.jwksFetches} fetches (bound ${result.fetchBound}), unknown kid max ${result.during.unknownKidMaxMs?.toFixed(0)} ms, recovery ${result.recoveryMs?.toFixed(0)} ms`,
      );
    } finally {
      await issuer.close();
    }
  }, 300_000);
}
