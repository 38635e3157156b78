import { execFileSync } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AddJournal, applyChanges } from "../src/add/apply.js";
import { appendedChange, readRaw } from "../src/add/guard.js";
import { decodeText, readProjectBytes, realProjectRoot, resolveInProject, UnsafeProjectPath } from "../src/core/fs-safe.js";
import { tempDir } from "./helpers/cli.js";
import { tree } from "./helpers/hostile.js";

describe("fs-safe: paths stay inside the project, reads are bounded and exact", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let root: string;
  beforeEach(async () => {
    work = await tempDir("cma-fs-safe-");
    root = path.join(work.dir, "p");
    await mkdir(path.join(root, "src"), { recursive: true });
    await mkdir(path.join(work.dir, "out"));
  });
  afterEach(() => work.cleanup());

  it("follows a link inside the project, refuses one out of it, into node_modules, dangling or looping", async () => {
    const real = realProjectRoot(root);
    await symlink("src", path.join(root, "lib"));
    expect(resolveInProject(real, "lib/a.js")).toBe(path.join(real, "src/a.js"));
    await symlink(path.join(work.dir, "out"), path.join(root, "out"));
    expect(() => resolveInProject(real, "out/a.js")).toThrow(/out is a symbolic link to .*out, outside the project/);
    await mkdir(path.join(root, "node_modules/x"), { recursive: true });
    await symlink("node_modules/x", path.join(root, "nm"));
    expect(() => resolveInProject(real, "nm/a.js")).toThrow(/nm leads into node_modules/);
    await symlink("nowhere", path.join(root, "gone"));
    expect(() => resolveInProject(real, "gone")).toThrow(/does not exist/);
    await symlink("loop", path.join(root, "loop"));
    expect(() => resolveInProject(real, "loop/a")).toThrow(/loop of symbolic links/);
    expect(() => resolveInProject(real, "../p/src/a.js")).toThrow(UnsafeProjectPath);
  });

  it("reads a named pipe never (refused at once), a file over the limit never, and bytes as they are", async () => {
    const real = realProjectRoot(root);
    execFileSync("mkfifo", [path.join(root, "pipe")]);
    expect(() => readProjectBytes(real, "pipe", 1024)).toThrow(/pipe is a named pipe/);
    await writeFile(path.join(root, "big"), Buffer.alloc(2048));
    expect(() => readProjectBytes(real, "big", 1024)).toThrow(/big is 2 KB; add reads files up to 1 KB/);
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xff, 0x0d, 0x0a]);
    await writeFile(path.join(root, "raw"), bytes);
    expect(readProjectBytes(real, "raw", 1024)?.bytes.equals(bytes)).toBe(true);
    expect(readProjectBytes(real, "absent", 1024)).toBeUndefined();
  });

  it("decodes UTF-8 exactly (a BOM kept) and names the first byte that is not UTF-8", () => {
    const bom = Buffer.from("\ufeffconst a = 1;\r\n", "utf8");
    expect(Buffer.from(decodeText("a.js", bom), "utf8").equals(bom)).toBe(true);
    expect(() => decodeText("b.js", Buffer.from([0x61, 0x62, 0xc3, 0xa9, 0x63, 0xe4, 0x64]))).toThrow(
      /b\.js is not valid UTF-8 \(byte 5\)/,
    );
  });

  it("an .env-style file is appended to without decoding it", async () => {
    const original = Buffer.from("DB_PASS=p\xe4ss\xff\n", "latin1");
    await writeFile(path.join(root, ".env"), original);
    const raw = readRaw(root, ".env");
    const change = appendedChange(".env", raw, `${raw!.text}A="\u00e9"\n`, 0o600);
    await applyChanges(root, [change]);
    expect(await readFile(path.join(root, ".env"))).toEqual(Buffer.concat([original, Buffer.from('A="\u00e9"\n', "utf8")]));
  });

  it("the journal takes back the writes and an install: files, folders, lockfile and new entries", async () => {
    await writeFile(path.join(root, "a.js"), "old\n");
    await writeFile(path.join(root, "package-lock.json"), "{}\n");
    const before = tree(root);
    const journal = new AddJournal(root);
    await applyChanges(
      root,
      [
        { path: "a.js", before: "old\n", after: "new\n", mode: 0o644 },
        { path: "src/auth/b.js", before: undefined, after: "b\n", mode: 0o644 },
      ],
      { journal },
    );
    journal.beforeInstall([root]);
    await writeFile(path.join(root, "package-lock.json"), '{"changed":true}\n');
    await mkdir(path.join(root, "node_modules/jose"), { recursive: true });
    expect(journal.undo()).toMatch(/restored 1 file, removed 2 new files and folders; the project is as it was/);
    const after = tree(root);
    expect([...after.keys()]).toEqual([...before.keys()]);
    expect(await readFile(path.join(root, "a.js"), "utf8")).toBe("old\n");
    expect(await readFile(path.join(root, "package-lock.json"), "utf8")).toBe("{}\n");
  });
});
