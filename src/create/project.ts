/**
 * What `create` writes: the plain server of the chosen framework plus exactly
 * what `add` writes into it, so a generated project is secured the one way
 * `add` secures any project. add's part comes from the form the build made
 * by running add on the plain tree (src/create/precomputed-auth.ts) when it
 * covers the options, else from add's detection and plan run now, in memory
 * (src/create/with-auth.ts, which loads add's JavaScript parser).
 */
import { toolScopesFor } from "./context.js";
import type { CreateOptions } from "./options.js";
import { fromPrecomputed } from "./precomputed-auth.js";
import { precomputedAuth } from "./precomputed-data.js";
import { type ProjectFile, renderPlain, templatesRoot } from "./render.js";

export { toolScopesFor };

/** The project `create` writes, in memory: sorted, deterministic, nothing written to the target. */
export async function renderCreatedProject(options: CreateOptions, root = templatesRoot()): Promise<ProjectFile[]> {
  if (options.language === "python") {
    const { renderPythonPlain } = await import("../languages/python/render.js");
    const plain = await renderPythonPlain(options, { root });
    const data = root === templatesRoot() ? precomputedAuth() : undefined;
    const precomputed = data && fromPrecomputed(data, options, plain);
    if (precomputed) return precomputed;
    // No form (a build without python3, or options it does not cover): add's Python detection and plan, now.
    const { withPythonAuth } = await import("../languages/python/with-auth.js");
    return withPythonAuth(plain, options);
  }
  const plain = await renderPlain(options, root);
  // The form was made from this package's own templates.
  const data = root === templatesRoot() ? precomputedAuth() : undefined;
  const precomputed = data && fromPrecomputed(data, options, plain);
  if (precomputed) return precomputed;
  const { withAuth } = await import("./with-auth.js");
  return withAuth(plain, options);
}
