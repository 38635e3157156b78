import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isEmptyDir, writeProject } from "../src/core/write.js";
import { targetProblem } from "../src/create/target.js";
import { tempDir } from "./helpers/cli.js";

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir();
});
afterAll(() => work.cleanup());

const file = (p: string, text = "x") => ({ path: p, content: Buffer.from(text), mode: 0o644 });

describe("writeProject", () => {
  it("a failure mid-write leaves nothing: no target, no staging dir, no created parents", async () => {
    const root = path.join(work.dir, "new-parent", "proj");
    // "a" is a file, so writing "a/b" fails after the first file is staged.
    await expect(writeProject(root, [file("a"), file("a/b")])).rejects.toThrow();
    expect(existsSync(path.join(work.dir, "new-parent"))).toBe(false);
    expect((await readdir(work.dir)).filter((n) => n.includes("create-mcp-auth"))).toEqual([]);
  });

  it("a failure into an existing directory leaves its files as they were", async () => {
    const root = path.join(work.dir, "existing");
    await mkdir(root);
    await writeFile(path.join(root, "mine.txt"), "keep");
    await expect(writeProject(root, [file("a"), file("a/b")])).rejects.toThrow();
    expect(await readdir(root)).toEqual(["mine.txt"]);
  });

  it("writes modes exactly (0600 survives the umask)", async () => {
    const root = path.join(work.dir, "modes");
    await writeProject(root, [{ path: ".env", content: Buffer.from("A=1\n"), mode: 0o600 }, file("src/x.ts")]);
    const { statSync } = await import("node:fs");
    expect(statSync(path.join(root, ".env")).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(root, "src/x.ts"))).toBe(true);
  });
});

describe("targetProblem", () => {
  it("refuses a file and a non-empty dir, accepts a dir with only .git", async () => {
    const f = path.join(work.dir, "plain-file");
    await writeFile(f, "");
    expect(targetProblem("plain-file", work.dir, false)?.message).toMatch(/not a directory/);
    const g = path.join(work.dir, "git-only");
    await mkdir(path.join(g, ".git"), { recursive: true });
    expect(await isEmptyDir(g)).toBe(true);
    expect(targetProblem("git-only", work.dir, false)).toBeUndefined();
    await writeFile(path.join(g, "x"), "");
    expect(targetProblem("git-only", work.dir, false)?.message).toMatch(/--force/);
    expect(targetProblem("git-only", work.dir, true)).toBeUndefined();
  });
});
