/**
 * add's detection and plan run on create's plain tree, in memory: what every
 * created project is made of. Loaded only when the precomputed form of it
 * (src/create/precomputed-auth.ts) does not cover the options, and at build
 * time, to make that form: it brings in add's JavaScript parser.
 */
import { detect, readPackageJson } from "../add/detect.js";
import { makePlan } from "../add/plan.js";
import { toolScopesFor } from "./context.js";
import type { CreateOptions } from "./options.js";
import { inTemporaryTree, unrecognised, withPlannedChanges } from "./plain-tree.js";
import type { ProjectFile } from "./render.js";

/** `plain` plus what `add` plans for it; nothing else of add runs (no install, no self-check, no output). */
export async function withAuth(plain: ProjectFile[], options: CreateOptions): Promise<ProjectFile[]> {
  const plan = await inTemporaryTree(plain, async (dir) => {
    const pkg = await readPackageJson(dir);
    const d = await detect(dir, pkg!, {});
    if (!d.framework || !d.app || !d.endpoint) throw unrecognised(options.framework.name);
    return makePlan({
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
  });
  return withPlannedChanges(plain, plan, options.framework.name);
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
