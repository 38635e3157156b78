/**
 * Writes every change or none. Each new content is written to a temporary
 * file beside its target first; then the targets are replaced by renames
 * (atomic per file, on the same file system), the originals kept as backups
 * until the last rename. A failure, or Ctrl-C, before that point puts every
 * original back and removes every new file and folder: the tree is as it was.
 */
import { copyFileSync, existsSync, linkSync, readFileSync, renameSync, rmdirSync, rmSync, statSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { CliError, EXIT } from "../core/errors.js";
import { missingAncestors } from "../create/write.js";

export interface FileChange {
  /** Relative to the project root, `/`-separated. */
  path: string;
  /** The content it had when planned; undefined: a new file. */
  before: string | undefined;
  after: string;
  /** Mode of a new file; an existing file keeps its own. */
  mode: number;
}

export async function applyChanges(
  root: string,
  changes: FileChange[],
  hooks: { beforeCommit?: (index: number) => void } = {},
): Promise<void> {
  const tag = `.cma-${process.pid}-${Date.now().toString(36)}`;
  const staged: { target: string; temp: string; backup?: string; existed: boolean }[] = [];
  const createdDirs: string[] = [];
  const committed: number[] = [];
  let finished = false;

  const rollback = () => {
    if (finished) return;
    finished = true;
    // Synchronous on purpose: it may run from a signal handler right before exit.
    for (const index of [...committed].reverse()) {
      const entry = staged[index]!;
      try {
        if (entry.backup) renameSync(entry.backup, entry.target);
        else rmSync(entry.target, { force: true });
      } catch {
        // best effort: keep going, so everything else is restored
      }
    }
    for (const entry of staged) {
      rmSync(entry.temp, { force: true });
      if (entry.backup) rmSync(entry.backup, { force: true });
    }
    for (const dir of [...createdDirs].reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty or already gone
      }
    }
  };
  const onSignal = () => {
    rollback();
    process.exit(EXIT.cancelled);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    // The tree must still be what the plan saw.
    for (const change of changes) {
      const target = path.join(root, change.path);
      const current = existsSync(target) ? readFileSync(target, "utf8") : undefined;
      if (current !== change.before) {
        throw new CliError(`${change.path} changed while add was running; nothing was written, run add again`, EXIT.usage);
      }
    }
    for (const change of changes) {
      const target = path.join(root, change.path);
      for (const dir of missingAncestors(path.dirname(target))) {
        await mkdir(dir);
        createdDirs.push(dir);
      }
      const existed = change.before !== undefined;
      const temp = `${target}${tag}.tmp`;
      const entry: (typeof staged)[number] = { target, temp, existed };
      staged.push(entry);
      const mode = existed ? statSync(target).mode & 0o7777 : change.mode;
      await writeFile(temp, change.after, { mode });
      await chmod(temp, mode); // writeFile's mode is masked by umask
      if (existed) {
        entry.backup = `${target}${tag}.bak`;
        try {
          linkSync(target, entry.backup);
        } catch {
          copyFileSync(target, entry.backup);
        }
      }
    }
    for (let i = 0; i < staged.length; i++) {
      hooks.beforeCommit?.(i);
      renameSync(staged[i]!.temp, staged[i]!.target);
      committed.push(i);
    }
    finished = true;
    for (const entry of staged) if (entry.backup) rmSync(entry.backup, { force: true });
  } catch (error) {
    rollback();
    throw error;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}
