import type { Config } from "./config.js";
import { InsufficientScopeError, InvalidTokenError, MissingTokenError } from "./errors.js";
import { prmUrls } from "./metadata.js";

export interface Challenge {
  status: 401 | 403;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

/** RFC 6749 scope-token characters; anything else never goes into a header. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The one place where a refusal becomes an HTTP answer (RFC 6750 section 3,
 * MCP authorization): 401 for missing or invalid tokens, 403 for missing scope.
 */
export function buildChallenge(error: unknown, config: Config, allScopes: readonly string[]): Challenge {
  const resourceMetadata = prmUrls(config).pathSuffixed;

  if (error instanceof InsufficientScopeError) {
    // The scopes to ask for next include those already granted, so a new
    // authorization does not lose them (MCP step-up authorization).
    const scope = unique([...error.required, ...error.granted]);
    return respond(403, [["error", "insufficient_scope"], ["scope", scopeParam(scope)], ["resource_metadata", resourceMetadata]], {
      error: "insufficient_scope",
      error_description: error.message,
    });
  }

  if (error instanceof MissingTokenError) {
    // No credentials: no error parameter (RFC 6750 section 3.1).
    return respond(401, [["resource_metadata", resourceMetadata], ["scope", scopeParam(allScopes)]], {
      error: "unauthorized",
      error_description: "Authorization required: send an OAuth access token as 'Authorization: Bearer <token>'",
    });
  }

  // Any other failure, including an unexpected one, is an invalid token: never a 500.
  const description = error instanceof InvalidTokenError ? error.message : "The access token is invalid";
  return respond(
    401,
    [["error", "invalid_token"], ["error_description", description], ["resource_metadata", resourceMetadata], ["scope", scopeParam(allScopes)]],
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
  return unique(scopes.filter((s) => SCOPE_TOKEN.test(s))).join(" ");
}

/** A quoted-string value: escape backslash and quote, drop control characters. */
function quote(value: string): string {
  return value.replace(/[\x00-\x1F\x7F]/g, "").replace(/["\\]/g, "\\$&");
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
