/**
 * Python add's detection and plan run on create's plain Python tree: what
 * every created Python project is made of (the plain server plus exactly
 * what `add` writes). Detection reads the code with the project's own
 * python3 (ast), so the plain tree is laid out in a private temporary
 * folder named like the target (add names the server after its folder);
 * nothing else of add runs (no install, no self-check, no output).
 */
import path from "node:path";
import { detectPython } from "../../add/python/detect.js";
import { makePythonPlan } from "../../add/python/plan.js";
import { toolScopesFor } from "../../create/context.js";
import type { CreateOptions } from "../../create/options.js";
import { inTemporaryTree, unrecognised, withPlannedChanges } from "../../create/plain-tree.js";
import type { ProjectFile } from "../../create/render.js";

export async function withPythonAuth(plain: ProjectFile[], options: CreateOptions): Promise<ProjectFile[]> {
  const name = path.basename(options.root);
  const plan = await inTemporaryTree(
    plain,
    async (dir) => {
      const d = await detectPython(dir);
      if (!d.framework || !d.server || !d.transport) throw unrecognised(options.framework.name);
      return makePythonPlan({
        detection: d,
        provider: options.provider,
        values: options.settings,
        serverUrl: options.serverUrl,
        toolScopes: toolScopesFor(options.scopes),
        serverName: name,
      });
    },
    name,
  );
  return withPlannedChanges(plain, plan, options.framework.name);
}
