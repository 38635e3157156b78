import { AuthorizationServerDiscovery } from "./discovery.js";
import { ConfigError, type Env, list, parseHttpsUrl, required } from "./env.js";
import { RemoteKeySet } from "./keyset.js";
import { JwtVerifier, type TokenVerifier, type VerifierOptions } from "./verifier.js";

/** Any OAuth 2.1 / OpenID Connect authorization server with discovery metadata (RFC 8414 or OpenID Connect Discovery). */
export interface ProviderConfig {
  name: "oidc";
  /** The issuer identifier exactly as configured (compared as a string with `iss`). */
  issuer: string;
  /** The authorization server named in the protected resource metadata: the issuer. */
  authorizationServer: string;
  /** `iss` values accepted in access tokens. */
  issuers: string[];
  /** `aud` values accepted in access tokens (any one must match). */
  audiences: string[];
}

export function loadProviderConfig(env: Env, server: { resourceUrl: string }): ProviderConfig {
  const example = "https://auth.example.com/realms/mcp";
  const issuer = required(env, "OIDC_ISSUER_URL", example);
  parseHttpsUrl("OIDC_ISSUER_URL", issuer, example);
  const audiences = list(env, "OIDC_AUDIENCE");
  for (const audience of audiences) {
    if (/\s/.test(audience))
      throw new ConfigError("OIDC_AUDIENCE", `entries cannot contain spaces (got "${audience}")`, "https://mcp.example.com/mcp");
  }
  return {
    name: "oidc",
    issuer,
    authorizationServer: issuer,
    // Compared as strings; some servers (Auth0) put a trailing slash in `iss`.
    issuers: [...new Set([issuer, issuer.endsWith("/") ? issuer.slice(0, -1) : `${issuer}/`])],
    // RFC 8707: by default a token must name this server's URL as its audience.
    audiences: audiences.length > 0 ? audiences : [server.resourceUrl, `${server.resourceUrl}/`],
  };
}

/**
 * The token verifier for this server. The authorization server's metadata is
 * read at boot (and retried until it answers); until then every token is
 * answered 401, and the server runs. Its `jwks_uri` feeds the key set.
 */
export function createVerifier(config: { provider: ProviderConfig }, options: VerifierOptions = {}): TokenVerifier {
  const { issuer, issuers, audiences } = config.provider;
  const discovery = new AuthorizationServerDiscovery(issuer, options.keySet);
  discovery.start();
  return new JwtVerifier({ ...options, keys: new RemoteKeySet(() => discovery.jwksUri(), options.keySet), issuers, audiences });
}

/** The variables that point this provider at a test authorization server (startTestAuth, in the project's own tests). */
export function testEnvironment(issuer: string): Record<string, string> {
  // No audience of its own (a value in .env included): tokens name this server's URL.
  return { OIDC_ISSUER_URL: issuer, OIDC_AUDIENCE: "" };
}
