import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { usageError } from "./errors.js";

/** A file of a rendered project, in memory. */
/** Orders files (or changes) by path, as every rendered tree is ordered: `files.sort(byPath)`. */
export function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export interface ProjectFile {
  /** Path relative to the project root, `/`-separated. */
  path: string;
  content: Buffer;
  /** File mode; `.env` is 0600 because it may hold a secret. */
  mode: number;
}

/** A directory counts as empty when it holds nothing, or only `.git`. */
export function isEmptyDirSync(dir: string): boolean {
  return readdirSync(dir).every((entry) => entry === ".git");
}

/** The same, asynchronously. */
export async function isEmptyDir(dir: string): Promise<boolean> {
  return isEmptyDirSync(dir);
}

/** Where the new values go when `.env` exists: never over the user's `.env`. */
export const ENV_NEW = ".env.new";

/**
 * What writing `files` into `root` would do to files that are already there.
 * A file counts as create-mcp-auth's own, unchanged output when its bytes are
 * exactly what this version renders for these answers: no manifest is kept in
 * the project, so nothing else can be known to be ours, and every other
 * existing file is the user's.
 */
export interface WritePlan {
  root: string;
  rootExisted: boolean;
  /** Files to write (new ones, and replacements once confirmed), `.env` already redirected. */
  files: ProjectFile[];
  /** Existing files with exactly the rendered content: left as they are. */
  unchanged: string[];
  /** Existing files that differ from the rendered ones: replaced only when the user confirms. */
  conflicts: string[];
  /** `.env` exists: its new version is written to `.env.new` (the user's is kept). */
  envRedirected: boolean;
}

function sameContent(file: string, content: Buffer): boolean {
  try {
    return readFileSync(file).equals(content);
  } catch {
    return false;
  }
}

/** Compares the rendered project with what `root` holds; refuses a path where a file must become a directory or the reverse. */
export function planWrite(root: string, rendered: ProjectFile[]): WritePlan {
  const rootExisted = existsSync(root);
  const plan: WritePlan = { root, rootExisted, files: [], unchanged: [], conflicts: [], envRedirected: false };
  if (!rootExisted) return { ...plan, files: rendered };
  const blocked: string[] = [];
  for (const original of rendered) {
    let file = original;
    if (file.path === ".env" && existsSync(path.join(root, ".env")) && !sameContent(path.join(root, ".env"), file.content)) {
      file = { ...file, path: ENV_NEW };
      plan.envRedirected = true;
    }
    const target = path.join(root, file.path);
    // Every parent must be a directory (or not exist yet).
    for (let dir = path.dirname(file.path); dir !== "."; dir = path.dirname(dir)) {
      const info = lstatIfAny(path.join(root, dir));
      if (info && !info.isDirectory()) blocked.push(`${dir} is a file, and the project needs a directory there (for ${file.path})`);
    }
    const info = lstatIfAny(target);
    if (!info) plan.files.push(file);
    else if (!info.isFile()) blocked.push(`${file.path} exists and is not a file`);
    else if (sameContent(target, file.content)) plan.unchanged.push(file.path);
    else {
      plan.conflicts.push(file.path);
      plan.files.push(file);
    }
  }
  if (blocked.length > 0)
    throw usageError(`cannot write the project into ${root}:\n${[...new Set(blocked)].map((b) => `  ${b}`).join("\n")}`);
  return plan;
}

/** Drops the conflicting files from the plan: the user's versions stay. */
export function keepConflicts(plan: WritePlan): WritePlan {
  const kept = new Set(plan.conflicts);
  return { ...plan, files: plan.files.filter((f) => !kept.has(f.path)) };
}

