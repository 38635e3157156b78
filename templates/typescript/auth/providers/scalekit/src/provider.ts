import { ConfigError, type Env, httpsUrl, optional, parseHttpsUrl, required } from "./env.js";
import { RemoteKeySet } from "./keyset.js";
import { JwtVerifier, type TokenVerifier, type VerifierOptions } from "./verifier.js";

/** Scalekit as the authorization server: its URL layout, both issuer forms, a res_ id or URL audience. */
export interface ProviderConfig {
  name: "scalekit";
  /** Scalekit environment URL, no trailing slash. */
  environmentUrl: string;
  /** Scalekit resource id of this MCP server (`res_...`), or its URL. */
  resourceId: string;
  /** Only for Scalekit's management API (src/auth/scalekit.ts); token checks do not need them. */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** The authorization server named in the protected resource metadata. */
  authorizationServer: string;
  /** `iss` values accepted in access tokens. */
  issuers: string[];
  /** `aud` values accepted in access tokens (any one must match). */
  audiences: string[];
  /** Where Scalekit publishes its signing keys. */
  jwksUri: string;
}

const RES_ID = /^res_[A-Za-z0-9_-]+$/;

export function loadProviderConfig(env: Env, server: { resourceUrl: string }): ProviderConfig {
  const environmentUrl = httpsUrl(env, "SCALEKIT_ENVIRONMENT_URL", "https://acme.scalekit.dev");
  const resourceId = required(env, "SCALEKIT_RESOURCE_ID", "res_1234567890");
  const idIsUrl = /^https?:\/\//.test(resourceId);
  if (idIsUrl) parseHttpsUrl("SCALEKIT_RESOURCE_ID", resourceId, "res_1234567890");
  else if (!RES_ID.test(resourceId)) {
    throw new ConfigError("SCALEKIT_RESOURCE_ID", "must look like res_ followed by letters and digits, or be a URL", "res_1234567890");
  }
  // A res_ id has its own authorization server path; a resource named by URL
  // is served by the environment's authorization server itself.
  const authorizationServer = idIsUrl ? environmentUrl : `${environmentUrl}/resources/${resourceId}`;
  const { resourceUrl } = server;
  return {
    name: "scalekit",
    environmentUrl,
    resourceId,
    clientId: optional(env, "SCALEKIT_CLIENT_ID"),
    clientSecret: optional(env, "SCALEKIT_CLIENT_SECRET"),
    authorizationServer,
    // Scalekit signs MCP tokens with the environment URL as issuer today and is
    // moving to the per-resource issuer; accepting both keeps tokens valid across the switch.
    issuers: [...new Set([environmentUrl, authorizationServer])],
    // Scalekit puts both the registered server URL and the resource id in `aud`.
    audiences: [...new Set([resourceUrl, `${resourceUrl}/`, resourceId.replace(/\/+$/, ""), resourceId])],
    jwksUri: `${environmentUrl}/keys`,
  };
}

/** The token verifier for this server: jose against Scalekit's key set at `{env}/keys`. */
export function createVerifier(config: { provider: ProviderConfig }, options: VerifierOptions = {}): TokenVerifier {
  const { issuers, audiences, jwksUri } = config.provider;
  return new JwtVerifier({ ...options, keys: new RemoteKeySet(jwksUri, options.keySet), issuers, audiences });
}

/** The variables that point this provider at a test authorization server (startTestAuth, in the project's own tests). */
export function testEnvironment(issuer: string): Record<string, string> {
  return { SCALEKIT_ENVIRONMENT_URL: issuer, SCALEKIT_RESOURCE_ID: "res_test" };
}
