/** How the shared tests (test/*.test.ts) configure this provider against the test issuer. */

/** The provider's environment variables for an authorization server at `issuerUrl`. */
export function providerEnv(issuerUrl: string): Record<string, string> {
  return { OIDC_ISSUER_URL: issuerUrl };
}

/** RFC 8707: a token for this server names its URL as audience. */
export const tokenAudience = (publicUrl: string): string[] => [publicUrl];

/** Audiences of tokens meant for other servers. */
export const otherAudience = ["https://other.example.com/mcp"];

/** The authorization server the protected resource metadata names: the issuer itself. */
export const authorizationServerFor = (issuerUrl: string): string => issuerUrl;
