import type { PrecomputedAuth } from "./precomputed-auth.js";

/**
 * The form src/create/precomputed-auth.ts describes, as the build stores it.
 * Running from source there is none (create runs plain + add itself); the
 * build swaps in precomputed-data.build.ts (see scripts/build.mjs).
 */
export function precomputedAuth(): PrecomputedAuth | undefined {
  return undefined;
}
