/**
 * What `create` writes: the plain server of the chosen framework plus exactly
 * what `add` writes into it, so a generated project is secured the one way
 * `add` secures any project. It comes from the form the build made by
 * running add on the plain tree (src/create/precomputed-auth.ts) when that
 * covers the options (the whole project, or add's part over the plain tree
 * rendered now), else from add's detection and plan run now, in memory
 * (src/create/with-auth.ts, which loads add's JavaScript parser).
 */
import { toolScopesFor } from "./context.js";
import type { CreateOptions } from "./options.js";
import { fromPrecomputed } from "./precomputed-auth.js";
import { precomputedAuth } from "./precomputed-data.js";
import type { ProjectFile } from "./render.js";

export { toolScopesFor };

/**
 * The project `create` writes, in memory: sorted, deterministic, nothing
 * written to the target. `root`: a templates folder (default: this package's
 * own). The template engine loads only when the form does not cover the
 * options.
 */
export async function renderCreatedProject(options: CreateOptions, root?: string): Promise<ProjectFile[]> {
  if (options.language === "python") {
    const [{ renderPythonPlain }, { templatesRoot }] = await Promise.all([import("../languages/python/render.js"), import("./render.js")]);
    const own = templatesRoot();
    const plain = await renderPythonPlain(options, { root: root ?? own });
    const data = root === undefined || root === own ? precomputedAuth() : undefined;
    const precomputed = data && fromPrecomputed(data, options, plain);
    if (precomputed) return precomputed;
    // No form (a build without python3, or options it does not cover): add's Python detection and plan, now.
    const { withPythonAuth } = await import("../languages/python/with-auth.js");
    return withPythonAuth(plain, options);
  }
  // The form was made from this package's own templates: the whole project when it covers these options,
  // else add's part of it over the plain tree rendered now.
  const given = root === undefined ? undefined : await import("./render.js");
  const data = root === undefined || root === given?.templatesRoot() ? precomputedAuth() : undefined;
  const whole = data && fromPrecomputed(data, options);
  if (whole) return whole;
  const { renderPlain, templatesRoot } = given ?? (await import("./render.js"));
  const plain = await renderPlain(options, root ?? templatesRoot());
  const precomputed = data && fromPrecomputed(data, options, plain);
  if (precomputed) return precomputed;
  const { withAuth } = await import("./with-auth.js");
  return withAuth(plain, options);
}
