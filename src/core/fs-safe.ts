/**
 * Reading and writing inside a project that may be hostile. Every path is
 * resolved component by component: a symbolic link is followed only when its
 * target is inside the project (then the target is what is read or edited,
 * and the link is kept), never out of it and never into node_modules. Only
 * regular files are read, opened without blocking (a named pipe cannot hang
 * the reader) and up to a size limit; their bytes are returned as they are.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, type Stats } from "node:fs";
import path from "node:path";
import { CliError, EXIT, environmentError, usageError } from "./errors.js";
import { printable } from "./printable.js";

/** A project file add refuses to read or write: exit 2, the reason in the message. */
export class UnsafeProjectPath extends CliError {
  constructor(
    readonly rel: string,
    readonly reason: string,
  ) {
    // Names and link targets come from the project: printed with their control characters escaped.
    super(printable(`${rel} ${reason}. Nothing was written.`), EXIT.usage);
    this.name = "UnsafeProjectPath";
  }
}

const MB = 1024 * 1024;

export function sizeText(bytes: number): string {
  return bytes >= MB ? `${(bytes / MB).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return "a named pipe";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isDirectory()) return "a directory";
  if (info.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

function isUnder(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function inNodeModules(rel: string): boolean {
  return rel.split(/[\\/]/).includes("node_modules");
}

function lstatIfAny(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw fsError(error, file);
  }
}

/** An error of the file system as the contract's exit code, with what to do. */
export function fsError(error: unknown, file: string): Error {
  if (error instanceof CliError) return error;
  const e = error as NodeJS.ErrnoException;
  switch (e?.code) {
    case "EACCES":
    case "EPERM":
      return environmentError(
        `${file}: permission denied (${e.syscall ?? "access"}); give your user read and write access to the project (e.g. chmod -R u+rw), then run add again`,
      );
    case "EROFS":
      return environmentError(`${file}: the file system is read-only; run add on a writable copy of the project`);
    case "ENOSPC":
    case "EDQUOT":
      return environmentError(`${file}: no space left on the device; free some space, then run add again`);
    case "ELOOP":
      return usageError(`${file}: a loop of symbolic links; remove it, then run add again`);
    case "ENOTDIR":
    case "EISDIR":
    case "EEXIST":
      return usageError(`${file}: a file is where add needs a folder, or a folder where it needs a file; move it, then run add again`);
    case "ENAMETOOLONG":
      return usageError(`${file}: the path is too long`);
    case "EMFILE":
    case "ENFILE":
      return environmentError(`${file}: too many open files; raise the limit (ulimit -n), then run add again`);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

/** The project's own real path; refused when it is inside node_modules (an installed package is not the user's code). */
export function realProjectRoot(root: string): string {
  let real: string;
  try {
    real = realpathSync(root);
  } catch (error) {
    throw fsError(error, root);
  }
  if (inNodeModules(real)) {
    throw usageError(
      `${root} is inside node_modules (${real}): that is an installed package, which the next install replaces. Run add in your project's own folder. Nothing was written.`,
    );
  }
  return real;
}

/**
 * The real absolute path of `rel` (`/`-separated, relative to the project),
 * following links only where they stay inside the project and out of
 * node_modules. A path that does not exist (yet) resolves to where it would
 * be created. Throws UnsafeProjectPath otherwise.
 */
