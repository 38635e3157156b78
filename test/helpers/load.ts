import { expect, it } from "vitest";
// @ts-expect-error plain JavaScript, shared with the benchmarks
import { freePort, startLocalIssuer, startProjectServer } from "../../lib/harness.mjs";
// @ts-expect-error plain JavaScript, shared with bench/load/run.mjs
import { faultIssuerDownMidRun, LEAK_RUN_HEAP_MB, loadRun, MAX_RSS_GROWTH_MB } from "../../lib/load.mjs";

interface Issuer {
  url: string;
  resourceId: string;
  mint(audience: string[], options?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

interface Server {
  url: string;
  child: { pid: number; exitCode: number | null };
  stop(): Promise<void>;
}

export interface LoadSuiteOptions {
  requests?: number;
  connections?: number;
  /** How long the issuer stays down in the fault test. */
  faultMs?: number;
}

/**
 * The CI-sized load test (bench/load is the full one) on the installed
 * generated project at `root()`: its server (run with its own tsx, as `npm
 * run dev` runs it) against the local issuer. 4,000 mixed requests over 64
 * keep-alive connections: every status the one decided before sending, no
 * 5xx, RSS growth below 20 MB from the 2,000th request to the last (old space
 * limited: lib/load.mjs LEAK_RUN_HEAP_MB says why). Then one fault: the
 * issuer stopped mid-run, where tokens of a known key keep 200, unknown kids
 * get 401, nothing is a 5xx, and a token of the restarted issuer is accepted
 * in the end. No timing is asserted beyond liveness bounds.
 */
export function loadSuite(framework: string, root: () => string, options: LoadSuiteOptions = {}): void {
  const { requests = 4000, connections = 64, faultMs = 3000 } = options;

  it(`${framework}: ${requests} mixed requests over ${connections} connections: every status as decided, no 5xx, RSS growth below ${MAX_RSS_GROWTH_MB} MB`, async () => {
    const issuer: Issuer = await startLocalIssuer(root());
    try {
      const server: Server = await startProjectServer(`${framework}-load`, root(), "src/index.ts", issuer, {
        nodeArgs: [`--max-old-space-size=${LEAK_RUN_HEAP_MB}`],
      });
      try {
        const mint = (o: Record<string, unknown>) => issuer.mint([server.url, issuer.resourceId], o);
        const result = await loadRun({ url: server.url, pid: server.child.pid, mint, requests, connections });
        expect(result.failures, JSON.stringify(result.byKind, null, 1)).toEqual([]);
        expect(result.requests).toBe(requests);
        expect(server.child.exitCode).toBeNull();
      } finally {
        await server.stop();
      }
    } finally {
      await issuer.close();
    }
  }, 600_000);

  it(`${framework}: the issuer stopped mid-run: known-key tokens still 200, unknown kids 401, no 5xx, a restarted issuer's tokens accepted`, async () => {
    const launch = async (issuer: { url: string; resourceId: string }) => {
      const server: Server = await startProjectServer(`${framework}-fault`, root(), "src/index.ts", issuer);
      return { url: server.url, pid: server.child.pid, stop: server.stop };
    };
    const result = await faultIssuerDownMidRun({
      launch,
      startIssuerOn: (port: number) => startLocalIssuer(root(), ["--port", String(port)]),
      port: await freePort(),
      faultMs,
      recoveryTimeoutMs: 120_000,
    });
    expect(result.failures, JSON.stringify(result.stats, null, 1)).toEqual([]);
    // The fault ran under traffic: both kinds of known-key tokens and unknown kids were sent while the issuer was down.
    expect(result.during.knownKeySent).toBeGreaterThan(0);
    expect(result.during.newKnownKeyTokens).toBeGreaterThan(0);
    expect(result.during.unknownKidSent).toBeGreaterThan(0);
    expect(result.recoveryMs).toBeDefined();
  }, 600_000);
}
