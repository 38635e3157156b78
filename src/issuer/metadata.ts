/** Scalekit's URL layout and the RFC 8414 authorization server metadata. */

export const RES_ID_SOURCE = "res_[A-Za-z0-9_-]+";
export const RES_ID_RE = new RegExp(`^${RES_ID_SOURCE}$`);

export interface LayoutConfig {
  url: string;
  scopes: readonly string[];
}

export const authorizationServerUrl = (url: string, resId: string): string => `${url}/resources/${resId}`;

export const metadataUrls = (url: string, resId: string): [string, string] => [
  `${url}/.well-known/oauth-authorization-server/resources/${resId}`,
  `${url}/resources/${resId}/.well-known/oauth-authorization-server`,
];

export const registrationEndpoint = (url: string, resId: string): string =>
  `${url}/api/v1/resources/${resId}/clients:register`;

export function authorizationServerMetadata(cfg: LayoutConfig, resId: string): Record<string, unknown> {
  return {
    issuer: authorizationServerUrl(cfg.url, resId),
    authorization_endpoint: `${cfg.url}/oauth/authorize`,
    token_endpoint: `${cfg.url}/oauth/token`,
    registration_endpoint: registrationEndpoint(cfg.url, resId),
    jwks_uri: `${cfg.url}/keys`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
    scopes_supported: [...cfg.scopes],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}
