import { existsSync, rmSync, rmdirSync } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';
import type { ProjectFile } from './render.js';

/** A directory counts as empty when it holds nothing, or only `.git`. */
export async function isEmptyDir(dir: string): Promise<boolean> {
  const entries = await readdir(dir);
  return entries.every((entry) => entry === '.git');
}

/** Refuses a target that is a file, or a non-empty directory without --force. */
export async function checkTarget(root: string, dirForMessages: string, force: boolean): Promise<void> {
  if (!existsSync(root)) return;
  const info = await stat(root);
  if (!info.isDirectory()) throw usageError(`${dirForMessages} exists and is not a directory; choose another name`);
  if (!force && !(await isEmptyDir(root))) {
    throw usageError(`${dirForMessages} is not empty; choose another directory, or pass --force to write into it (files with the same names are replaced)`);
  }
}

/** Directories that do not exist yet on the way to `dir`, outermost first. */
function missingAncestors(dir: string): string[] {
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

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? path.join(prefix, entry.name) : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

/**
 * Writes the project atomically: every file goes into a hidden staging
 * directory beside the target, which is then renamed into place (or, for an
 * existing directory, moved file by file). A failure or Ctrl-C before the move
 * leaves nothing: the staging directory and any parent directories this call
 * created are removed.
 */
export async function writeProject(root: string, files: ProjectFile[]): Promise<void> {
  const created = missingAncestors(path.dirname(root));
  const targetExisted = existsSync(root);
  const parent = path.dirname(root);
  const staging = path.join(parent, `.${path.basename(root)}.create-mcp-auth-${process.pid}-${Date.now().toString(36)}`);

  let cleanedUp = false;
  const cleanup = () => {
    if (cleanedUp) return;
    cleanedUp = true;
    // Synchronous on purpose: it may run from a signal handler right before exit.
    rmSync(staging, { recursive: true, force: true });
    if (!targetExisted) rmSync(root, { recursive: true, force: true });
    for (const dir of [...created].reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty or already gone: leave it
      }
    }
  };
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await mkdir(staging, { recursive: true });
    const dirs = [...new Set(files.map((file) => path.dirname(path.join(staging, file.path))))].sort();
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    await Promise.all(
      files.map(async (file) => {
        const dest = path.join(staging, file.path);
        await writeFile(dest, file.content, { mode: file.mode });
        await chmod(dest, file.mode); // writeFile's mode is masked by umask
      }),
    );
    if (!targetExisted) {
      await rename(staging, root);
    } else {
      for (const rel of await walk(staging)) {
        const dest = path.join(root, rel);
        await mkdir(path.dirname(dest), { recursive: true });
        await rm(dest, { recursive: true, force: true });
        await rename(path.join(staging, rel), dest);
      }
      await rm(staging, { recursive: true, force: true });
    }
    cleanedUp = true;
  } catch (error) {
    cleanup();
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

