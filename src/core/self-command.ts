/**
 * How a user reaches this create-mcp-auth again from a fresh shell: the one
 * command prefix that every command line the CLI prints or writes starts with
 * (the generated project's issuer / token / check scripts, its README and
 * .env comments, the last screens, the issuer's banner, add's next steps).
 *
 * It is pinned to this copy of the CLI, the one that wrote the project:
 * - from the registry (npx, npm create, a global or project install):
 *   `npx -y create-mcp-auth@<version>`;
 * - from an `npm pack` tarball (npx or an install of the file):
 *   `npx -y --package=<abs tarball> create-mcp-auth`;
 * - from a clone or an `npm link` (not inside node_modules, once symlinks are
 *   resolved): `node <abs clone>/bin/create-mcp-auth.js`.
 * `npx -y create-mcp-auth@<version>` for a version that is not published is
 * a 404, so the other two never fall back to it.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { VERSION } from "../version.js";
import { shWord } from "./literals.js";

export const PACKAGE_NAME = "create-mcp-auth";

export type SelfSource =
  | { kind: "registry"; version: string }
  | { kind: "tarball"; file: string }
  /** A clone, an `npm link`, or an installed copy whose tarball is gone: run its bin with node. */
  | { kind: "path"; root: string };

/** The folder of this create-mcp-auth's package.json (dist/cli.js, a chunk of dist/, or src/ from a clone). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = realpathSync(path.dirname(from));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && readJson(manifest)?.name === PACKAGE_NAME) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`${PACKAGE_NAME}: its package.json was not found above ${from}`);
    dir = parent;
  }
}

/**
 * Where the package at `root` came from. Inside node_modules, npm's lockfile
 * of the tree that holds it says (npx's own tree in its cache has one too):
 * `resolved` is a registry URL, or `file:` and a tarball path relative to
 * that tree. Anything else inside node_modules (pnpm, yarn, bun) is taken as
 * the registry's.
 */
export function selfSource(root: string, version: string = VERSION): SelfSource {
  const parts = root.split(path.sep);
  const first = parts.indexOf("node_modules");
  if (first < 0) return { kind: "path", root };
  const tree = parts.slice(0, first).join(path.sep) || path.sep;
  const key = parts.slice(first).join("/");
  for (const lockfile of ["node_modules/.package-lock.json", "package-lock.json", "npm-shrinkwrap.json"]) {
    const entry = (readJson(path.join(tree, lockfile))?.packages as Record<string, { resolved?: unknown }> | undefined)?.[key];
    if (typeof entry?.resolved !== "string") continue;
    if (!entry.resolved.startsWith("file:")) break;
    const file = path.resolve(tree, entry.resolved.slice("file:".length));
    if (/\.t(ar\.)?gz$/.test(file) && existsSync(file)) return { kind: "tarball", file };
    return { kind: "path", root };
  }
  return { kind: "registry", version };
}

/** The command prefix for a source, every part one POSIX shell word. */
export function commandFor(source: SelfSource): string {
  switch (source.kind) {
    case "registry":
      return `npx -y ${shWord(`${PACKAGE_NAME}@${source.version}`)}`;
    case "tarball":
      return `npx -y ${shWord(`--package=${source.file}`)} ${PACKAGE_NAME}`;
    case "path":
      return `node ${shWord(path.join(source.root, "bin", `${PACKAGE_NAME}.js`))}`;
  }
}

let cached: string | undefined;

/** This CLI as a command a fresh shell runs, e.g. `npx -y create-mcp-auth@0.1.0`. */
export function selfCommand(): string {
  cached ??= commandFor(selfSource(packageRoot()));
  return cached;
}

/**
 * What selfCommand() answers from now on in this process. For the build only
 * (src/create/precomputed-auth.ts's precomputeAll, run by scripts/build.mjs):
 * the form it ships holds a marker there, never a path of the build machine.
 */
export function answerSelfCommandWith(command: string): void {
  cached = command;
}

/** `selfCommand()` followed by arguments, each one shell word: `selfCommandLine("issuer", "token")`. */
export function selfCommandLine(...args: string[]): string {
  return [selfCommand(), ...args.map(shWord)].join(" ");
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
