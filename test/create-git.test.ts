import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runCli, tempDir } from "./helpers/cli.js";

/**
 * Issue 13.5: `git init` plus a first commit, skipped inside an existing work
 * tree (nothing committed) or with --no-git; no commit without a user
 * identity, and the screen says how to set one. Each run gets its own HOME
 * and global git config.
 */
const QUIET = ["--yes", "--no-install", "--no-check", "--json"];

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("cma-git-");
});
afterAll(() => work.cleanup());

/** An environment whose git sees only `config` (no system config, no identity from the machine). */
async function gitEnv(name: string, config: string): Promise<Record<string, string>> {
  const home = path.join(work.dir, `home-${name}`);
  await mkdir(home, { recursive: true });
  const file = path.join(home, "gitconfig");
  await writeFile(file, config);
  const env = cleanEnv({ HOME: home, GIT_CONFIG_GLOBAL: file, GIT_CONFIG_NOSYSTEM: "1" });
  for (const key of Object.keys(env)) if (/^(GIT_(AUTHOR|COMMITTER)_|EMAIL$)/.test(key)) delete env[key];
  return env;
}

const IDENTITY = "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n";

async function git(cwd: string, env: Record<string, string>, ...args: string[]) {
  return execa("git", args, { cwd, env, extendEnv: false, reject: false });
}

describe("git", () => {
  it("a new project: a repository with one commit holding every file but .env", async () => {
    const env = await gitEnv("ok", IDENTITY);
    const result = await runCli(["with-git", ...QUIET], { cwd: work.dir, env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).git).toBe("committed");
    const root = path.join(work.dir, "with-git");
    expect((await git(root, env, "log", "--format=%s %an <%ae>")).stdout).toBe(
      "Initial commit from create-mcp-auth Test User <test@example.com>",
    );
    expect((await git(root, env, "status", "--porcelain")).stdout).toBe("");
    const tracked = (await git(root, env, "ls-files")).stdout.split("\n");
    expect(tracked).toContain("package.json");
    expect(tracked).toContain(".env.example");
    expect(tracked).not.toContain(".env");
    expect(result.stderr).toMatch(/first commit "Initial commit from create-mcp-auth"/);
  });

  it("no user identity: the repository, no commit, and how to set one", async () => {
    const env = await gitEnv("anon", "[user]\n\tuseConfigOnly = true\n");
    const result = await runCli(["no-identity", ...QUIET], { cwd: work.dir, env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).git).toBe("no-identity");
    const root = path.join(work.dir, "no-identity");
    expect(existsSync(path.join(root, ".git"))).toBe(true);
    expect((await git(root, env, "rev-parse", "--verify", "HEAD")).exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/git config --global user\.email/);
    expect(result.stderr).toMatch(/git config --global user\.name/);
  });

  it("never guesses an identity (user.useConfigOnly), though plain git would take EMAIL and the passwd name", async () => {
    const env = await gitEnv("guess", "");
    const result = await runCli(["no-guess", ...QUIET], { cwd: work.dir, env: { ...env, EMAIL: "guess@example.com" } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).git).toBe("no-identity");
  });

  it("inside an existing work tree: nothing initialized, nothing committed", async () => {
    const env = await gitEnv("inside", IDENTITY);
    const outer = path.join(work.dir, "outer");
    await mkdir(outer);
    await git(outer, env, "init", "--quiet");
    const result = await runCli(["inner", ...QUIET], { cwd: outer, env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).git).toBe("inside-repo");
    expect(existsSync(path.join(outer, "inner", ".git"))).toBe(false);
    expect((await git(outer, env, "rev-parse", "--verify", "HEAD")).exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/inside an existing repository; nothing committed/);
  });

  it("--no-git: no repository", async () => {
    const env = await gitEnv("nogit", IDENTITY);
    const result = await runCli(["no-git-here", ...QUIET, "--no-git"], { cwd: work.dir, env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).git).toBe("skipped");
    expect(existsSync(path.join(work.dir, "no-git-here", ".git"))).toBe(false);
  });

  it("the user's commit hooks do not run for the first commit", async () => {
    const hooks = path.join(work.dir, "hooks");
    await mkdir(hooks, { recursive: true });
    await writeFile(path.join(hooks, "pre-commit"), "#!/bin/sh\nexit 1\n");
    await chmod(path.join(hooks, "pre-commit"), 0o755);
    const env = await gitEnv("hooks", `${IDENTITY}[core]\n\thooksPath = ${hooks}\n`);
    const result = await runCli(["hooked", ...QUIET], { cwd: work.dir, env });
    expect(JSON.parse(result.stdout).git).toBe("committed");
  });

  it("a directory that held files before (--force) is not made a repository", async () => {
    const env = await gitEnv("force", IDENTITY);
    const root = path.join(work.dir, "had-files");
    await mkdir(root);
    await writeFile(path.join(root, "mine.txt"), "x");
    const result = await runCli(["had-files", ...QUIET, "--force"], { cwd: work.dir, env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).git).toBe("not-empty");
    expect(existsSync(path.join(root, ".git"))).toBe(false);
  });
});
