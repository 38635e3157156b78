import { existsSync } from "node:fs";
import path from "node:path";
import { environmentError } from "../core/errors.js";
import { findOnPath } from "../core/find-on-path.js";
import { runGroup } from "../core/subprocess.js";

export const FIRST_COMMIT_MESSAGE = "Initial commit from create-mcp-auth";

export type GitOutcome =
  /** A new repository with the project as its first commit. */
  | "committed"
  /** A new repository, nothing committed: git has no user identity. */
  | "no-identity"
  /** The target is inside an existing work tree: nothing done. */
  | "inside-repo"
  /** The target held files before (--force): not made a repository. */
  | "not-empty"
  | "not-installed"
  /** A new repository; the commit failed for another reason (e.g. commit signing). */
  | "commit-failed"
  /** --no-git */
  | "skipped";

/** What the final screen says about each outcome. */
export function gitMessage(outcome: GitOutcome): string {
  switch (outcome) {
    case "committed":
      return `Git: a new repository, first commit "${FIRST_COMMIT_MESSAGE}"`;
    case "no-identity":
      return 'Git: a new repository, nothing committed (git has no user identity). Set one, then commit:\n  git config --global user.name "Your Name"\n  git config --global user.email you@example.com';
    case "inside-repo":
      return "Git: inside an existing repository; nothing committed";
    case "not-empty":
      return "Git: the directory held files before; not made a repository (run git init yourself)";
    case "not-installed":
      return "Git: not installed; no repository made";
    case "commit-failed":
      return "Git: a new repository; the first commit failed (see `git commit`)";
    case "skipped":
      return "Git: skipped (--no-git)";
  }
}

/**
 * `git init` and a first commit of the project, as create-next-app does:
 * skipped inside an existing work tree (that repository is the user's), and
 * no commit when git has no user identity (`user.useConfigOnly`: git never
 * guesses one from the host name). Hooks do not run for this commit.
 */
export async function initGit(root: string, options: { existedWithFiles: boolean; signal?: AbortSignal }): Promise<GitOutcome> {
  const { signal } = options;
  if (!findOnPath("git")) return "not-installed";
  const git = (args: string[]) => runGroup("git", args, { cwd: root, reject: false, stdin: "ignore", all: true, signal });
  const inside = await git(["rev-parse", "--is-inside-work-tree"]);
  if ((inside.exitCode === 0 && String(inside.stdout).trim() === "true") || existsSync(path.join(root, ".git"))) return "inside-repo";
  if (options.existedWithFiles) return "not-empty";
  const init = await git(["init", "--quiet"]);
  if (init.exitCode !== 0) throw environmentError(`git init failed in ${root}`, String(init.all));
  const add = await git(["add", "-A"]);
  if (add.exitCode !== 0) throw environmentError(`git add failed in ${root}`, String(add.all));
  const commit = await git(["-c", "user.useConfigOnly=true", "commit", "--quiet", "--no-verify", "-m", FIRST_COMMIT_MESSAGE]);
  if (commit.exitCode === 0) return "committed";
  if (/identity|user\.email|user\.name|useConfigOnly|tell me who you are|no email|no name/i.test(String(commit.all))) return "no-identity";
  return "commit-failed";
}
