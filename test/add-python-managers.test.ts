import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture as copyFixtureOf, snapshot as snapshotOf } from "./add-suite.js";
import { cleanEnv, repoRoot, runCli, tempDir } from "./helpers/cli.js";

// add on projects managed by Poetry and by Pipenv (test/fixtures/add-python/poetry-fastmcp, pipenv-sdk): the user's
// own install first (the lock file and the virtual environment they have), then `add --yes --steps` with its install
// through the project's manager, the before/after table, the self-check in both eras, the dependency lines in the
// manager's own format, idempotence, the next steps run as printed, and the undo lines run as printed.
// .ci/run installs both tools (pinned, from PyPI); where one is missing the test skips and says so.

const has = async (tool: string) => (await execa(tool, ["--version"], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
const hasPoetry = await has("poetry");
const hasPipenv = await has("pipenv");

/**
 * Caches in the repository's .cache, virtual environments in the test's folder: nothing left in $HOME. Pipenv's in the
 * project (.venv, PIPENV_VENV_IN_PROJECT); Poetry's outside it, as Poetry's default keeps them (the test's
 * POETRY_VIRTUALENVS_PATH): add must find an environment that is not .venv.
 */
const baseEnv = cleanEnv({
  POETRY_VIRTUALENVS_IN_PROJECT: "false",
  POETRY_NO_INTERACTION: "1",
  POETRY_CACHE_DIR: process.env.POETRY_CACHE_DIR ?? path.join(repoRoot, ".cache", "poetry"),
  PIPENV_VENV_IN_PROJECT: "1",
  PIPENV_NOSPIN: "1",
  PIPENV_YES: "1",
  PIPENV_CACHE_DIR: process.env.PIPENV_CACHE_DIR ?? path.join(repoRoot, ".cache", "pipenv"),
  PIP_CACHE_DIR: process.env.PIP_CACHE_DIR ?? path.join(repoRoot, ".cache", "pip"),
  VIRTUALENV_OVERRIDE_APP_DATA: path.join(repoRoot, ".cache", "virtualenv"),
  PYTHON_KEYRING_BACKEND: "keyring.backends.null.Keyring",
});

const snapshot = (root: string) => snapshotOf(root, [".git", ".venv", "__pycache__", ".pytest_cache"]);
const unwrapped = (text: string): string => text.replace(/\n[ \t]+/g, " ");

interface AddDoc {
  ok: boolean;
  detected: Record<string, unknown>;
  steps: { command: string; before: string; after: string; verdict: string }[] | null;
  check: { summary: { failed: number; passed: number } } | null;
}

/** The lines of the "Next steps" note (its box and indentation taken off), up to the end of the note. */
function nextStepsOf(text: string): string[] {
  const lines = text.split("\n").map((l) => l.replace(/^[│|]\s?/, "").replace(/\s*[│|]$/, ""));
  const from = lines.findIndex((l) => /Next steps/.test(l));
  expect(from, text).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > from && /^[└╰+-]─*/.test(l.trim()));
  return lines.slice(from + 1, end === -1 ? undefined : end);
}

/** The indented command lines after the line matching `heading`, their backslash continuations joined. */
function commandsAfter(lines: string[], heading: RegExp): string {
  const at = lines.findIndex((l) => heading.test(l.trim()));
  expect(at, lines.join("\n")).toBeGreaterThanOrEqual(0);
  const indent = (l: string) => /^\s*/.exec(l)?.[0].length ?? 0;
  const out: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === "" || indent(line) <= indent(lines[at] as string)) break;
    out.push(line.trim());
  }
  return out.join("\n").replace(/\s*\\\n\s*/g, " ");
}

