import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, cliBin, runCli, tempDir } from "./helpers/cli.js";
import { drive } from "./helpers/pty.js";

/**
 * Issue 12.1: Ctrl-C (SIGINT) or SIGTERM at any stage after writing began
 * (render, install, git, self-check) stops the child processes, removes what
 * this run created (never what existed before), and exits 130 with one line.
 * Each stage is reached deterministically: a preload that slows file writes,
 * and fake `npm`, `git` and `tsx` on PATH that start and then wait.
 */
let tools: { dir: string; cleanup: () => Promise<void> };
let bin: string;
let pids: string;

const FAKE_NPM = `#!/bin/sh
# A package manager that starts a long download: it writes into the project, then waits.
mkdir -p node_modules/.fake
echo "$$" > "$CMA_TEST_PIDS/npm"
sleep 600 &
echo "$!" > "$CMA_TEST_PIDS/npm-child"
wait
`;

/** An install that succeeds at once with a "tsx" whose server never becomes ready. */
const FAKE_NPM_QUICK = `#!/bin/sh
mkdir -p node_modules/tsx
printf '{"name":"tsx","type":"module","exports":"./index.mjs"}' > node_modules/tsx/package.json
cat > node_modules/tsx/index.mjs <<'EOF'
import { writeFileSync } from 'node:fs';
writeFileSync(process.env.CMA_TEST_PIDS + '/server', String(process.pid));
setInterval(() => {}, 1000);
await new Promise(() => {});
EOF
`;

const FAKE_GIT = `#!/bin/sh
echo "$$" > "$CMA_TEST_PIDS/git"
sleep 600 &
echo "$!" > "$CMA_TEST_PIDS/git-child"
wait
`;

/** Slows every file write of the CLI (a new project's are synchronous), so Ctrl-C lands while the project is being written. */
const SLOW_WRITES = `
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const writeFile = fs.writeFile;
const writeFileSync = fsSync.writeFileSync;
let announced = false;
const announce = () => { if (!announced) { announced = true; process.stderr.write('SLOW-WRITES-STARTED\\n'); } };
fs.writeFile = async (...args) => {
  if (String(args[0]).includes('create-mcp-auth')) {
    announce();
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return writeFile(...args);
};
fsSync.writeFileSync = (...args) => {
  if (String(args[0]).includes('create-mcp-auth')) {
    announce();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
  }
  return writeFileSync(...args);
};
syncBuiltinESMExports();
`;

beforeAll(async () => {
  tools = await tempDir("cma-fake-tools-");
  pids = path.join(tools.dir, "pids");
  await mkdir(pids);
  for (const [name, script] of [
    ["npm-slow/npm", FAKE_NPM],
    ["npm-quick/npm", FAKE_NPM_QUICK],
    ["git-slow/git", FAKE_GIT],
  ] as const) {
    const file = path.join(tools.dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, script);
    await chmod(file, 0o755);
  }
  await writeFile(path.join(tools.dir, "slow-writes.mjs"), SLOW_WRITES);
  bin = path.dirname(process.execPath);
});
afterAll(() => tools.cleanup());

const pathWith = (fake: string) => [path.join(tools.dir, fake), bin, "/usr/bin", "/bin"].join(":");

async function readPid(name: string): Promise<number | undefined> {
  try {
    return Number((await readFile(path.join(pids, name), "utf8")).trim());
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForFile(file: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The CLI's pid under `script` (its only child, as the shell exec'd it). */
async function cliPid(child: ResultPromise): Promise<number> {
  const children = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, "utf8")).trim().split(/\s+/).map(Number);
  return children[0]!;
}

const ctrlC = "\x03";
const ONE_LINE = /Cancelled \(SIG(INT|TERM)\): [^\n]*\./;

describe("interrupted while writing the project", () => {
  it("Ctrl-C during the writes: exit 130, no project, no staging directory", async () => {
    const { exitCode, screen, files } = await drive([[/SLOW-WRITES-STARTED/, ctrlC]], "new-proj --yes --no-install --no-git --no-check", {
      env: { NODE_OPTIONS: `--import=${path.join(tools.dir, "slow-writes.mjs")}` },
    });
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(ONE_LINE);
    expect(files).toEqual([]);
  });

  it("Ctrl-C while writing into an existing directory (--force, replacing after a yes): originals back, nothing added", async () => {
    let after: string[] = [];
    let readme = "";
    const { exitCode, screen } = await drive(
      [
        [/Where should the project go/, "proj\r"],
        [/Authorization server/, "\r"],
        [/Replace them\?/, "\x1b[B\r"],
        [/SLOW-WRITES-STARTED/, ctrlC],
      ],
      "--force --framework express --scopes a:b,c:d --no-install --no-git --no-check",
      {
        env: { NODE_OPTIONS: `--import=${path.join(tools.dir, "slow-writes.mjs")}` },
        setup: async (dir) => {
          const seeded = await runCli(["proj", "--yes", "--no-install", "--no-git", "--no-check"], { cwd: dir });
          expect(seeded.exitCode, seeded.stderr).toBe(0);
          await writeFile(path.join(dir, "proj", "README.md"), "mine\n");
          await writeFile(path.join(dir, "proj", "NOTES.md"), "mine too\n");
        },
        inspect: async (dir) => {
          after = (await readdir(path.join(dir, "proj"))).sort();
          readme = await readFile(path.join(dir, "proj", "README.md"), "utf8");
        },
      },
    );
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(ONE_LINE);
    expect(readme).toBe("mine\n");
    expect(after).not.toContain(".env.new");
    expect(after).toContain("NOTES.md");
    expect(after.filter((f) => f.includes("create-mcp-auth"))).toEqual([]);
  });
});

