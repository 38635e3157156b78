/**
 * What `add` holds against a hostile repository, in one place: reading the
 * project's files safely (src/core/fs-safe.ts) as exact text or as raw
 * bytes, package.json checked for the shape add relies on, bounds on what it
 * reads and on --scopes, and every failure mapped to the contract's exit
 * codes (2 input, 3 environment) with what to do.
 */
import { type Dirent, existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { CliError, usageError } from "../core/errors.js";
import { decodeText, fsError, readProjectBytes, realProjectRoot, specialKind, UnsafeProjectPath, withoutBom } from "../core/fs-safe.js";
import { printable } from "../core/printable.js";
import type { FileChange } from "./apply.js";
import type { PackageJson } from "./detect.js";

/** The largest source file add parses while looking for the app, routes and tools; larger ones are skipped and counted. */
export const MAX_SOURCE_BYTES = 1024 * 1024;
/** All the source add parses, at most: parsed, a file takes tens of times its size in memory. */
export const MAX_SOURCE_TOTAL = 4 * 1024 * 1024;
/** The largest file add reads whole when told to (--entry) or must edit (package.json, .env, ...). */
export const MAX_NAMED_BYTES = 8 * 1024 * 1024;
/** Deepest nesting of package.json add accepts (npm's own files nest a few levels). */
const MAX_JSON_DEPTH = 64;
/** --scopes: tools, and characters of the whole value. */
export const MAX_SCOPED_TOOLS = 1000;
const MAX_SCOPES_CHARS = 64 * 1024;
/** A tool name: MCP allows 1-128 characters. */
const MAX_TOOL_NAME = 128;

/**
 * git as add runs it in a repository it does not know: the repository's own
 * config cannot make `git status` run a program (core.fsmonitor), and a git
 * that hangs is given up on.
 */
export const SAFE_GIT = ["-c", "core.fsmonitor=false"];
export const GIT_TIMEOUT_MS = 15_000;

/** Files add reads or writes at the project's top level: a special file there is refused before anything else runs. */
const TOP_LEVEL = ["package.json", ".env", ".env.example", ".gitignore", "tsconfig.json", "package-lock.json", "pnpm-workspace.yaml"];

/**
 * Checks made before add reads anything: the project is not inside
 * node_modules, and the files it reads by name are not pipes, devices or
 * sockets (git and the readers would block on a pipe).
 */
export function checkProjectRoot(root: string): void {
  if (!existsSync(root)) return; // said as "has no package.json" by the caller
  const real = realProjectRoot(root);
  for (const name of TOP_LEVEL) {
    const kind = specialKind(real, name);
    if (kind) throw new UnsafeProjectPath(name, `is ${kind}; add reads and writes only regular files (replace it with one)`);
  }
}

/** The exact text of a project file (undefined: none); refused when it is not a regular UTF-8 file inside the project. */
export function readText(root: string, rel: string, limit = MAX_NAMED_BYTES): string | undefined {
  const file = readProjectBytes(realProjectRoot(root), rel, limit);
  return file && decodeText(rel, file.bytes);
}

/** An .env-style file, never decoded: `text` has one character per byte (latin1), so nothing in it can change. */
export interface RawText {
  text: string;
  bytes: Buffer;
}

export function readRaw(root: string, rel: string): RawText | undefined {
  const file = readProjectBytes(realProjectRoot(root), rel, MAX_NAMED_BYTES);
  return file && { text: file.bytes.toString("latin1"), bytes: file.bytes };
}

/**
 * The change of an .env-style file that add only appends to: the bytes are
 * the original ones followed by the appended text in UTF-8; the text is for
 * the diff.
 */
export function appendedChange(rel: string, raw: RawText | undefined, after: string, mode: number): FileChange {
  const prefix = raw?.text ?? "";
  if (!after.startsWith(prefix)) throw new Error(`${rel}: add only appends to this file`);
  const added = after.slice(prefix.length);
  const before = raw?.bytes.toString("utf8");
  return {
    path: rel,
    before,
    after: `${before ?? ""}${added}`,
    mode,
    bytes: { before: raw?.bytes, after: Buffer.concat([raw?.bytes ?? Buffer.alloc(0), Buffer.from(added, "utf8")]) },
  };
}

function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** What in package.json add relies on, checked: a message per field that is not what npm expects. */
function packageJsonProblems(data: unknown): string[] {
  if (!isObject(data)) return ["it is not a JSON object"];
  const problems: string[] = [];
  for (const field of ["name", "type", "main"]) {
    if (field in data && typeof data[field] !== "string") problems.push(`"${field}" is not a string`);
  }
  for (const field of ["scripts", "dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]) {
    if (!(field in data)) continue;
    const value = data[field];
    if (!isObject(value) || Object.values(value).some((v) => typeof v !== "string"))
      problems.push(`"${field}" is not an object of strings`);
  }
  if ("workspaces" in data) {
    const w = data.workspaces;
    const list = isObject(w) ? w.packages : w;
    if (list !== undefined && !(Array.isArray(list) && list.every((item) => typeof item === "string")))
      problems.push('"workspaces" is not a list of folder patterns');
  }
  return problems;
}

/** package.json of `root` (undefined: none), read safely, its byte-order mark kept in `text`, its shape checked. */
export function loadPackageJson(root: string): PackageJson | undefined {
  const text = readText(root, "package.json");
  if (text === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(withoutBom(text));
  } catch (error) {
    throw usageError(`package.json is not valid JSON (${(error as Error).message}); fix it, then run add again`);
  }
  if (depthOf(data) > MAX_JSON_DEPTH)
    throw usageError(`package.json nests deeper than ${MAX_JSON_DEPTH} levels; add does not edit it. Flatten it, then run add again`);
  const problems = packageJsonProblems(data);
  if (problems.length > 0)
    throw usageError(`package.json is not what npm expects: ${problems.join("; ")}. Fix it, then run add again. Nothing was written.`);
  return { path: path.join(root, "package.json"), text, data: data as PackageJson["data"] };
}

/** --scopes within bounds: a message when it is too large, before it is parsed. */
export function scopesBoundProblem(value: string): string | undefined {
  const items = value.split(",").filter((item) => item.trim() !== "");
  if (items.length > MAX_SCOPED_TOOLS) return `--scopes names ${items.length} tools; add takes at most ${MAX_SCOPED_TOOLS}`;
  if (value.length > MAX_SCOPES_CHARS)
    return `--scopes is ${value.length} characters; add takes at most ${MAX_SCOPES_CHARS} (${MAX_SCOPED_TOOLS} tools)`;
  for (const item of items) {
    const tool = item.slice(0, Math.max(0, item.indexOf("="))).trim();
    if (tool.length > MAX_TOOL_NAME)
      return `--scopes: a tool name is ${tool.length} characters; MCP tool names have at most ${MAX_TOOL_NAME}`;
    if (/[\u0000-\u001f\u007f-\u009f]/.test(tool)) return "--scopes: a tool name holds control characters";
  }
  return undefined;
}

/**
 * Any failure of add as the contract's exit code: file-system errors say what
 * to do (exit 3, or 2 for what the repository holds), a file nested too deep
 * for the parsers is exit 2; CliErrors pass through.
 */
export function addFailure(error: unknown): unknown {
  if (error instanceof CliError) return error;
  const e = error as NodeJS.ErrnoException;
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return usageError(
      "a file of the project nests too deeply for add to read (maximum call stack size exceeded); pass the entry with --entry, or simplify that file",
    );
  if (typeof e?.code === "string" && e.code.startsWith("E")) {
    const mapped = fsError(error, e.path ?? "a file of the project");
    if (mapped instanceof CliError) return mapped;
  }
  return error;
}

/** Entries add looks at while listing sources, at most: a tree larger than this is not walked further. */
const MAX_WALKED = 50_000;

export interface SourceListing {
  /** The sources to parse, in a stable order: `--entry` first when given. */
  texts: { rel: string; code: string }[];
  /** One line per group of files not read, with why (printed as warnings). */
  skipped: string[];
}

/**
 * The project's source files as exact text: at most `maxFiles`, each up to
 * MAX_SOURCE_BYTES and valid UTF-8, found without following links. What is
 * left out is counted and said. The file named with --entry is read whole
 * (up to MAX_NAMED_BYTES) wherever it is, or refused by name.
 */
export function readSourceTexts(
  root: string,
  options: { skipDirs: Set<string>; isSourceName: (name: string) => boolean; maxFiles: number; entry?: string },
): SourceListing {
  const realRoot = realProjectRoot(root);
  const rels: string[] = [];
  let beyond = 0;
  let walked = 0;
  let truncated = false;
  const visit = (dir: string, prefix: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      throw fsError(error, prefix || ".");
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (++walked > MAX_WALKED) {
        truncated = true;
        return;
      }
      if (entry.name.startsWith(".")) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!options.skipDirs.has(entry.name)) visit(path.join(dir, entry.name), rel);
      } else if (entry.isFile() && options.isSourceName(entry.name)) {
        if (rel === options.entry) continue; // read whole below, wherever it is
        if (rels.length < options.maxFiles) rels.push(rel);
        else beyond++;
      }
    }
  };
  visit(realRoot, "");

  const texts: SourceListing["texts"] = [];
  const skipped: string[] = [];
  const entry = options.entry;
  if (entry !== undefined) {
    const file = readProjectBytes(realRoot, entry, MAX_NAMED_BYTES);
    if (!file) throw usageError(`--entry ${entry}: no such file in the project`);
    texts.push({ rel: entry, code: decodeText(entry, file.bytes) });
  }
  const large: string[] = [];
  const notUtf8: string[] = [];
  let total = texts[0]?.code.length ?? 0;
  let overBudget = 0;
  for (const rel of rels) {
    let file: ReturnType<typeof readProjectBytes>;
    try {
      file = readProjectBytes(realRoot, rel, MAX_SOURCE_BYTES);
    } catch (error) {
      if (!(error instanceof UnsafeProjectPath)) throw error;
      (/ add reads files up to /.test(error.reason) ? large : notUtf8).push(`${rel} (${error.reason.split(";")[0]})`);
      continue;
    }
    if (!file) continue; // gone since the listing
    if (total + file.bytes.length > MAX_SOURCE_TOTAL) {
      overBudget++;
      continue;
    }
    total += file.bytes.length;
    try {
      texts.push({ rel, code: decodeText(rel, file.bytes) });
    } catch {
      notUtf8.push(`${rel} (not valid UTF-8)`);
    }
  }
  if (large.length > 0)
    skipped.push(
      `${large.length} source file${large.length === 1 ? "" : "s"} over ${MAX_SOURCE_BYTES / 1024 / 1024} MB not read: ${large.slice(0, 5).join(", ")}${large.length > 5 ? ", ..." : ""} (name the app's file with --entry to have it read whole)`,
    );
  if (notUtf8.length > 0)
    skipped.push(`${notUtf8.length} source file${notUtf8.length === 1 ? "" : "s"} not read: ${notUtf8.slice(0, 5).join(", ")}`);
  if (overBudget > 0)
    skipped.push(
      `${overBudget} source file${overBudget === 1 ? "" : "s"} not read: add parses at most ${MAX_SOURCE_TOTAL / 1024 / 1024} MB of source (name the app's file with --entry if it is not found)`,
    );
  if (beyond > 0 || truncated)
    skipped.push(
      `${beyond}${truncated ? "+" : ""} more source file${beyond === 1 ? "" : "s"} not read: add reads the first ${options.maxFiles} (name the app's file with --entry if it is not found)`,
    );
  return { texts, skipped };
}

/**
 * Text built from the project's names (files, tools, routes, code lines) made
 * safe to print: every control character escaped by the one helper
 * (printable), lines and tabs kept, so a repository can neither drive the
 * terminal nor hide a line of the diff.
 */
export function printableLines(text: string): string {
  return text
    .split("\n")
    .map((line) => line.split("\t").map(printable).join("\t"))
    .join("\n");
}
