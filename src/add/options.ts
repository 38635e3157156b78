/**
 * `add`'s flags and questions. Every question has a flag; without a terminal
 * and without --yes, an open question is exit 2 naming the flag.
 */

import { usageError } from "../core/errors.js";
import { chooseProvider, type Env, problemLines } from "../core/provider-settings.js";
import { withoutTrailingSlash } from "../core/validate.js";
import { SCOPE_TOKEN } from "../oauth-syntax.js";
import type { Provider } from "../providers.js";

/** What the user said, from flags or environment, before any prompt. */
export interface AddFlags {
  dir?: string;
  framework?: string;
  entry?: string;
  endpoint?: string;
  provider?: string;
  scopes?: string;
  serverUrl?: string;
  /** The provider settings given as flags, by key (a secret is never a flag: it comes from its variable). */
  settings?: Record<string, string | string[]>;
  pm?: string;
  yes?: boolean;
  dryRun?: boolean;
  install?: boolean;
  check?: boolean;
  json?: boolean;
  /** Auth the project already has on its MCP route: keep it (the default with --yes) or replace it. */
  existingAuth?: string;
}

export const ADD_QUESTIONS = {
  framework: "--framework <express|fastify|hono|fastmcp>",
  entry: "--entry <file> (the file that creates the app)",
  endpoint: "--endpoint <path> (the MCP endpoint, e.g. /mcp)",
  provider:
    "--provider scalekit with --env-url, --client-id, --resource-id (or --provider oidc --issuer-url <url>); or --yes to leave the values to .env.example",
  scopes: "--scopes tool=scope,... (tools not listed need only a valid token); or --yes",
  existingAuth: "--existing-auth <keep|replace> (the auth already on the MCP route); or --yes to keep it",
  confirm: "--yes to write the changes (review them first with --dry-run)",
} as const;
export type AddQuestion = keyof typeof ADD_QUESTIONS;

/** The provider as create chooses it: --provider, else the one whose settings are given (flags, then variables), else the default. */
export function resolveProvider(flags: AddFlags, env: Env = process.env): Provider {
  const { provider, problems } = chooseProvider(flags, env);
  if (problems.length > 0) throw usageError(problemLines(problems));
  return provider;
}

export function normalizeServerUrl(url: string): string {
  return withoutTrailingSlash(url);
}

/**
 * `--scopes tool=scope,tool=scope`: a tool listed twice needs both scopes.
 * Returns the map, or the error to show.
 */
export function parseToolScopes(input: string): { map: Record<string, string[]>; error?: string } {
  const map: Record<string, string[]> = {};
  for (const item of input
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const at = item.indexOf("=");
    if (at <= 0) return { map, error: `"${item}" is not tool=scope; e.g. --scopes add_note=notes:write,list_notes=notes:read` };
    const tool = item.slice(0, at).trim();
    const scopes = item
      .slice(at + 1)
      .trim()
      .split(/ +/)
      .filter(Boolean);
    if (scopes.length === 0) return { map, error: `"${item}" names no scope` };
    for (const scope of scopes) {
      if (!SCOPE_TOKEN.test(scope))
        return { map, error: `"${scope}" is not a valid OAuth scope (RFC 6749 3.3: printable ASCII without spaces, " or \\)` };
    }
    const list = (Object.hasOwn(map, tool) && map[tool]) || [];
    for (const scope of scopes) if (!list.includes(scope)) list.push(scope);
    map[tool] = list;
  }
  return { map };
}

/** Endpoint paths: absolute, no query or fragment. */
export function validateEndpoint(value: string): string | undefined {
  if (!value.startsWith("/")) return `the endpoint must be a path starting with /, e.g. /mcp (got "${value}")`;
  if (/[?#\s]/.test(value)) return `the endpoint must be a plain path, without query, fragment or spaces (got "${value}")`;
  return undefined;
}
