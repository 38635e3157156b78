import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const cliBin = path.join(repoRoot, "bin", "create-mcp-auth.js");

/** Environment without anything that would change the CLI's answers. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(SCALEKIT_|OIDC_|MCP_|npm_config_user_agent$|CI$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs the built CLI as a user would: a child process, no TTY, never rejecting. */
export interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeout?: number } = {},
): Promise<CliResult> {
  const result = await execa(process.execPath, [cliBin, ...args], {
    reject: false,
    stdin: "ignore",
    extendEnv: false,
    cwd: options.cwd,
    timeout: options.timeout ?? 600_000,
    env: options.env ?? cleanEnv(),
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export async function tempDir(prefix = "cma-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Shared npm cache so the suite's installs download each package once. */
export const npmCacheDir = process.env.CMA_NPM_CACHE ?? path.join(repoRoot, ".cache", "npm");
