/**
 * Writes every change or none, as bytes, inside the project only. Each path
 * is resolved without following a link out of the project (a link inside it
 * is edited in place: its target gets the new bytes, the link stays); each
 * new content is written to a temporary file beside its target, created
 * exclusively, then renamed over the target. What was there is kept in an
 * AddJournal, so a failure, or Ctrl-C at any later stage of add (install,
 * self-check), puts every original back and removes every new file and
 * folder.
 */
import { existsSync, renameSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { CliError, EXIT } from "../core/errors.js";
import { fsError, readProjectBytes, realProjectRoot, resolveInProject } from "../core/fs-safe.js";
import { Interrupted } from "../core/subprocess.js";
import { AddJournal } from "./journal.js";

export { AddJournal };

export interface FileChange {
  /** Relative to the project root, `/`-separated. */
  path: string;
  /** The content it had when planned; undefined: a new file. */
  before: string | undefined;
  after: string;
  /** Mode of a new file; an existing file keeps its own. */
  mode: number;
  /**
   * The exact bytes, for a file edited without decoding it (.env-style files):
   * `before` / `after` above are then only for showing the diff.
   */
  bytes?: { before: Buffer | undefined; after: Buffer };
}

/** The largest file add replaces (its original is kept in memory until add ends). */
export const MAX_EDITED_BYTES = 8 * 1024 * 1024;

export function beforeBytes(change: FileChange): Buffer | undefined {
  if (change.bytes) return change.bytes.before;
  return change.before === undefined ? undefined : Buffer.from(change.before, "utf8");
}

export function afterBytes(change: FileChange): Buffer {
  return change.bytes ? change.bytes.after : Buffer.from(change.after, "utf8");
}

export async function applyChanges(
  root: string,
  changes: FileChange[],
  options: { beforeCommit?: (index: number) => void; journal?: AddJournal; signal?: AbortSignal } = {},
): Promise<void> {
  const realRoot = realProjectRoot(root);
  const journal = options.journal ?? new AddJournal(root);
  const own = !options.journal;
  const signal = options.signal;
  const tag = `.cma-${process.pid}-${Date.now().toString(36)}`;
  const staged: { rel: string; target: string; temp: string }[] = [];

  // Without a run around it (tests, library use), a signal still takes the changes back.
  const onSignal = () => {
    journal.undo();
    process.exit(EXIT.cancelled);
  };
  if (own) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  try {
    // The tree must still be what the plan saw; each target is resolved inside the project.
    const targets: { target: string; mode: number; original: Buffer | undefined }[] = [];
    for (const change of changes) {
      const current = readProjectBytes(realRoot, change.path, MAX_EDITED_BYTES);
      const expected = beforeBytes(change);
      if (!(current === undefined ? expected === undefined : expected !== undefined && current.bytes.equals(expected))) {
        throw new CliError(`${change.path} changed while add was running; nothing was written, run add again`, EXIT.usage);
      }
      const target = current?.real ?? resolveInProject(realRoot, change.path);
      targets.push({ target, mode: current?.mode ?? change.mode, original: current?.bytes });
    }
    journal.begin();
    for (const [i, change] of changes.entries()) {
      if (signal?.aborted) throw new Interrupted();
      const { target, mode, original } = targets[i]!;
      for (const dir of missingDirs(realRoot, path.dirname(target))) {
        await mkdir(dir).catch((error) => {
          throw fsError(error, path.relative(realRoot, dir));
        });
        journal.createdDir(dir);
      }
      const temp = `${target}${tag}.tmp`;
      journal.createdTemp(temp);
      staged.push({ rel: change.path, target, temp });
      try {
        // "wx": never through something that appeared under the temporary name.
        await writeFile(temp, afterBytes(change), { mode, flag: "wx" });
        await chmod(temp, mode); // writeFile's mode is masked by umask
      } catch (error) {
        throw fsError(error, change.path);
      }
      if (original) journal.replacing(target, original, mode);
      else journal.creating(target);
    }
    for (let i = 0; i < staged.length; i++) {
      if (signal?.aborted) throw new Interrupted();
      options.beforeCommit?.(i);
      try {
        renameSync(staged[i]!.temp, staged[i]!.target);
      } catch (error) {
        throw fsError(error, staged[i]!.rel);
      }
    }
    if (own) journal.commit();
  } catch (error) {
    // An interruption is undone by the run that owns the journal, once the stage settled.
    if (own || !signal?.aborted) journal.undo();
    throw error;
  } finally {
    if (own) {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    }
  }
}

/** Folders that do not exist yet on the way to `dir` (inside the project), outermost first. */
function missingDirs(realRoot: string, dir: string): string[] {
  const missing: string[] = [];
  for (let current = dir; current !== realRoot && !existsSync(current); current = path.dirname(current)) {
    missing.unshift(current);
    if (path.dirname(current) === current) break;
  }
  return missing;
}
