/** Tool name -> the scopes it needs; broader scope -> the narrower scopes it implies. */
export type ScopeMap = Readonly<Record<string, readonly string[]>>;

/**
 * `offline_access` asks an authorization server for a refresh token; it is
 * never a resource requirement, so it is neither advertised nor asked for in a
 * challenge (MCP 2026-07-28, authorization: Refresh Tokens).
 */
const NOT_A_RESOURCE_SCOPE = "offline_access";

/**
 * Scopes a token grants: the `scope` claim (RFC 9068, RFC 8693: tokens
 * separated by U+0020 and nothing else, RFC 6749 section 3.3), `scp` (Okta: an
 * array; Entra ID: a space-separated string) and `scopes` (an array, as
 * Scalekit's SDK reads it), united.
 */
export function scopesFromClaims(claims: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const { scope, scp, scopes } = claims;
  for (const claim of [scope, scp, scopes]) {
    const values = typeof claim === "string" ? claim.split(" ") : Array.isArray(claim) ? claim : [];
    for (const value of values) if (typeof value === "string" && value !== "") found.add(value);
  }
  return [...found];
}

/**
 * The scopes a token effectively holds: those granted plus every narrower
 * scope a granted one implies, transitively (SEP-2350: a broader scope implies
 * narrower ones).
 */
export function effectiveScopes(granted: readonly string[], implies: ScopeMap): Set<string> {
  const held = new Set<string>();
  const pending = [...granted];
  while (pending.length > 0) {
    const scope = pending.pop()!;
    if (held.has(scope)) continue;
    held.add(scope);
    if (hasOwn(implies, scope)) pending.push(...(implies[scope] ?? []));
  }
  return held;
}

/**
 * The scopes needed to run a JSON-RPC body (one message, or a batch where the
 * 2025-03-26 era allows one): the union of the scopes of every `tools/call`
 * in it. The body is the parsed value the MCP SDK then runs, never a header.
 * Unknown tools need nothing here; the MCP server answers them "tool not found".
 */
export function requiredScopesFor(body: unknown, toolScopes: ScopeMap): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const needed = new Set<string>();
  for (const message of messages) {
    const name = toolCallName(message);
    if (name !== undefined && hasOwn(toolScopes, name)) {
      for (const scope of toolScopes[name] ?? []) needed.add(scope);
    }
  }
  return [...needed];
}

/** The required scopes a token does not hold, directly or through a broader scope. */
export function missingScopes(required: readonly string[], granted: readonly string[], implies: ScopeMap): string[] {
  if (required.length === 0) return [];
  const held = effectiveScopes(granted, implies);
  return required.filter((scope) => !held.has(scope));
}

/** Object.hasOwn without ES2022: a tool named "constructor" is not one Object.prototype lends. */
function hasOwn(map: ScopeMap, key: string): boolean {
  return Object.getOwnPropertyDescriptor(map, key) !== undefined;
}

function toolCallName(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (method !== "tools/call" || typeof params !== "object" || params === null) return undefined;
  const name = (params as { name?: unknown }).name;
  return typeof name === "string" ? name : undefined;
}

/**
 * Every scope a client may ask for: those the tools need and the broader ones
 * that imply them. Advertised in the metadata and in 401 challenges.
 */
export function allScopes(toolScopes: ScopeMap, implies: ScopeMap = {}): string[] {
  const scopes = [...Object.values(toolScopes).flat(), ...Object.keys(implies), ...Object.values(implies).flat()];
  return [...new Set(scopes)].filter((scope) => scope !== NOT_A_RESOURCE_SCOPE);
}

/** RFC 6749 section 3.3 scope-token characters; anything else never goes into a header. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Scopes fit for a challenge's `scope` parameter: valid scope tokens, no duplicates, no `offline_access`. */
export function challengeScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].filter((scope) => scope !== NOT_A_RESOURCE_SCOPE && SCOPE_TOKEN.test(scope));
}
