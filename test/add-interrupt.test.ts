import { existsSync, readFileSync } from "node:fs";
import { chmod, cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv, cliBin, repoRoot, tempDir } from "./helpers/cli.js";
import { processesIn, sameTree, tree } from "./helpers/hostile.js";

/**
 * Issue 22.3: Ctrl-C (SIGINT) or SIGTERM at any stage of `add` (writing,
 * install, self-check) stops the child processes with their process groups,
 * puts the project back as it was (replaced files restored byte for byte, new
 * files, folders and the lockfile's changes taken back), prints one line and
 * exits 130: the run create uses (src/core/interrupt.ts). Each stage is
 * reached deterministically: a fake `npm` on PATH that starts and waits, and a
 * preload that slows add's writes.
 */
const bin = process.env.CMA_CLI_BIN ?? cliBin;
let tools: { dir: string; cleanup: () => Promise<void> };
let pids: string;

/** npm install: changes the lockfile, fills node_modules, then (SLOW_INSTALL) waits with a child; npm start: a server that never answers. */
const FAKE_NPM = `#!/bin/sh
case "$1" in
  install)
    mkdir -p node_modules/jose
    echo '{"lockfileVersion":3,"changed":true}' > package-lock.json
    echo "$$" > "$CMA_TEST_PIDS/install"
    if [ -n "$SLOW_INSTALL" ]; then
      sleep 600 &
      echo "$!" > "$CMA_TEST_PIDS/install-child"
      wait
    fi
    ;;
  *)
    echo "$$" > "$CMA_TEST_PIDS/start"
    sleep 600 &
    echo "$!" > "$CMA_TEST_PIDS/start-child"
    wait
    ;;
esac
`;

/** Slows add's writes of its temporary files, so a signal lands while the project is being written. */
const SLOW_WRITES = `
import fs from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
const writeFile = fs.writeFile;
let announced = false;
fs.writeFile = async (...args) => {
  if (String(args[0]).includes('.cma-')) {
    if (!announced) { announced = true; process.stderr.write('SLOW-WRITES-STARTED\\n'); }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return writeFile(...args);
};
syncBuiltinESMExports();
`;

/** A git that hangs at its first call (add asks git about the repository before it plans). */
const FAKE_GIT = `#!/bin/sh
echo "$$" > "$CMA_TEST_PIDS/git"
exec sleep 600
`;

beforeAll(async () => {
  tools = await tempDir("cma-add-interrupt-tools-");
  pids = path.join(tools.dir, "pids");
  await mkdir(pids);
  await mkdir(path.join(tools.dir, "bin"));
  await writeFile(path.join(tools.dir, "bin/npm"), FAKE_NPM);
  await chmod(path.join(tools.dir, "bin/npm"), 0o755);
  await mkdir(path.join(tools.dir, "git-slow"));
  await writeFile(path.join(tools.dir, "git-slow/git"), FAKE_GIT);
  await chmod(path.join(tools.dir, "git-slow/git"), 0o755);
  await writeFile(path.join(tools.dir, "slow-writes.mjs"), SLOW_WRITES);
});
afterAll(() => tools.cleanup());

