/** The project around the code: package.json, the workspace and package manager, and how the server is started. */
import { existsSync } from "node:fs";
import path from "node:path";
import type { PackageManager } from "../../core/package-managers.js";
import type { Language } from "../ast.js";
import { loadPackageJson, readText } from "../guard.js";
import { NOT_SERVING, NOT_SERVING_COMMAND } from "./sources.js";
import type { PackageJson, SourceFile, StartCommand } from "./types.js";

export async function readPackageJson(root: string): Promise<PackageJson | undefined> {
  return loadPackageJson(root);
}

export function allDependencies(pkg: PackageJson): Record<string, string> {
  const d = pkg.data;
  return { ...d.optionalDependencies, ...d.peerDependencies, ...d.devDependencies, ...d.dependencies };
}

const LOCKFILES: [file: string, pm: PackageManager][] = [
  ["package-lock.json", "npm"],
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
];

function lockfileManager(dir: string): PackageManager | undefined {
  return LOCKFILES.find(([file]) => existsSync(path.join(dir, file)))?.[1];
}

/**
 * The package manager (from the lockfile), and the workspace this project
 * belongs to: the nearest folder above whose package.json (or
 * pnpm-workspace.yaml) lists it. A lockfile of a folder that is not its
 * workspace root says nothing about this project.
 */
export async function findWorkspace(root: string): Promise<{ workspaceRoot: string | undefined; pm: PackageManager }> {
  const own = lockfileManager(root);
  let dir = path.dirname(root);
  while (!existsSync(path.join(root, ".git"))) {
    const globs = await workspaceGlobs(dir);
    if (globs?.some((glob) => globMatches(glob, path.relative(dir, root).split(path.sep).join("/")))) {
      return {
        workspaceRoot: dir,
        pm: own ?? lockfileManager(dir) ?? (existsSync(path.join(dir, "pnpm-workspace.yaml")) ? "pnpm" : "npm"),
      };
    }
    const parent = path.dirname(dir);
    if (parent === dir || existsSync(path.join(dir, ".git"))) break;
    dir = parent;
  }
  return { workspaceRoot: undefined, pm: own ?? "npm" };
}

async function workspaceGlobs(dir: string): Promise<string[] | undefined> {
  // Folders above the project: read safely, and what cannot be read says nothing.
  const read = (name: string) => {
    try {
      return readText(dir, name, 1024 * 1024);
    } catch {
      return undefined;
    }
  };
  const pnpm = read("pnpm-workspace.yaml");
  if (pnpm !== undefined) {
    // The `packages:` list of pnpm-workspace.yaml: "  - 'packages/*'" lines.
    return pnpm
      .split("\n")
      .map((line) => /^\s*-\s*['"]?([^'"#]+?)['"]?\s*(#.*)?$/.exec(line)?.[1])
      .filter((glob): glob is string => Boolean(glob));
  }
  const text = read("package.json");
  if (text === undefined) return undefined;
  try {
    const workspaces = (JSON.parse(text.replace(/^\uFEFF/, "")) as PackageJson["data"]).workspaces;
    return Array.isArray(workspaces) ? workspaces : workspaces?.packages;
  } catch {
    return undefined;
  }
}

/** npm workspace globs: `*` is one path segment, `**` any number. */
export function globMatches(glob: string, rel: string): boolean {
  const pattern = glob
    .replace(/^\.\//, "")
    .replace(/\/+$/, "")
    .split("/")
    .map((part) => (part === "**" ? ".*" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")))
    .join("/");
  return new RegExp(`^${pattern}$`).test(rel);
}

/**
 * Scripts that run the app's own file (`"start:http": "node dist/http.js"`):
 * a project whose `start` serves stdio often starts its HTTP server from a
 * script of its own, and that is the server add secures.
 */
function scriptsRunning(scripts: Record<string, string>, entry: SourceFile | undefined): string[] {
  if (!entry) return [];
  const file = entry.rel.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const runs = new RegExp(`(^|[\\s"'=])(\\./)?${file}(\\s|$|["'])`);
  return Object.keys(scripts).filter(
    (name) =>
      /^(start|dev|serve)\b/.test(name) &&
      !NOT_SERVING.test(name) &&
      !NOT_SERVING_COMMAND.test(scripts[name] ?? "") &&
      runs.test(scripts[name] ?? ""),
  );
}

export function startCommand(
  pkg: PackageJson,
  entry: SourceFile | undefined,
  language: Language,
  pm: PackageManager,
  deps: Record<string, string>,
  /** The project ships only its build output (dist/, build/): it runs as published, with nothing to build first. */
  compiled = false,
): StartCommand | undefined {
  const scripts = pkg.data.scripts ?? {};
  const run = (script: string) => ({ file: pm, args: pm === "npm" && script === "start" ? ["start"] : ["run", script] });
  const display = (script: string) => (pm === "npm" && script === "start" ? "npm start" : `${pm} run ${script}`);
  for (const script of [...scriptsRunning(scripts, entry), "start", "dev"]) {
    const command = scripts[script];
    // A script that runs the server under the MCP inspector (`npx @modelcontextprotocol/inspector node build/index.js`) does not serve it.
    if (!command || NOT_SERVING_COMMAND.test(command)) continue;
    const runsSource = /\b(tsx|ts-node|ts-node-dev|nodemon|bun|deno|fastmcp|--experimental-strip-types|--watch)\b/.test(command);
    const build = scripts.build && !runsSource && !compiled ? run("build") : undefined;
    return { display: build ? `${display("build")} && ${display(script)}` : display(script), ...(build ? { build } : {}), ...run(script) };
  }
  if (!entry) return undefined;
  if (language === "js") return { display: `node ${entry.rel}`, file: process.execPath, args: [entry.rel] };
  if ("tsx" in deps) return { display: `npx tsx ${entry.rel}`, file: "npx", args: ["tsx", entry.rel] };
  return undefined;
}
