/**
 * Python add's detection and plan run on create's plain Python tree: what
 * every created Python project is made of (the plain server plus exactly
 * what `add` writes). Detection reads the code with the project's own
 * python3 (ast), so the plain tree is laid out in a private temporary
 * folder named like the target (add names the server after its folder);
 * nothing else of add runs (no install, no self-check, no output).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { detectPython } from "../../add/python/detect.js";
import { makePythonPlan } from "../../add/python/plan.js";
import { toolScopesFor } from "../../create/context.js";
import type { CreateOptions } from "../../create/options.js";
import type { ProjectFile } from "../../create/render.js";

export async function withPythonAuth(plain: ProjectFile[], options: CreateOptions): Promise<ProjectFile[]> {
  const parent = await mkdtemp(path.join(tmpdir(), "cma-plain-"));
  const dir = path.join(parent, path.basename(options.root));
  try {
    for (const file of plain) {
      await mkdir(path.dirname(path.join(dir, file.path)), { recursive: true });
      await writeFile(path.join(dir, file.path), file.content);
    }
    const d = await detectPython(dir);
    if (!d.framework || !d.server || !d.transport) {
      throw new Error(`create-mcp-auth: add does not recognise the plain ${options.framework.name} template (a defect of this version)`);
    }
    const plan = await makePythonPlan({
      detection: d,
      provider: options.provider,
      values: options.settings,
      serverUrl: options.serverUrl,
      toolScopes: toolScopesFor(options.scopes),
      serverName: path.basename(dir),
    });
    if (!plan.wired || plan.kept.length > 0 || plan.manual.length > 0) {
      throw new Error(`create-mcp-auth: add cannot wire the plain ${options.framework.name} template by itself (a defect of this version)`);
    }
    const files = new Map(plain.map((file) => [file.path, file]));
    for (const change of plan.changes) files.set(change.path, { path: change.path, content: Buffer.from(change.after), mode: change.mode });
    return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
