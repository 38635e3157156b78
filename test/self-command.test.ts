import { execFileSync } from "node:child_process";
import { mkdir, realpath, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandFor, packageRoot, selfCommand, selfCommandLine, selfSource } from "../src/core/self-command.js";
import { cleanEnv, repoRoot, tempDir } from "./helpers/cli.js";

/** The words `sh -c` makes of a command line (npm runs scripts with sh). */
function shWords(line: string): string[] {
  return execFileSync("sh", ["-c", `set -- ${line}; printf '%s\\0' "$@"`], { encoding: "utf8" })
    .split("\0")
    .slice(0, -1);
}

let work: { dir: string; cleanup: () => Promise<void> };
let base: string;
beforeAll(async () => {
  work = await tempDir("cma-self-");
  base = await realpath(work.dir);
});
afterAll(() => work.cleanup());

/** A copy of the package at <tree>/<key> (a package.json is all packageRoot needs), and the tree's npm lockfile. */
async function installed(tree: string, key: string, lock?: { file: string; resolved?: string }): Promise<string> {
  const root = path.join(tree, ...key.split("/"));
  await mkdir(path.join(root, "dist", "chunks"), { recursive: true });
  await writeFile(path.join(root, "package.json"), JSON.stringify({ name: "create-mcp-auth", version: "9.9.9" }));
  if (lock) {
    await mkdir(path.dirname(path.join(tree, lock.file)), { recursive: true });
    const entry = lock.resolved ? { version: "9.9.9", resolved: lock.resolved } : { version: "9.9.9" };
    await writeFile(path.join(tree, lock.file), JSON.stringify({ lockfileVersion: 3, packages: { [key]: entry } }));
  }
  return root;
}

describe("selfCommand: this CLI as a fresh shell reaches it", () => {
  it("finds the package root from the bundle, a chunk of it, or the source", async () => {
    const root = await installed(path.join(base, "root"), "node_modules/create-mcp-auth");
    expect(packageRoot(path.join(root, "dist", "cli.js"))).toBe(root);
    expect(packageRoot(path.join(root, "dist", "chunks", "check-X1.js"))).toBe(root);
    expect(packageRoot(path.join(repoRoot, "src", "core", "self-command.ts"))).toBe(await realpath(repoRoot));
  });

  it("from the registry (npx's cache, a project or a global install): npx -y create-mcp-auth@<version>", async () => {
    const npx = path.join(base, "_npx", "40e8cb79a58df957");
    const root = await installed(npx, "node_modules/create-mcp-auth", {
      file: "node_modules/.package-lock.json",
      resolved: "http://127.0.0.1:4873/create-mcp-auth/-/create-mcp-auth-9.9.9.tgz",
    });
    expect(selfSource(root, "9.9.9")).toEqual({ kind: "registry", version: "9.9.9" });
    // no lockfile (pnpm, yarn, bun): the registry's
    const pnpm = await installed(path.join(base, "pnpm"), "node_modules/.pnpm/create-mcp-auth@9.9.9/node_modules/create-mcp-auth");
    expect(selfSource(pnpm, "9.9.9")).toEqual({ kind: "registry", version: "9.9.9" });
    expect(commandFor({ kind: "registry", version: "9.9.9" })).toBe("npx -y create-mcp-auth@9.9.9");
  });

  it("from a tarball (npx or an install of the file): npx -y --package=<absolute tarball>, while the file exists", async () => {
    const tarball = path.join(base, "packs", "create-mcp-auth-9.9.9.tgz");
    await mkdir(path.dirname(tarball), { recursive: true });
    await writeFile(tarball, "");
    // npx writes the tree's lockfile with a path relative to the tree
    const tree = path.join(base, "cache", "_npx", "hash");
    const root = await installed(tree, "node_modules/create-mcp-auth", {
      file: "node_modules/.package-lock.json",
      resolved: `file:${path.relative(tree, tarball)}`,
    });
    expect(selfSource(root)).toEqual({ kind: "tarball", file: tarball });
    // a project's own package-lock.json, nested
    const project = path.join(base, "project");
    const nested = await installed(project, "node_modules/some-tool/node_modules/create-mcp-auth", {
      file: "package-lock.json",
      resolved: `file:${path.relative(project, tarball)}`,
    });
    expect(selfSource(nested)).toEqual({ kind: "tarball", file: tarball });
    // the tarball is gone: the installed copy itself
    const gone = await installed(path.join(base, "gone"), "node_modules/create-mcp-auth", {
      file: "node_modules/.package-lock.json",
      resolved: "file:../nowhere/create-mcp-auth-9.9.9.tgz",
    });
    expect(selfSource(gone)).toEqual({ kind: "path", root: gone });
    const spaced = commandFor({ kind: "tarball", file: "/tmp/my packs/create-mcp-auth-9.9.9.tgz" });
    expect(spaced).toBe("npx -y '--package=/tmp/my packs/create-mcp-auth-9.9.9.tgz' create-mcp-auth");
    expect(shWords(spaced)).toEqual(["npx", "-y", "--package=/tmp/my packs/create-mcp-auth-9.9.9.tgz", "create-mcp-auth"]);
  });

  it("from a clone or npm link (outside node_modules once symlinks are resolved): node <clone>/bin/create-mcp-auth.js", async () => {
    const clone = path.join(base, "src dir", "create-mcp-auth");
    await installed(clone, "");
    const link = path.join(base, "global", "lib", "node_modules", "create-mcp-auth");
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(clone, link);
    const root = packageRoot(path.join(link, "dist", "cli.js"));
    expect(root).toBe(clone);
    expect(selfSource(root)).toEqual({ kind: "path", root: clone });
    const command = commandFor(selfSource(root));
    expect(shWords(command)).toEqual(["node", path.join(clone, "bin", "create-mcp-auth.js")]);
  });

  it("here, from this clone: the command runs this CLI in a fresh shell, from any directory", async () => {
    expect(selfCommand()).toBe(`node ${path.join(await realpath(repoRoot), "bin", "create-mcp-auth.js")}`);
    expect(selfCommandLine("issuer", "token", "--scopes", "a b")).toBe(`${selfCommand()} issuer token --scopes 'a b'`);
    const r = await execa("sh", ["-c", `${selfCommand()} --version`], { cwd: base, env: cleanEnv(), extendEnv: false, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
