/**
 * Checks made before anything is written: the target directory (right after
 * it is named, before any other question) and the tools the run will need.
 * Synchronous, so a prompt can use them as its validator.
 */
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { type CliError, environmentError, usageError } from "../core/errors.js";
import { isEmptyDirSync } from "../core/write.js";

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? "unknown error";
}

/** The nearest ancestor of `dir` (or `dir` itself) that exists. */
function nearestExisting(dir: string): string {
  let current = dir;
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

function writable(dir: string): string | undefined {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    return code(error);
  }
}

/**
 * Why the project cannot go to `dir`, as the error to exit with (2: choose
 * another directory; 3: fix the environment), or undefined when it can.
 */
export function targetProblem(dir: string, cwd: string, force: boolean): CliError | undefined {
  const root = path.resolve(cwd, dir);
  const segments = root.split(path.sep);
  const modules = segments.indexOf("node_modules");
  if (modules !== -1) {
    const inside = segments.slice(0, modules + 1).join(path.sep);
    return usageError(
      `${dir} is inside ${inside}: a project there belongs to another project's installed packages; choose a directory outside node_modules`,
    );
  }

  let info: ReturnType<typeof statSync> | undefined;
  try {
    info = statSync(root);
  } catch (error) {
    if (code(error) !== "ENOENT" && code(error) !== "ENOTDIR")
      return environmentError(`cannot read ${dir} (${code(error)}); choose another directory`);
  }

  if (info) {
    if (!info.isDirectory()) return usageError(`${dir} exists and is not a directory; choose another name`);
    let empty: boolean;
    try {
      empty = isEmptyDirSync(root);
    } catch (error) {
      return environmentError(`cannot list ${dir} (${code(error)}); choose a directory you can read and write`);
    }
    if (!empty && !force) {
      return usageError(
        `${dir} is not empty; choose another directory, or pass --force to write into it (your files are kept unless you confirm replacing them)`,
      );
    }
    const denied = writable(root);
    if (denied) return environmentError(`${dir} is not writable (${denied}); choose a directory you can write to, or fix its permissions`);
    return undefined;
  }

  const ancestor = nearestExisting(root);
  let ancestorInfo: ReturnType<typeof statSync>;
  try {
    ancestorInfo = statSync(ancestor);
  } catch (error) {
    return environmentError(`cannot create ${dir}: ${ancestor} cannot be read (${code(error)})`);
  }
  if (!ancestorInfo.isDirectory()) return usageError(`cannot create ${dir}: ${ancestor} is a file, not a directory; choose another path`);
  const denied = writable(ancestor);
  if (denied)
    return environmentError(
      `cannot create ${dir}: ${ancestor} is not writable (${denied}); choose a directory you can write to, or fix its permissions`,
    );
  return undefined;
}
