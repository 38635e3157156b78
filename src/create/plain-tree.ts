/**
 * What TypeScript and Python create share to run add on a plain tree: add
 * reads a project from disk, so the tree is laid out in a private temporary
 * folder first, and its plan must wire the tree by itself.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { byPath, type ProjectFile } from "../core/write.js";

/** `plain` laid out in a private temporary folder (named `name` when given: add names a server after its folder), for `use`; removed after. */
export async function inTemporaryTree<T>(plain: ProjectFile[], use: (dir: string) => Promise<T>, name?: string): Promise<T> {
  const parent = await mkdtemp(path.join(tmpdir(), "cma-plain-"));
  const dir = name === undefined ? parent : path.join(parent, name);
  try {
    for (const file of plain) {
      await mkdir(path.dirname(path.join(dir, file.path)), { recursive: true });
      await writeFile(path.join(dir, file.path), file.content);
    }
    return await use(dir);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}

/** What a plan of either add says about a tree, as far as create needs it. */
export interface PlainPlan {
  wired: boolean;
  kept: unknown[];
  manual: unknown[];
  changes: { path: string; after: string; mode: number }[];
}

/** `plain` with the plan's changes; a plan that cannot wire the plain template by itself is a defect of this CLI. */
export function withPlannedChanges(plain: ProjectFile[], plan: PlainPlan, framework: string): ProjectFile[] {
  if (!plan.wired || plan.kept.length > 0 || plan.manual.length > 0) {
    throw new Error(`create-mcp-auth: add cannot wire the plain ${framework} template by itself (a defect of this version)`);
  }
  const files = new Map(plain.map((file) => [file.path, file]));
  for (const change of plan.changes) files.set(change.path, { path: change.path, content: Buffer.from(change.after), mode: change.mode });
  return [...files.values()].sort(byPath);
}

/** The error for a plain template add does not recognise: a defect of this CLI. */
export function unrecognised(framework: string): Error {
  return new Error(`create-mcp-auth: add does not recognise the plain ${framework} template (a defect of this version)`);
}
