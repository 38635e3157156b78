/**
 * The invariants `add` keeps in a hostile repository, as checks a test can
 * run: a tree snapshot that does not follow links, "only insertions" (every
 * original byte of every file still there, in order), and no process left
 * that runs in the project.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";

export type Entry =
  | { kind: "file"; bytes: Buffer; mode: number }
  | { kind: "link"; target: string }
  | { kind: "dir" }
  | { kind: "other"; type: string };

/** Every entry under `root` (links not followed, .git left out), by `/`-separated path. */
export function tree(root: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const visit = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name === ".git") continue;
      const abs = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const info = lstatSync(abs);
      if (info.isSymbolicLink()) entries.set(rel, { kind: "link", target: readlinkSync(abs) });
      else if (info.isDirectory()) {
        entries.set(rel, { kind: "dir" });
        visit(abs, rel);
      } else if (info.isFile()) entries.set(rel, { kind: "file", bytes: readFileSync(abs), mode: info.mode & 0o7777 });
      else entries.set(rel, { kind: "other", type: info.isFIFO() ? "fifo" : info.isSocket() ? "socket" : "device" });
    }
  };
  visit(root, "");
  return entries;
}

/** Whether `small` is `large` with bytes only removed (so `large` is `small` with insertions only). */
export function isSubsequence(small: Buffer, large: Buffer): boolean {
  let i = 0;
  for (let j = 0; j < large.length && i < small.length; j++) if (large[j] === small[i]) i++;
  return i === small.length;
}

/**
 * What changed from `before` to `after` that add must never do: an entry
 * removed or of another kind, a link retargeted, a file's original bytes not
 * all kept in order. Returns one line per problem.
 */
export function violations(before: Map<string, Entry>, after: Map<string, Entry>): string[] {
  const problems: string[] = [];
  for (const [rel, was] of before) {
    const now = after.get(rel);
    if (!now) problems.push(`${rel}: removed`);
    else if (now.kind !== was.kind) problems.push(`${rel}: was a ${was.kind}, now a ${now.kind}`);
    else if (was.kind === "link" && now.kind === "link" && was.target !== now.target)
      problems.push(`${rel}: link to ${was.target}, now to ${now.target}`);
    else if (was.kind === "file" && now.kind === "file" && !isSubsequence(was.bytes, now.bytes))
      problems.push(`${rel}: bytes changed outside the inserted ranges`);
  }
  return problems;
}

function sameEntry(x: Entry, y: Entry): boolean {
  if (x.kind === "file" && y.kind === "file") return x.mode === y.mode && x.bytes.equals(y.bytes);
  return JSON.stringify(x) === JSON.stringify(y);
}

/** Whether two snapshots are identical. */
export function sameTree(a: Map<string, Entry>, b: Map<string, Entry>): boolean {
  if (a.size !== b.size) return false;
  for (const [rel, x] of a) {
    const y = b.get(rel);
    if (!y || !sameEntry(x, y)) return false;
  }
  return true;
}

/** Pids of processes (other than this one) whose command line or working folder mentions `dir`. */
export function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        // not ours to read
      }
      if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