function running(pid: number): boolean {
  try {
    // A zombie (killed, not yet reaped by its new parent) runs no more.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Whether `pid` still runs a moment after add exited (a killed process may take a few ms to go). */
async function alive(pid: number | undefined): Promise<boolean> {
  if (!pid) return false;
  for (let i = 0; i < 20 && running(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return running(pid);
}

async function pidOf(name: string): Promise<number | undefined> {
  try {
    return Number((await readFile(path.join(pids, name), "utf8")).trim());
  } catch {
    return undefined;
  }
}

async function waitFor(test: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("add interrupted at any stage (issue 22.3)", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let root: string;
  beforeEach(async () => {
    await rm(pids, { recursive: true, force: true });
    await mkdir(pids);
    work = await tempDir("cma-add-interrupt-");
    root = path.join(work.dir, "project");
    await cp(path.join(repoRoot, "test/fixtures/add/express-cjs"), root, { recursive: true });
    await writeFile(path.join(root, "package-lock.json"), '{"lockfileVersion":3}\n');
    await writeFile(path.join(root, ".env"), Buffer.from("DB_PASS=p\xe4ss\xff\n", "latin1"));
    return () => work.cleanup();
  });

  async function interrupt(options: {
    signal: NodeJS.Signals;
    args: string[];
    env?: Record<string, string>;
    when: () => boolean;
    json?: boolean;
    slowGit?: boolean;
  }) {
    const before = tree(root);
    const child = execa(process.execPath, [bin, "add", root, ...options.args, ...(options.json ? ["--json"] : [])], {
      reject: false,
      stdin: "ignore",
      extendEnv: false,
      timeout: 60_000,
      env: cleanEnv({
        PATH: [
          ...(options.slowGit ? [path.join(tools.dir, "git-slow")] : []),
          path.join(tools.dir, "bin"),
          path.dirname(process.execPath),
          "/usr/bin",
          "/bin",
        ].join(":"),
        CMA_TEST_PIDS: pids,
        ...options.env,
      }),
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitFor(() => options.when() || stderr.includes("SLOW-WRITES-STARTED") === true, "the stage");
    process.kill(child.pid!, options.signal);
    const run = await child;
    // The human text goes to stdout (stderr with --json).
    const output = options.json ? String(run.stderr) : `${run.stdout}\n${run.stderr}`;
    expect(run.exitCode, output).toBe(130);
    // One line says what happened.
    expect(output.split("\n").filter((line) => /Cancelled/.test(line))).toHaveLength(1);
    expect(output).toMatch(new RegExp(`Cancelled \\(${options.signal}\\): [^\\n]*`));
    expect(output).not.toMatch(/unexpected error/);
    // The project as it was, byte for byte: replaced files restored, new files and folders removed, the lockfile back.
    const after = tree(root);
    expect([...after.keys()].filter((rel) => !before.has(rel))).toEqual([]);
    expect(sameTree(before, after)).toBe(true);
    expect(processesIn(root)).toEqual([]);
    return { output, stdout: String(run.stdout) };
  }

  it("SIGTERM before anything is written (add asking git about the repository): one line, exit 130, nothing written", async () => {
    const { output } = await interrupt({
      signal: "SIGTERM",
      args: ["--yes", "--no-install", "--no-check", "--scopes", "get_forecast=weather:read"],
      slowGit: true,
      when: () => existsSync(path.join(pids, "git")),
    });
    expect(output).toMatch(/Cancelled \(SIGTERM\): nothing was written/);
    expect(await alive(await pidOf("git"))).toBe(false);
  });

  it("SIGINT while the files are being written: every original back, nothing new", async () => {
    await interrupt({
      signal: "SIGINT",
      args: ["--yes", "--no-install", "--no-check", "--scopes", "get_forecast=weather:read", "--server-url", "http://localhost:3000/mcp"],
      env: { NODE_OPTIONS: `--import=${path.join(tools.dir, "slow-writes.mjs")}` },
      when: () => false,
    });
  });

  it("SIGINT during the install: npm and its children stopped, the written files and the lockfile's change taken back", async () => {
    const { output } = await interrupt({
      signal: "SIGINT",
      args: ["--yes", "--no-check", "--scopes", "get_forecast=weather:read", "--server-url", "http://localhost:3000/mcp"],
      env: { SLOW_INSTALL: "1" },
      when: () => existsSync(path.join(pids, "install-child")),
    });
    expect(output).toMatch(/restored \d+ files/);
    expect(await alive(await pidOf("install"))).toBe(false);
    expect(await alive(await pidOf("install-child"))).toBe(false);
  });

  it("SIGTERM during the install: the same, and --json prints one document with exit code 130", async () => {
    const { stdout } = await interrupt({
      signal: "SIGTERM",
      args: ["--yes", "--no-check", "--scopes", "get_forecast=weather:read"],
      env: { SLOW_INSTALL: "1" },
      when: () => existsSync(path.join(pids, "install-child")),
      json: true,
    });
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, exitCode: 130 });
    expect(await alive(await pidOf("install-child"))).toBe(false);
  });

  it("SIGINT during the self-check: the project's server stopped with its group, everything taken back", async () => {
    await interrupt({
      signal: "SIGINT",
      args: ["--yes", "--scopes", "get_forecast=weather:read"],
      when: () => existsSync(path.join(pids, "start-child")),
    });
    expect(await alive(await pidOf("start"))).toBe(false);
    expect(await alive(await pidOf("start-child"))).toBe(false);
  });

  it("SIGTERM during the self-check: the same", async () => {
    await interrupt({
      signal: "SIGTERM",
      args: ["--yes", "--scopes", "get_forecast=weather:read", "--server-url", "http://localhost:3000/mcp"],
      when: () => existsSync(path.join(pids, "start-child")),
    });
    expect(await alive(await pidOf("start-child"))).toBe(false);
  });
});