function lstatIfAny(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Everything a run created or replaced, so an interruption can take it back:
 * the target directory when it did not exist (with the parents made for it),
 * or, inside an existing directory, the files and directories it added, the
 * originals of files it replaced, and any new top-level entry (node_modules,
 * a lockfile, .git) made by the install or git.
 */
export class WriteJournal {
  readonly rootExisted: boolean;
  private readonly createdAncestors: string[];
  private readonly entriesBefore: Set<string>;
  private readonly createdFiles = new Set<string>();
  private readonly createdDirs = new Set<string>();
  private readonly replaced = new Map<string, { content: Buffer; mode: number }>();
  private staging: string | undefined;
  private touched = false;

  constructor(readonly root: string) {
    this.rootExisted = existsSync(root);
    this.createdAncestors = missingAncestors(path.dirname(root));
    this.entriesBefore = new Set(this.rootExisted ? readdirSync(root) : []);
  }

  /** The target existed and held files (`.git` aside) before the run. */
  get hadFiles(): boolean {
    return [...this.entriesBefore].some((entry) => entry !== ".git");
  }

  /** Whether anything was written yet. */
  get started(): boolean {
    return this.touched;
  }

  begin(): void {
    this.touched = true;
  }

  stagingAt(dir: string): void {
    this.staging = dir;
  }

  createdFile(rel: string): void {
    this.createdFiles.add(rel);
  }

  createdDir(rel: string): void {
    this.createdDirs.add(rel);
  }

  replacing(rel: string, content: Buffer, mode: number): void {
    if (!this.replaced.has(rel)) this.replaced.set(rel, { content, mode });
  }

  /** Undoes the run, synchronously (it runs right before the process exits). Returns a description of what was removed. */
  undo(): string {
    if (this.staging) rmSync(this.staging, { recursive: true, force: true });
    if (!this.rootExisted) {
      rmSync(this.createdAncestors[0] ?? this.root, { recursive: true, force: true });
      return this.touched ? `removed ${this.createdAncestors[0] ?? this.root}` : "nothing was written";
    }
    for (const [rel, original] of this.replaced) {
      const file = path.join(this.root, rel);
      writeFileSync(file, original.content);
      chmodSync(file, original.mode);
    }
    for (const rel of this.createdFiles) rmSync(path.join(this.root, rel), { force: true });
    for (const rel of [...this.createdDirs].sort((a, b) => b.length - a.length))
      rmSync(path.join(this.root, rel), { recursive: true, force: true });
    const added = existsSync(this.root) ? readdirSync(this.root).filter((entry) => !this.entriesBefore.has(entry)) : [];
    for (const entry of added) rmSync(path.join(this.root, entry), { recursive: true, force: true });
    if (!this.touched && added.length === 0) return "nothing was written";
    const restored = this.replaced.size > 0 ? `, restored ${this.replaced.size} replaced file${this.replaced.size === 1 ? "" : "s"}` : "";
    return `removed what this run added to ${this.root}${restored}; what was there before is as it was`;
  }
}

/** Directories that do not exist yet on the way to `dir`, outermost first. */
export function missingAncestors(dir: string): string[] {
  const missing: string[] = [];
  let current = path.resolve(dir);
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error("interrupted");
}

async function writeExact(dest: string, file: ProjectFile): Promise<void> {
  await writeFile(dest, file.content, { mode: file.mode });
  await chmod(dest, file.mode); // writeFile's mode is masked by umask
}

/**
 * Writes the files. Into a new directory: all of them into a hidden staging
 * directory beside it, which is then renamed into place, so the project
 * appears whole or not at all. Into an existing one: file by file (each
 * through a temporary name and a rename), recording in `journal` what is
 * created and the original of what is replaced. A failure takes back what
 * this call did; an interruption (`signal`) stops it between files, and the
 * caller undoes the journal.
 */
export async function writeProject(
  root: string,
  files: ProjectFile[],
  journal = new WriteJournal(root),
  signal?: AbortSignal,
): Promise<void> {
  journal.begin();
  try {
    if (!journal.rootExisted) await writeStaged(root, files, journal, signal);
    else await writeInPlace(root, files, journal, signal);
  } catch (error) {
    if (!signal?.aborted) journal.undo();
    throw error;
  }
}

/**
 * A new project, with synchronous calls: a few dozen small files take a
 * millisecond or two this way, where each asynchronous call waits for a
 * thread of the pool (on a busy machine, most of create's time). Every few
 * files, and before the rename, it yields to the event loop, so an
 * interruption is seen within a fraction of a millisecond and nothing is
 * renamed into place after it. Modes are what writeFileSync gives: the
 * file's mode less the user's umask (never wider than asked).
 */
const YIELD_EVERY = 8;

async function writeStaged(root: string, files: ProjectFile[], journal: WriteJournal, signal: AbortSignal | undefined): Promise<void> {
  const staging = path.join(path.dirname(root), `.${path.basename(root)}.create-mcp-auth-${process.pid}-${Date.now().toString(36)}`);
  journal.stagingAt(staging);
  throwIfAborted(signal);
  mkdirSync(staging, { recursive: true });
  const dirs = [...new Set(files.map((file) => path.dirname(path.join(staging, file.path))))].sort();
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  for (const [i, file] of files.entries()) {
    if (i % YIELD_EVERY === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      throwIfAborted(signal);
    }
    writeFileSync(path.join(staging, file.path), file.content, { mode: file.mode });
  }
  await new Promise((resolve) => setImmediate(resolve));
  throwIfAborted(signal);
  renameSync(staging, root);
}

async function writeInPlace(root: string, files: ProjectFile[], journal: WriteJournal, signal: AbortSignal | undefined): Promise<void> {
  for (const file of files) {
    throwIfAborted(signal);
    const dest = path.join(root, file.path);
    const rel = path.dirname(file.path);
    const parts = rel === "." ? [] : rel.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!existsSync(path.join(root, dir))) {
        journal.createdDir(dir);
        await mkdir(path.join(root, dir));
      }
    }
    if (existsSync(dest)) {
      const info = await stat(dest);
      journal.replacing(file.path, await readFile(dest), info.mode & 0o7777);
    } else {
      journal.createdFile(file.path);
    }
    const temporary = `${dest}.create-mcp-auth-${process.pid}`;
    journal.createdFile(path.relative(root, temporary).split(path.sep).join("/"));
    await writeExact(temporary, file);
    await rename(temporary, dest);
  }
}
