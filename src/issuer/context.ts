/** The state shared by the route handlers of one issuer instance. */
import type { ClientRegistry } from "./clients.js";
import { OAuthError } from "./errors.js";
import type { GrantStore } from "./grants.js";
import type { KeyStore } from "./keys.js";
import { authorizationServerUrl } from "./metadata.js";
import type { TokenService } from "./tokens.js";
import type { IssuerForm, Layout } from "./types.js";

/** An authorization request waiting on the consent page. */
export interface PendingAuthorization {
  clientId: string;
  resourceId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  codeChallenge: string;
  scopes: string[];
  resources: string[];
  state?: string;
  clientLabel: string;
  expiresAt: number;
}

export interface IssuerContext {
  url: string;
  layout: Layout;
  resourceId: string;
  issuerForm: IssuerForm;
  scopes: readonly string[];
  consent: boolean;
  allowLocalCimd: boolean;
  keys: KeyStore;
  tokens: TokenService;
  grants: GrantStore;
  clients: ClientRegistry;
  stats: { jwksRequests: number };
  pending: Map<string, PendingAuthorization>;
}

/** The iss of tokens issued for a resource id. */
export function tokenIssuer(ctx: IssuerContext, resId: string): string {
  return ctx.layout === "scalekit" && ctx.issuerForm === "resource" ? authorizationServerUrl(ctx, resId) : ctx.url;
}

/**
 * The aud of a token from a grant. Scalekit puts both the resource (the
 * server URL) and the res_ id in it; a plain OIDC server names what the client
 * asked for (RFC 8707), else its default audience.
 */
export function grantAudience(ctx: IssuerContext, resources: string[], resId: string): string[] {
  if (ctx.layout === "oidc") return resources.length ? [...resources] : [resId];
  return unique([...resources, resId]);
}

/**
 * Scopes for a request: the requested ones (each must be configured, when any are),
 * or all configured scopes by default.
 */
export function grantedScopes(ctx: IssuerContext, requested: string[] | undefined): string[] | { unknown: string[] } {
  if (requested === undefined || requested.length === 0) return [...ctx.scopes];
  if (ctx.scopes.length === 0) return requested;
  const unknown = requested.filter((s) => !ctx.scopes.includes(s));
  return unknown.length ? { unknown } : requested;
}

/** RFC 8707 resource indicators: absolute URIs without a fragment. */
export function checkResources(values: string[]): string[] {
  for (const v of values) {
    let ok = v.length <= 2048 && !v.includes("#");
    if (ok) {
      try {
        new URL(v);
      } catch {
        ok = false;
      }
    }
    if (!ok) throw new OAuthError("invalid_target", `resource must be an absolute URI without a fragment: ${v.slice(0, 200)}`);
  }
  return [...new Set(values)];
}

export const unique = (values: string[]): string[] => [...new Set(values)];
