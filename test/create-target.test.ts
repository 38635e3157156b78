import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, cliBin, runCli, tempDir } from "./helpers/cli.js";
import { drive } from "./helpers/pty.js";

/**
 * Issue 12.2: the target directory is checked right after it is named, and
 * the package manager before any file is written; each failure exits 2 or 3
 * with the fix and leaves nothing on disk.
 */
let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("cma-target-");
});
afterAll(() => work.cleanup());

const FLAGS = ["--framework", "express", "--scopes", "a:b", "--no-git", "--no-check"];

describe("the target directory, from a flag", () => {
  it("a non-empty directory is refused before anything else, and left as it was", async () => {
    const root = path.join(work.dir, "busy");
    await mkdir(root);
    await writeFile(path.join(root, "mine.txt"), "x");
    const result = await runCli(["busy", "--yes", ...FLAGS, "--no-install"], { cwd: work.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/busy is not empty.*--force/);
    expect(await readdir(root)).toEqual(["mine.txt"]);
  });

  it("a file is refused", async () => {
    await writeFile(path.join(work.dir, "a-file"), "x");
    const result = await runCli(["a-file", "--yes", ...FLAGS], { cwd: work.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/a-file exists and is not a directory/);
  });

  it("a path through a file is refused", async () => {
    const result = await runCli(["a-file/inner", "--yes", ...FLAGS], { cwd: work.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/a-file is a file, not a directory/);
  });

  it("a directory inside another project's node_modules is refused", async () => {
    const result = await runCli(["other/node_modules/x", "--yes", ...FLAGS], { cwd: work.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/inside .*node_modules.*outside node_modules/);
    expect(existsSync(path.join(work.dir, "other"))).toBe(false);
  });

  it("a directory the user cannot write to exits 3 with the fix, before the install starts (run as nobody)", async () => {
    const locked = path.join(work.dir, "locked");
    await mkdir(locked);
    await chmod(work.dir, 0o755);
    await chmod(locked, 0o555);
    const setpriv = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    const result = await execa("setpriv", [...setpriv, process.execPath, cliBin, "locked/new-project", "--yes", ...FLAGS], {
      cwd: work.dir,
      reject: false,
      env: cleanEnv({ HOME: "/tmp" }),
      extendEnv: false,
    });
    expect(result.exitCode, String(result.stderr)).toBe(3);
    expect(String(result.stderr)).toMatch(/not writable \(EACCES\); choose a directory you can write to/);
    expect(await readdir(locked)).toEqual([]);
  });

  it("a missing package manager exits 3 before any file is written, naming the way out", async () => {
    const result = await runCli(["needs-pnpm", "--yes", "--pm", "pnpm", ...FLAGS], {
      cwd: work.dir,
      env: cleanEnv({ PATH: path.dirname(process.execPath) }),
    });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/pnpm is not installed or not on PATH.*--pm.*--no-install/);
    expect(existsSync(path.join(work.dir, "needs-pnpm"))).toBe(false);
  });

  it("--no-install needs no package manager", async () => {
    const result = await runCli(["no-pm-needed", "--yes", "--pm", "pnpm", ...FLAGS, "--no-install"], {
      cwd: work.dir,
      env: cleanEnv({ PATH: path.dirname(process.execPath) }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
  });
});

describe("the target directory, at the prompt", () => {
  it("an existing non-empty directory is refused at the directory question, before the framework is asked", async () => {
    const { exitCode, screen, files } = await drive(
      [
        [/Where should the project go/, "taken\r"],
        [/taken is not empty/, "\x03"],
      ],
      "",
      {
        setup: async (dir) => {
          await mkdir(path.join(dir, "taken"));
          await writeFile(path.join(dir, "taken", "keep.txt"), "x");
        },
      },
    );
    expect(exitCode, screen).toBe(130);
    expect(screen).not.toMatch(/Which framework/);
    expect(files).toEqual(["taken"]);
  });
});
