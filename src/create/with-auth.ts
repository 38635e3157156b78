/**
 * add's detection and plan run on create's plain tree, in memory: what every
 * created project is made of. Loaded only when the precomputed form of it
 * (src/create/precomputed-auth.ts) does not cover the options, and at build
 * time, to make that form: it brings in add's JavaScript parser.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { detect, readPackageJson } from "../add/detect.js";
import { makePlan } from "../add/plan.js";
import { toolScopesFor } from "./context.js";
import type { CreateOptions } from "./options.js";
import type { ProjectFile } from "./render.js";

/**
 * `plain` plus what `add` plans for it. add reads a project from disk, so the
 * plain tree is laid out in a private temporary folder first; nothing else
 * of add runs (no install, no self-check, no output).
 */
export async function withAuth(plain: ProjectFile[], options: CreateOptions): Promise<ProjectFile[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "cma-plain-"));
  try {
    for (const file of plain) {
      await mkdir(path.dirname(path.join(dir, file.path)), { recursive: true });
      await writeFile(path.join(dir, file.path), file.content);
    }
    const pkg = await readPackageJson(dir);
    const d = await detect(dir, pkg!, {});
    if (!d.framework || !d.app || !d.endpoint) {
      throw new Error(`create-mcp-auth: add does not recognise the plain ${options.framework.name} template (a defect of this version)`);
    }
    const plan = await makePlan({
      detection: d,
      app: d.app,
      endpoint: d.endpoint.path,
      provider: options.provider,
      values: options.settings,
      serverUrl: options.serverUrl,
      writeEnv: true,
      toolScopes: toolScopesFor(options.scopes),
      serverName: options.packageName,
      envIgnored: ignoresEnv(plain),
    });
    if (!plan.wired || plan.kept.length > 0 || plan.manual.length > 0) {
      throw new Error(`create-mcp-auth: add cannot wire the plain ${options.framework.name} template by itself (a defect of this version)`);
    }
    const files = new Map(plain.map((file) => [file.path, file]));
    for (const change of plan.changes) files.set(change.path, { path: change.path, content: Buffer.from(change.after), mode: change.mode });
    return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether the plain tree's .gitignore ignores .env already (then add leaves it alone). */
function ignoresEnv(plain: ProjectFile[]): boolean {
  const ignore = plain.find((file) => file.path === ".gitignore");
  return Boolean(
    ignore?.content
      .toString("utf8")
      .split(/\r?\n/)
      .some((line) => [".env", "/.env"].includes(line.trim())),
  );
}
