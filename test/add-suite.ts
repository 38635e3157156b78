/**
 * The end-to-end row for one `add` fixture (test/fixtures/add/<name>), as a
 * user would run it: the built CLI on a copy of the project in a git
 * repository, a real install, the project's own start command, the full
 * self-check. Each fixture has its own test file calling this, so vitest runs
 * two at a time on two cores.
 */

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedLines } from "../src/add/diff.js";
import { startIssuer } from "../src/issuer/index.js";
import { startProjectServer } from "../src/selfcheck.js";
import { cleanEnv, repoRoot, runCli, tempDir } from "./helpers/cli.js";
import { EXPECTED_PROBES, installEnv, type ProbeRow } from "./helpers/project.js";

export interface FixtureOptions {
  /** Folder under test/fixtures/add/. */
  fixture: string;
  /** The project inside the fixture, when it is a workspace member (e.g. packages/mcp-server). */
  project?: string;
  /** --scopes: at least two scoped tools, so the step-up probe has a narrower grant to start from. */
  scopes: string;
  /** --provider (default scalekit): oidc runs the self-check against the issuer's oidc layout. */
  provider?: "scalekit" | "oidc";
  /** Existing files add must modify (relative to the fixture), and nothing else. */
  modifies: string[];
  /** Lines of those files add may remove (the fix of a reused McpServer moves lines); none by default. */
  removes?: string[];
  typescript?: boolean;
  /** The project has tests of its own (`npm test`). */
  ownTests?: boolean;
  /** Fixture-specific tests on the secured, installed project, after the common ones. */
  more?: (root: () => string) => void;
}

export interface AddDocument {
  ok: boolean;
  exitCode: number;
  changed: boolean;
  dryRun: boolean;
  files: { path: string; action: "create" | "modify" }[];
  authDir: string;
  diff: string;
  installed: boolean;
  detected: Record<string, unknown>;
  check: { results: ProbeRow[]; summary: { failed: number } } | null;
  manual: unknown[];
}

/** Every file of a tree with its content hash, without the folders named in `skip` (by default node_modules and .git). */
export async function snapshot(root: string, skip: readonly string[] = ["node_modules", ".git"]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const visit = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (skip.includes(entry.name)) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path.join(dir, entry.name), rel);
      else
        files.set(
          rel,
          createHash("sha256")
            .update(await readFile(path.join(dir, entry.name)))
            .digest("hex"),
        );
    }
  };
  await visit(root, "");
  return files;
}

/** `fixture`, a folder of test/fixtures/<fixtures>, copied into `into` and committed to a new git repository. */
export async function copyFixture(fixture: string, into: string, fixtures = "add"): Promise<string> {
  const dest = path.join(into, fixture);
  await cp(path.join(repoRoot, "test/fixtures", fixtures, fixture), dest, { recursive: true });
  const git = (...args: string[]) =>
    execa("git", args, {
      cwd: dest,
      env: cleanEnv({
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
      }),
    });
  await git("init", "-q");
  await git("add", "-A");
  await git("commit", "-qm", "fixture");
  return dest;
}

