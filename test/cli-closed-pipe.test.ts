/**
 * Output to a reader that has gone (`create-mcp-auth add --help | head -1`,
 * a CI step piping into a tool that stops early): the CLI stops writing and
 * carries on, as command-line tools do, with no "Unhandled 'error' event"
 * stack for an EPIPE. The work itself is not cut short: a project is created
 * in full even when nobody reads what create prints.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, cliBin, tempDir } from "./helpers/cli.js";

/** Runs the CLI with its stdout a pipe whose reading end is closed before the CLI writes anything. */
function runWithClosedStdout(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      cwd,
      env: { ...cleanEnv(), CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("stdout closed by its reader", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-epipe-");
  });
  afterAll(() => work.cleanup());

  it.each(["--help", "add --help", "check --help", "--version"])("%s: exit 0, no stack", async (line) => {
    const { code, stderr } = await runWithClosedStdout(line.split(" "), work.dir);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at .*\(node:/);
    expect(code).toBe(0);
  });

  it("create --yes: the project is written in full, exit 0, no stack", async () => {
    const { code, stderr } = await runWithClosedStdout(["piped", "--yes", "--no-install", "--no-git", "--no-check"], work.dir);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at .*\(node:/);
    expect(code).toBe(0);
    for (const file of ["package.json", "src/index.ts", "src/auth/express.ts", ".env"])
      expect(existsSync(path.join(work.dir, "piped", file)), file).toBe(true);
  });
});