/** Runs the printed start command in sh until the server answers on `port`; its answer to an unauthenticated call. */
async function startAsPrinted(
  command: string,
  cwd: string,
  port: number,
  env: Record<string, string>,
): Promise<{ status: number; challenge: string | null; log: string }> {
  const server = spawn("sh", ["-c", command], {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...env, PORT: String(port) },
  });
  let log = "";
  server.stdout.on("data", (b) => (log += b));
  server.stderr.on("data", (b) => (log += b));
  try {
    for (let i = 0; i < 600; i++) {
      const answer = await fetch(`http://127.0.0.1:${port}/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      }).catch(() => undefined);
      if (answer) return { status: answer.status, challenge: answer.headers.get("www-authenticate"), log };
      if (server.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { status: 0, challenge: null, log };
  } finally {
    if (server.pid) process.kill(-server.pid, "SIGTERM");
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function git(cwd: string, ...args: string[]) {
  await execa("git", args, {
    cwd,
    env: {
      ...baseEnv,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  });
}

describe("add on Python projects managed by Poetry and Pipenv", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-add-python-managers-");
  });
  afterAll(() => work.cleanup());

  it.skipIf(!hasPoetry)(
    "Poetry ([tool.poetry], FastMCP 4): poetry lock and install, --steps green, self-check in both eras, [tool.poetry.dependencies] lines, idempotent, next steps and undo as printed (poetry not installed: .ci/run installs it)",
    async () => {
      const root = await copyFixtureOf("poetry-fastmcp", path.join(work.dir, "poetry"), "add-python");
      const env = { ...baseEnv, POETRY_VIRTUALENVS_PATH: path.join(work.dir, "poetry-venvs") };
      // The user's state before add: installed with Poetry (its lock file written), committed.
      const own = await execa("poetry", ["install"], { cwd: root, env, reject: false, all: true });
      expect(own.exitCode, own.all).toBe(0);
      await git(root, "init", "-q");
      await git(root, "add", "-A");
      await git(root, "commit", "-qm", "before add");
      const lockBefore = await readFile(path.join(root, "poetry.lock"), "utf8");

      const run = await runCli(["add", ".", "--yes", "--steps", "--json", "--scopes", "save_recipe=recipes:write"], { env, cwd: root });
      const doc = JSON.parse(run.stdout) as AddDoc;
      expect(doc.ok, run.stderr.slice(-6000)).toBe(true);
      expect(doc.detected).toMatchObject({ packageManager: "poetry", start: "poetry run recipes-mcp" });
      expect(run.stderr).toMatch(/Installing dependencies \(poetry lock && poetry install\)/);
      expect(doc.steps?.map((s) => [s.command, s.before, s.after, s.verdict])).toEqual([["poetry run pytest -q", "pass", "pass", "green"]]);
      expect(doc.check?.summary.failed).toBe(0);
      expect(run.stderr).toMatch(/Protocol eras: 2025 accepted, 2026-07-28 accepted/);
      expect(unwrapped(run.stderr)).toMatch(/403 insufficient_scope, scope="recipes:write"/);
      const pyproject = await readFile(path.join(root, "pyproject.toml"), "utf8");
      expect(pyproject).toContain(
        'fastmcp = ">=4.2,<5"\npyjwt = { version = ">=2.10,<3", extras = ["crypto"] }\nhttpx = ">=0.28,<1"\npython-dotenv = ">=1.1,<2"\n\n[tool.poetry.group.dev.dependencies]',
      );
      expect(existsSync(path.join(root, ".venv"))).toBe(false);
      const lockAfter = await readFile(path.join(root, "poetry.lock"), "utf8");
      expect(lockAfter).not.toBe(lockBefore);
      expect(lockAfter).toMatch(/^name = "pyjwt"$/m);

      // A second run changes nothing and installs nothing.
      const files = await snapshot(root);
      const again = await runCli(["add", root, "--yes", "--no-check", "--scopes", "save_recipe=recipes:write"], { env });
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/Nothing to change/);
      expect(again.stdout).not.toMatch(/Installing/);
      expect(await snapshot(root)).toEqual(files);

      // The next steps, as printed: the start command serves the MCP endpoint behind the auth.
      const steps = nextStepsOf(run.stderr);
      const start = commandsAfter(steps, /^Start the server/);
      expect(start).toBe("poetry run recipes-mcp");
      const port = await freePort();
      const answer = await startAsPrinted(start, root, port, env);
      expect(answer.status, answer.log).toBe(401);
      expect(answer.challenge).toMatch(/^Bearer .*resource_metadata=/);

      // The undo lines, as printed, give back the project as it was, its lock file included.
      const undo = commandsAfter(steps, /^Undo:/);
      const undone = await execa("sh", ["-c", undo], { cwd: root, env, reject: false, all: true });
      expect(undone.exitCode, `${undo}\n${undone.all}`).toBe(0);
      const status = await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: root });
      expect(status.stdout.split("\n").filter((l) => l && !/\.venv|__pycache__|\.pytest_cache|\.env$/.test(l))).toEqual([]);
    },
    1_200_000,
  );

  it.skipIf(!hasPipenv)(
    "Pipenv (Pipfile, the SDK's MCPServer 2.x): pipenv install --dev relocks, --steps green, self-check in both eras, [packages] lines, idempotent, next steps and undo as printed (pipenv not installed: .ci/run installs it)",
    async () => {
      const root = await copyFixtureOf("pipenv-sdk", path.join(work.dir, "pipenv"), "add-python");
      const env = baseEnv;
      const own = await execa("pipenv", ["install", "--dev"], { cwd: root, env, reject: false, all: true });
      expect(own.exitCode, own.all).toBe(0);
      await git(root, "init", "-q");
      await git(root, "add", "-A");
      await git(root, "commit", "-qm", "before add");
      const lockBefore = await readFile(path.join(root, "Pipfile.lock"), "utf8");

      const run = await runCli(["add", ".", "--yes", "--steps", "--json", "--scopes", "add_term=glossary:write"], { env, cwd: root });
      const doc = JSON.parse(run.stdout) as AddDoc;
      expect(doc.ok, run.stderr.slice(-6000)).toBe(true);
      expect(doc.detected).toMatchObject({ packageManager: "pipenv", start: "pipenv run python server.py" });
      expect(run.stderr).toMatch(/Installing dependencies \(pipenv install --dev\)/);
      expect(doc.steps?.map((s) => [s.command, s.before, s.after, s.verdict])).toEqual([["pipenv run pytest -q", "pass", "pass", "green"]]);
      expect(doc.check?.summary.failed).toBe(0);
      expect(run.stderr).toMatch(/Protocol eras: 2025 accepted, 2026-07-28 accepted/);
      expect(unwrapped(run.stderr)).toMatch(/403 insufficient_scope, scope="glossary:write"/);
      const pipfile = await readFile(path.join(root, "Pipfile"), "utf8");
      expect(pipfile).toContain(
        '[packages]\nmcp = ">=2.3,<3"\npyjwt = { version = ">=2.10,<3", extras = ["crypto"] }\nhttpx = ">=0.28,<1"\npython-dotenv = ">=1.1,<2"\n\n[dev-packages]',
      );
      const lockAfter = JSON.parse(await readFile(path.join(root, "Pipfile.lock"), "utf8")) as { default: Record<string, unknown> };
      expect(lockAfter.default).toHaveProperty("pyjwt");
      expect(JSON.stringify(lockAfter)).not.toBe(JSON.stringify(JSON.parse(lockBefore)));

      const files = await snapshot(root);
      const again = await runCli(["add", root, "--yes", "--no-check", "--scopes", "add_term=glossary:write"], { env });
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/Nothing to change/);
      expect(again.stdout).not.toMatch(/Installing/);
      expect(await snapshot(root)).toEqual(files);

      const steps = nextStepsOf(run.stderr);
      const start = commandsAfter(steps, /^Start the server/);
      expect(start).toBe("pipenv run python server.py");
      const port = await freePort();
      const answer = await startAsPrinted(start, root, port, env);
      expect(answer.status, answer.log).toBe(401);
      expect(answer.challenge).toMatch(/^Bearer .*resource_metadata=/);

      const undo = commandsAfter(steps, /^Undo:/);
      const undone = await execa("sh", ["-c", undo], { cwd: root, env, reject: false, all: true });
      expect(undone.exitCode, `${undo}\n${undone.all}`).toBe(0);
      const status = await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: root });
      expect(status.stdout.split("\n").filter((l) => l && !/\.venv|__pycache__|\.pytest_cache|\.env$/.test(l))).toEqual([]);
    },
    1_200_000,
  );
});