export function resolveInProject(realRoot: string, rel: string): string {
  if (path.isAbsolute(rel) || rel.split("/").includes("..")) throw new UnsafeProjectPath(rel, "is not a path inside the project");
  let current = realRoot;
  const parts = rel.split("/").filter((part) => part !== "" && part !== ".");
  for (let i = 0; i < parts.length; i++) {
    const shown = parts.slice(0, i + 1).join("/");
    const next = path.join(current, parts[i]!);
    const info = lstatIfAny(next);
    if (!info) return path.join(next, ...parts.slice(i + 1));
    if (info.isSymbolicLink()) {
      let target: string;
      try {
        target = realpathSync(next);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR")
          throw new UnsafeProjectPath(
            shown,
            "is a symbolic link to something that does not exist; remove it or point it inside the project",
          );
        if (code === "ELOOP") throw new UnsafeProjectPath(shown, "is a loop of symbolic links; remove it");
        throw fsError(error, shown);
      }
      if (!isUnder(realRoot, target))
        throw new UnsafeProjectPath(
          shown,
          `is a symbolic link to ${target}, outside the project; add writes only inside the project (replace the link with a folder or file of the project)`,
        );
      current = target;
    } else {
      current = next;
    }
    if (inNodeModules(path.relative(realRoot, current)))
      throw new UnsafeProjectPath(shown, "leads into node_modules, which add never reads or writes; the next install replaces it");
  }
  return current;
}

/** What a project file holds, when it exists. */
export interface ProjectBytes {
  /** The real path that was read (a link's target). */
  real: string;
  bytes: Buffer;
  mode: number;
}

/**
 * Reads `rel` whole, as bytes: undefined when it does not exist; refused
 * (UnsafeProjectPath) when it is not a regular file, leaves the project, or
 * is larger than `limit` bytes.
 */
export function readProjectBytes(realRoot: string, rel: string, limit: number): ProjectBytes | undefined {
  const real = resolveInProject(realRoot, rel);
  // A device is never opened (opening some has effects); the check after opening closes the race.
  const seen = lstatIfAny(real);
  if (seen && !seen.isFile()) throw new UnsafeProjectPath(rel, `is ${kindOf(seen)}; add reads only regular files (replace it with one)`);
  let fd: number;
  try {
    // O_NONBLOCK: opening a named pipe without a writer returns at once; O_NOFOLLOW: the links were resolved above.
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (code === "ELOOP") throw new UnsafeProjectPath(rel, "changed into a symbolic link while add was reading it");
    if (code === "ENXIO") throw new UnsafeProjectPath(rel, "is a socket; add reads only regular files");
    throw fsError(error, rel);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new UnsafeProjectPath(rel, `is ${kindOf(info)}; add reads only regular files (replace it with one)`);
    if (info.size > limit) throw new UnsafeProjectPath(rel, `is ${sizeText(info.size)}; add reads files up to ${sizeText(limit)}`);
    const bytes = Buffer.alloc(info.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { real, bytes: bytes.subarray(0, read), mode: info.mode & 0o7777 };
  } finally {
    closeSync(fd);
  }
}

/** Lists the special-file kind of `rel` when it exists and is not a regular file or directory (for refusals by name). */
export function specialKind(realRoot: string, rel: string): string | undefined {
  const info = lstatIfAny(path.join(realRoot, rel));
  if (!info || info.isFile() || info.isDirectory() || info.isSymbolicLink()) return undefined;
  return kindOf(info);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The offset of the first byte that breaks UTF-8 (valid prefixes only grow, so a binary search finds it). */
function invalidOffset(bytes: Buffer): number {
  const valid = (n: number) => {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  if (valid(bytes.length)) return Math.max(0, bytes.length - 1); // cut off inside a character at the end
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (valid(mid)) lo = mid;
    else hi = mid;
  }
  // The prefix may end inside a character whose next byte broke it: that character is where it breaks.
  for (let k = lo; k >= Math.max(0, lo - 3); k--) {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, k));
      return k;
    } catch {
      // inside a character: one byte back
    }
  }
  return lo;
}

/**
 * The text of a file add must parse. Decoded exactly (a byte-order mark is
 * kept as U+FEFF, so encoding the text again gives the same bytes); bytes
 * that are not UTF-8 are refused with where they are.
 */
export function decodeText(rel: string, bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new UnsafeProjectPath(
      rel,
      `is not valid UTF-8 (byte ${invalidOffset(bytes)}); add parses and edits it as UTF-8 text, and would change bytes it does not understand. Save it as UTF-8, then run add again`,
    );
  }
}

/** Text without a leading byte-order mark, for parsers that do not take one. */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
