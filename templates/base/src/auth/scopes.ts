/** Scopes a token grants: the space-separated `scope` claim and the `scopes` array claim, united. */
export function scopesFromClaims(claims: Record<string, unknown>): string[] {
  const found = new Set<string>();
  if (typeof claims.scope === "string") {
    for (const s of claims.scope.split(/\s+/)) if (s) found.add(s);
  }
  if (Array.isArray(claims.scopes)) {
    for (const s of claims.scopes) if (typeof s === "string" && s.trim()) found.add(s.trim());
  }
  return [...found];
}

/**
 * Scopes needed to run a JSON-RPC body (one message or a batch): the union of
 * the scopes of every `tools/call` in it. Unknown tools need nothing here; the
 * MCP server answers them with "tool not found".
 */
export function requiredScopesFor(
  body: unknown,
  toolScopes: Readonly<Record<string, readonly string[]>>,
): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const needed = new Set<string>();
  for (const message of messages) {
    const name = toolCallName(message);
    if (name !== undefined && Object.hasOwn(toolScopes, name)) {
      for (const scope of toolScopes[name] ?? []) needed.add(scope);
    }
  }
  return [...needed];
}

function toolCallName(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (method !== "tools/call" || typeof params !== "object" || params === null) return undefined;
  const name = (params as { name?: unknown }).name;
  return typeof name === "string" ? name : undefined;
}

/** All scopes any tool uses: advertised in the metadata and in 401 challenges. */
export function allScopes(toolScopes: Readonly<Record<string, readonly string[]>>): string[] {
  return [...new Set(Object.values(toolScopes).flat())];
}