export function parseDocument(stdout: string, stderr: string): AddDocument {
  try {
    return JSON.parse(stdout) as AddDocument;
  } catch {
    throw new Error(`add did not print one JSON document:\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

export function addFixtureSuite(options: FixtureOptions): void {
  const provider = options.provider ? ["--provider", options.provider] : [];
  describe(`add on ${options.fixture}${options.project ? ` (${options.project})` : ""}${options.provider ? ` with --provider ${options.provider}` : ""}`, () => {
    let work: { dir: string; cleanup: () => Promise<void> };
    let fixtureRoot: string;
    let root: string;
    let original: Map<string, string>;
    const originalText = new Map<string, string>();
    let afterFirst: Map<string, string>;

    beforeAll(async () => {
      work = await tempDir(`cma-add-${options.fixture}-`);
      fixtureRoot = await copyFixture(options.fixture, work.dir);
      root = options.project ? path.join(fixtureRoot, options.project) : fixtureRoot;
      original = await snapshot(fixtureRoot);
      for (const rel of original.keys()) originalText.set(rel, await readFile(path.join(fixtureRoot, rel), "utf8"));
    });
    afterAll(() => work.cleanup());

    it("--dry-run prints a unified diff of every change and writes nothing", async () => {
      const run = await runCli(["add", root, "--dry-run", ...provider, "--scopes", options.scopes]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^\+\+\+ b\/.*auth\/mcp-auth\.[cm]?[jt]s$/m);
      for (const rel of options.modifies) expect(run.stdout).toContain(`--- a/${path.posix.relative(options.project ?? ".", rel)}`);
      expect(await snapshot(fixtureRoot)).toEqual(original);
    });

    it("add --yes installs, starts the project with its own start command, and the full self-check passes", async () => {
      const run = await runCli(["add", root, "--yes", "--json", "--no-steps", ...provider, "--scopes", options.scopes], {
        env: installEnv(),
      });
      const doc = parseDocument(run.stdout, run.stderr);
      const failures = (doc.check?.results ?? []).filter((r) => r.status === "fail").map((r) => `${r.id}: ${r.reason}`);
      expect(failures, run.stderr).toEqual([]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(doc.ok).toBe(true);
      expect(doc.installed).toBe(true);
      expect(doc.check, run.stderr).not.toBeNull();
      expect(doc.check!.results.map((r) => r.id)).toEqual(expect.arrayContaining(EXPECTED_PROBES));
      afterFirst = await snapshot(fixtureRoot);
    }, 600_000);

    it("changes only what it must: existing files keep every byte outside the inserted lines", async () => {
      const prefix = options.project ? `${options.project}/` : "";
      const now = await snapshot(fixtureRoot);
      const modified = [...original.keys()].filter((rel) => now.get(rel) !== original.get(rel)).sort();
      expect(modified).toEqual([...options.modifies].sort());
      const removed: string[] = [];
      for (const rel of modified) {
        const { removed: lines } = changedLines(originalText.get(rel)!, await readFile(path.join(fixtureRoot, rel), "utf8"));
        removed.push(...lines);
      }
      expect(removed).toEqual(options.removes ?? []);
      // New files: the auth folder, .env.example, AUTH.md, and what the install and build leave (lockfile, dist).
      const created = [...now.keys()].filter((rel) => !original.has(rel));
      const unexpected = created.filter(
        (rel) =>
          !rel.startsWith(`${prefix}src/auth/`) &&
          !rel.startsWith(`${prefix}auth/`) &&
          ![`${prefix}.env.example`, `${prefix}AUTH.md`, "package-lock.json"].includes(rel) &&
          !rel.includes("dist/"),
      );
      expect(unexpected).toEqual([]);
    });

    it(`configures the ${options.provider ?? "scalekit"} provider: its variables in .env.example, its verifier in the auth folder`, async () => {
      const example = await readFile(path.join(root, ".env.example"), "utf8");
      // Next to the app's file: src/auth, auth, or dist/auth for a package that ships only its build output.
      const authDir = path.join(root, ["src/auth", "dist/auth"].find((dir) => existsSync(path.join(root, dir))) ?? "auth");
      const files = await readdir(authDir);
      if (options.provider === "oidc") {
        expect(example).toMatch(/^OIDC_ISSUER_URL=/m);
        expect(example).not.toMatch(/SCALEKIT_/);
        expect(files.some((f) => f.startsWith("discovery."))).toBe(true);
      } else {
        expect(example).toMatch(/^SCALEKIT_ENVIRONMENT_URL=/m);
        expect(example).not.toMatch(/OIDC_/);
        expect(files.some((f) => f.startsWith("discovery."))).toBe(false);
      }
      // Scalekit's management API client is not part of what add writes.
      expect(files.some((f) => f.startsWith("scalekit."))).toBe(false);
    });

    if (options.typescript) {
      it("typechecks with tsc --noEmit", async () => {
        const tsc = await execa("npx", ["--no-install", "tsc", "--noEmit"], { cwd: root, reject: false, all: true, env: installEnv() });
        expect(tsc.exitCode, String(tsc.all)).toBe(0);
      }, 300_000);
    }

    if (options.ownTests) {
      it("the project's own tests still pass", async () => {
        const test = await execa("npm", ["test"], { cwd: root, reject: false, all: true, env: installEnv() });
        expect(test.exitCode, String(test.all)).toBe(0);
      }, 300_000);
    }

    options.more?.(() => root);

    it("a second add changes nothing, and says so", async () => {
      const run = await runCli(["add", root, "--yes", "--json", "--no-check", "--no-steps", ...provider, "--scopes", options.scopes], {
        env: installEnv(),
      });
      const doc = parseDocument(run.stdout, run.stderr);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(doc.changed).toBe(false);
      expect(doc.files).toEqual([]);
      expect(run.stderr).toMatch(/Nothing to change/);
      expect(await snapshot(fixtureRoot)).toEqual(afterFirst);
    }, 300_000);
  });
}

/**
 * For a fixture with helmet and a 100/min rate limit on /mcp: the auth step runs
 * after both, so 120 bad-token requests get 429 once the limit is hit, and the
 * 401s carry helmet's headers (with the auth step first: 120 x 401, no helmet headers).
 */
export function limitBeforeAuthSuite(root: () => string): void {
  it("the auth step runs after helmet and the rate limit: 120 bad-token requests get 429 once the limit is hit, the 401s carry helmet's headers", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true });
    const server = await startProjectServer(root(), issuer, { start: { command: { file: "npm", args: ["start"] }, mcpPath: "/mcp" } });
    try {
      await server.ready();
      const statuses: number[] = [];
      let challenge: Response | undefined;
      for (let i = 0; i < 120; i++) {
        const response = await fetch(server.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: "Bearer not-a-token",
          },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
        });
        await response.arrayBuffer();
        statuses.push(response.status);
        if (response.status === 401) challenge ??= response;
      }
      // The server's readiness probe may have used a request or two of the window.
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(100);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20);
      expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
      expect(statuses.indexOf(429)).toBeGreaterThan(statuses.lastIndexOf(401));
      expect(challenge!.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(challenge!.headers.get("x-content-type-options")).toBe("nosniff");
      expect(challenge!.headers.get("content-security-policy")).toBeTruthy();
    } finally {
      await server.stop();
      await issuer.close();
    }
  }, 120_000);
}

/**
 * The fixture's own node:test tests create the app without the auth variables (so they load);
 * the one calling /mcp without a token is listed by add and passes after the step AUTH.md
 * describes (a token from startTestAuth), whatever the provider.
 */
export function ownTestsSuite(root: () => string): void {
  it("the project's own tests create the app without the auth variables; the one calling /mcp without a token passes after the documented step (startTestAuth)", async () => {
    const before = await execa("npm", ["test"], { cwd: root(), reject: false, all: true, env: installEnv() });
    // The app is created and /health answers: only the MCP call lacks a token.
    expect(String(before.all)).toMatch(/ok \d+ - health answers/);
    expect(String(before.all)).toMatch(/not ok \d+ - lists the tools over MCP/);
    const doc = parseDocument((await runCli(["add", root(), "--dry-run", "--json"])).stdout, "") as unknown as {
      detected: { tokenlessTests: { file: string }[] };
    };
    expect(doc.detected.tokenlessTests.map((t) => t.file)).toEqual(["test/app.test.js"]);
    const authMd = await readFile(path.join(root(), "AUTH.md"), "utf8");
    expect(authMd).toMatch(/## Your own tests/);
    expect(authMd).toMatch(/startTestAuth/);
    // The step AUTH.md describes: a token from startTestAuth() on the MCP request.
    const file = path.join(root(), "test/app.test.js");
    const test = await readFile(file, "utf8");
    await writeFile(
      file,
      test
        .replace(
          'import { createApp } from "../src/app.js";',
          'import { createApp } from "../src/app.js";\nimport { startTestAuth } from "../src/auth/testing.js";\n\nconst auth = await startTestAuth();',
        )
        .replace("after(() => server.close());", "after(async () => {\n  server.close();\n  await auth.stop();\n});")
        .replace("    headers,\n", `    headers: { ...headers, Authorization: \`Bearer \${await auth.token()}\` },\n`),
    );
    const after = await execa("npm", ["test"], { cwd: root(), reject: false, all: true, env: installEnv() });
    await writeFile(file, test);
    expect(after.exitCode, String(after.all)).toBe(0);
  }, 300_000);
}

export { repoRoot };

/**
 * Servers that listen on their library's fixed port 8000 (no port variable the self-check could set) take turns
 * across the test files that vitest runs side by side (add-python and add-python-real): an exclusive lock file,
 * taken over when the process holding it is gone.
 */
export async function onPort8000<T>(fn: () => Promise<T>): Promise<T> {
  const lock = path.join(tmpdir(), "cma-add-python-port-8000.lock");
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(await readFile(lock, "utf8").catch(() => "0"));
      try {
        if (holder > 0) process.kill(holder, 0);
      } catch {
        await rm(lock, { force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
