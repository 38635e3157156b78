import type { Config } from "./config.js";
import { InsufficientScopeError, InvalidTokenError, MissingTokenError } from "./errors.js";
import { prmUrls } from "./metadata.js";
import { challengeScopes } from "./scopes.js";

export interface Challenge {
  status: 401 | 403;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

/**
 * The one place where a refusal becomes an HTTP answer (RFC 6750 section 3,
 * MCP authorization: Error Handling): 401 for a missing or invalid token, 403
 * for a valid token without the scopes the operation needs.
 */
export function buildChallenge(error: unknown, config: Config, allScopes: readonly string[]): Challenge {
  const resourceMetadata = prmUrls(config).pathSuffixed;

  if (error instanceof InsufficientScopeError) {
    // Everything the operation needs, in one challenge, plus what the token
    // already has, so a client that replaces its scopes does not lose them.
    const scope = [...error.required, ...error.granted];
    return respond(
      403,
      [
        ["error", "insufficient_scope"],
        ["scope", scopeParam(scope)],
        ["resource_metadata", resourceMetadata],
      ],
      {
        error: "insufficient_scope",
        error_description: error.message,
      },
    );
  }

  if (error instanceof MissingTokenError) {
    // No credentials: no error parameter (RFC 6750 section 3.1).
    return respond(
      401,
      [
        ["resource_metadata", resourceMetadata],
        ["scope", scopeParam(allScopes)],
      ],
      {
        error: "unauthorized",
        error_description: "Authorization required: send an OAuth access token as 'Authorization: Bearer <token>'",
      },
    );
  }

  // Any other failure, including an unexpected one, is an invalid token: never a 500.
  const description = error instanceof InvalidTokenError ? error.message : "The access token is invalid";
  return respond(
    401,
    [
      ["error", "invalid_token"],
      ["error_description", description],
      ["resource_metadata", resourceMetadata],
      ["scope", scopeParam(allScopes)],
    ],
    { error: "invalid_token", error_description: description },
  );
}

function respond(status: 401 | 403, params: [string, string][], body: Challenge["body"]): Challenge {
  const value = params
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `${k}="${quote(v)}"`)
    .join(", ");
  return {
    status,
    headers: { "WWW-Authenticate": `Bearer ${value}`, "Content-Type": "application/json", "Cache-Control": "no-store" },
    body,
  };
}

function scopeParam(scopes: readonly string[]): string {
  return challengeScopes(scopes).join(" ");
}

/** A quoted-string value: escape backslash and quote, drop control characters. */
function quote(value: string): string {
  let quoted = "";
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) continue;
    quoted += char === '"' || char === "\\" ? `\\${char}` : char;
  }
  return quoted;
}
