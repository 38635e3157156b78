/**
 * What one run of `add` changed, so an interruption (or a failure) at any
 * stage can take it back: the original bytes and mode of every file it
 * replaced, the files and folders it created, and around the install the
 * lockfiles as they were and the entries the install added (node_modules when
 * there was none). Undoing is synchronous: it runs right before the process
 * exits.
 */
import { chmodSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const LOCKFILES = ["package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock", "bun.lockb"];

export class AddJournal {
  private readonly replaced = new Map<string, { content: Buffer; mode: number }>();
  private readonly created = new Set<string>();
  private readonly temps = new Set<string>();
  private readonly dirs: string[] = [];
  /** Per folder the install runs in: its entries and lockfiles before. */
  private readonly installs: {
    dir: string;
    entries: Set<string>;
    lockfiles: Map<string, { content: Buffer; mode: number } | undefined>;
  }[] = [];
  private touched = false;
  private committed = false;

  constructor(readonly root: string) {}

  /** Whether anything was written yet. */
  get started(): boolean {
    return this.touched;
  }

  begin(): void {
    this.touched = true;
  }

  createdDir(abs: string): void {
    this.dirs.push(abs);
  }

  createdTemp(abs: string): void {
    this.temps.add(abs);
  }

  creating(abs: string): void {
    this.created.add(abs);
  }

  replacing(abs: string, content: Buffer, mode: number): void {
    if (!this.replaced.has(abs)) this.replaced.set(abs, { content, mode });
  }

  /** Call before an install in `dirs`: what it adds and the lockfiles it rewrites can then be taken back. */
  beforeInstall(dirs: string[]): void {
    this.touched = true;
    for (const dir of new Set(dirs)) {
      const lockfiles = new Map<string, { content: Buffer; mode: number } | undefined>();
      for (const name of LOCKFILES) {
        const state = lockfileState(path.join(dir, name));
        if (state !== "other") lockfiles.set(name, state);
      }
      this.installs.push({ dir, entries: entries(dir), lockfiles });
    }
  }

  /** The run ended well: nothing to take back any more. */
  commit(): void {
    this.committed = true;
  }

  /** Puts the project back as it was; returns one line saying what was done. */
  undo(): string {
    if (this.committed || !this.touched) return "nothing was written";
    this.committed = true;
    const attempt = (task: () => void) => {
      try {
        task();
      } catch {
        // best effort: keep going, so everything else is restored
      }
    };
    for (const temp of this.temps) attempt(() => rmSync(temp, { force: true }));
    for (const [file, original] of this.replaced) {
      attempt(() => {
        writeFileSync(file, original.content);
        chmodSync(file, original.mode);
      });
    }
    for (const file of this.created) attempt(() => rmSync(file, { force: true }));
    for (const dir of [...this.dirs].reverse()) attempt(() => rmSync(dir, { recursive: true, force: true }));
    let added = 0;
    let modulesKept = false;
    for (const install of this.installs) {
      for (const [name, original] of install.lockfiles) {
        const file = path.join(install.dir, name);
        attempt(() => {
          if (original) {
            writeFileSync(file, original.content);
            chmodSync(file, original.mode);
          } else rmSync(file, { force: true });
        });
      }
      for (const entry of entries(install.dir)) {
        if (install.entries.has(entry)) continue;
        added++;
        attempt(() => rmSync(path.join(install.dir, entry), { recursive: true, force: true }));
      }
      if (install.entries.has("node_modules")) modulesKept = true;
    }
    const parts = [];
    if (this.replaced.size > 0) parts.push(`restored ${this.replaced.size} file${this.replaced.size === 1 ? "" : "s"}`);
    const removed = this.created.size + added;
    if (removed > 0) parts.push(`removed ${removed} new file${removed === 1 ? "" : "s"} and folder${removed === 1 ? "" : "s"}`);
    const summary = parts.length > 0 ? `${parts.join(", ")}; the project is as it was` : "nothing was written";
    return modulesKept ? `${summary} (node_modules may keep packages the install added: run your install again)` : summary;
  }
}

function entries(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return new Set();
  }
}

/** A lockfile's bytes, undefined when there is none; "other" (left alone) when it is not a plain file of a sane size. */
function lockfileState(file: string): { content: Buffer; mode: number } | undefined | "other" {
  try {
    const info = lstatSync(file);
    if (!info.isFile() || info.size > 256 * 1024 * 1024) return "other";
    return { content: readFileSync(file), mode: info.mode & 0o7777 };
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? undefined : "other";
  }
}
