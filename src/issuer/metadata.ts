/**
 * The two URL layouts and the authorization server metadata (RFC 8414, also
 * served as OpenID Connect discovery).
 *
 * - scalekit: one authorization server per resource, `{url}/resources/{res_id}`,
 *   its metadata at both RFC 8414 forms and both OIDC forms, registration at
 *   `{url}/api/v1/resources/{res_id}/clients:register` (DESIGN section 5).
 * - oidc: one root issuer, `{url}`, metadata at `{url}/.well-known/oauth-authorization-server`
 *   and `{url}/.well-known/openid-configuration`, registration at `{url}/oauth/register`.
 */
import type { Layout } from "./types.js";

export const RES_ID_SOURCE = "res_[A-Za-z0-9_-]+";
export const RES_ID_RE = new RegExp(`^${RES_ID_SOURCE}$`);
export const LAYOUTS: readonly Layout[] = ["scalekit", "oidc"];

export interface LayoutConfig {
  url: string;
  layout: Layout;
  scopes: readonly string[];
}

/** The authorization server identifier (metadata `issuer`, the `iss` of authorization responses). */
export const authorizationServerUrl = (cfg: Pick<LayoutConfig, "url" | "layout">, resId: string): string =>
  cfg.layout === "oidc" ? cfg.url : `${cfg.url}/resources/${resId}`;

/** The RFC 8414 URL first (the form the official MCP client tries first), then the second form. */
export function metadataUrls(cfg: Pick<LayoutConfig, "url" | "layout">, resId: string): [string, string] {
  if (cfg.layout === "oidc") return [`${cfg.url}/.well-known/oauth-authorization-server`, `${cfg.url}/.well-known/openid-configuration`];
  return [
    `${cfg.url}/.well-known/oauth-authorization-server/resources/${resId}`,
    `${cfg.url}/resources/${resId}/.well-known/oauth-authorization-server`,
  ];
}

/** The OpenID Connect discovery URLs of the Scalekit layout for a resource (both forms clients try). */
export const openIdConfigurationUrls = (url: string, resId: string): [string, string] => [
  `${url}/.well-known/openid-configuration/resources/${resId}`,
  `${url}/resources/${resId}/.well-known/openid-configuration`,
];

export const registrationEndpoint = (cfg: Pick<LayoutConfig, "url" | "layout">, resId: string): string =>
  cfg.layout === "oidc" ? `${cfg.url}/oauth/register` : `${cfg.url}/api/v1/resources/${resId}/clients:register`;

export function authorizationServerMetadata(cfg: LayoutConfig, resId: string): Record<string, unknown> {
  return {
    issuer: authorizationServerUrl(cfg, resId),
    authorization_endpoint: `${cfg.url}/oauth/authorize`,
    token_endpoint: `${cfg.url}/oauth/token`,
    registration_endpoint: registrationEndpoint(cfg, resId),
    jwks_uri: `${cfg.url}/keys`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
    scopes_supported: [...cfg.scopes],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
    // Required by OpenID Connect discovery; the same document is served at both kinds of path.
    // No ID tokens are issued (no "openid" scope): these describe the access tokens' signing.
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  };
}