describe("interrupted during the install", () => {
  it("Ctrl-C: the package manager and its children are stopped, the project is removed, exit 130", async () => {
    const { exitCode, screen, files } = await drive(
      [
        [
          /Installing dependencies with npm/,
          async (child) => {
            await waitForFile(path.join(pids, "npm-child"));
            child.stdin!.write(ctrlC);
          },
        ],
      ],
      "inst-proj --yes --no-git --no-check",
      { env: { PATH: pathWith("npm-slow"), CMA_TEST_PIDS: pids } },
    );
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(ONE_LINE);
    expect(screen).toMatch(/removed .*inst-proj/);
    expect(files).toEqual([]);
    expect(alive(await readPid("npm"))).toBe(false);
    expect(alive(await readPid("npm-child"))).toBe(false);
  });

  it("SIGTERM (not from the terminal): the same", async () => {
    await writeFile(path.join(pids, "npm-child"), "").catch(() => undefined);
    const { rm } = await import("node:fs/promises");
    await rm(path.join(pids, "npm-child"), { force: true });
    const { exitCode, screen, files } = await drive(
      [
        [
          /Installing dependencies with npm/,
          async (child) => {
            await waitForFile(path.join(pids, "npm-child"));
            process.kill(await cliPid(child), "SIGTERM");
          },
        ],
      ],
      "term-proj --yes --no-git --no-check",
      { env: { PATH: pathWith("npm-slow"), CMA_TEST_PIDS: pids } },
    );
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(/Cancelled \(SIGTERM\)/);
    expect(files).toEqual([]);
    expect(alive(await readPid("npm-child"))).toBe(false);
  });

  it("with --json and no terminal: exit 130 and one JSON document on stdout", async () => {
    const { rm } = await import("node:fs/promises");
    await rm(path.join(pids, "npm-child"), { force: true });
    const work = await tempDir("cma-json-int-");
    try {
      const child = execa(process.execPath, [cliBin, "json-proj", "--yes", "--json", "--no-git", "--no-check"], {
        cwd: work.dir,
        reject: false,
        extendEnv: false,
        env: cleanEnv({ PATH: pathWith("npm-slow"), CMA_TEST_PIDS: pids }),
      });
      await waitForFile(path.join(pids, "npm-child"));
      child.kill("SIGINT");
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(130);
      expect(JSON.parse(String(result.stdout))).toMatchObject({
        ok: false,
        exitCode: 130,
        error: expect.stringMatching(/Cancelled \(SIGINT\)/),
      });
      expect(await readdir(work.dir)).toEqual([]);
    } finally {
      await work.cleanup();
    }
  });
});

describe("interrupted during git", () => {
  it("Ctrl-C while git runs: git is stopped, the project is removed, exit 130", async () => {
    const { exitCode, screen, files } = await drive(
      [
        [
          /Wrote \d+ files/,
          async (child) => {
            await waitForFile(path.join(pids, "git-child"));
            child.stdin!.write(ctrlC);
          },
        ],
      ],
      "git-proj --yes --no-install --no-check",
      { env: { PATH: pathWith("git-slow"), CMA_TEST_PIDS: pids } },
    );
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(ONE_LINE);
    expect(files).toEqual([]);
    expect(alive(await readPid("git-child"))).toBe(false);
  });
});

describe("interrupted during the self-check", () => {
  it("Ctrl-C: the project's server is stopped, the project is removed, exit 130", async () => {
    const { exitCode, screen, files } = await drive(
      [
        [
          /Self-check/,
          async (child) => {
            await waitForFile(path.join(pids, "server"));
            child.stdin!.write(ctrlC);
          },
        ],
      ],
      "check-proj --yes --no-git",
      { env: { PATH: pathWith("npm-quick"), CMA_TEST_PIDS: pids } },
    );
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(ONE_LINE);
    expect(files).toEqual([]);
    expect(alive(await readPid("server"))).toBe(false);
  });
});

describe("a directory that existed before", () => {
  it("Ctrl-C during the install into an existing empty directory: the directory stays, empty", async () => {
    const { rm } = await import("node:fs/promises");
    await rm(path.join(pids, "npm-child"), { force: true });
    let left: string[] = ["?"];
    const { exitCode, screen, files } = await drive(
      [
        [
          /Installing dependencies with npm/,
          async (child) => {
            await waitForFile(path.join(pids, "npm-child"));
            child.stdin!.write(ctrlC);
          },
        ],
      ],
      "mine --yes --no-git --no-check",
      {
        env: { PATH: pathWith("npm-slow"), CMA_TEST_PIDS: pids },
        setup: async (dir) => mkdir(path.join(dir, "mine")),
        inspect: async (dir) => {
          left = await readdir(path.join(dir, "mine"));
        },
      },
    );
    expect(exitCode, screen).toBe(130);
    expect(files).toEqual(["mine"]);
    expect(left).toEqual([]);
  });
});
