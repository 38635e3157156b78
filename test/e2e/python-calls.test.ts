/**
 * Issue 19.5, by the measure machine load cannot move: Python calls per request of an authenticated MCP
 * `tools/list` (bench/python/calls.py: the app driven in process over ASGI, cProfile's call count), for each
 * generated Python server in both eras. The generated server as created (on) costs at most 1/0.9 of the plain
 * template's server (off): on/off >= 90%, and at most what the framework's own auth costs (peer): on/peer >= 100%.
 * The targets bench/python/run.mjs reports, as a test: a change that makes the auth layer dearer fails here.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript, shared with the benchmarks
import { freePort, startLocalIssuer } from "../../lib/harness.mjs";
import { cleanEnv, repoRoot, runCli, tempDir } from "../helpers/cli.js";

interface Issuer {
  url: string;
  resourceId: string;
  mint(audience: string[]): Promise<string>;
  close(): Promise<void>;
}

const CALLS = path.join(repoRoot, "bench", "python", "calls.py");

describe("python: auth overhead by Python calls per request (bench/python/calls.py)", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let issuer: Issuer;
  beforeAll(async () => {
    work = await tempDir("cma-pycalls-");
    issuer = await startLocalIssuer(work.dir);
  }, 60_000);
  afterAll(async () => {
    await issuer?.close();
    await work?.cleanup();
  });

  it.each(["fastapi", "fastmcp"])(
    "%s: on/off >= 90% and on/peer >= 100% in both eras",
    async (framework) => {
      const name = `calls-${framework}`;
      const root = path.join(work.dir, name);
      const made = await runCli([root, "--language", "python", "-f", framework, "--yes", "--no-git", "--no-check"]);
      expect(made.exitCode, made.stderr).toBe(0);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/mcp`;
      const token = await issuer.mint([url, issuer.resourceId]);
      const env = cleanEnv({
        MCP_SERVER_URL: url,
        PORT: String(port),
        HOST: "127.0.0.1",
        SCALEKIT_ENVIRONMENT_URL: issuer.url,
        SCALEKIT_RESOURCE_ID: issuer.resourceId,
        TOKEN: token,
      });
      const calls = (variant: string, era: string): number =>
        JSON.parse(
          execFileSync(path.join(root, ".venv", "bin", "python"), [CALLS, variant, framework, name.replace(/-/g, "_"), era, "100"], {
            cwd: root,
            env,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
          }),
        ).calls;
      for (const era of ["2025", "2026"]) {
        const on = calls("on", era);
        const off = calls("off", era);
        const peer = calls("peer", era);
        const row = `${framework} ${era}: on ${on}, off ${off}, peer ${peer} calls per request`;
        expect(off / on, row).toBeGreaterThanOrEqual(0.9);
        expect(peer / on, row).toBeGreaterThanOrEqual(1);
      }
    },
    300_000,
  );
});
