/** How the shared tests (test/*.test.ts) configure this provider against the test issuer. */
export const RESOURCE_ID = "res_test";

/** The provider's environment variables for an authorization server at `issuerUrl`. */
export function providerEnv(issuerUrl: string): Record<string, string> {
  return { SCALEKIT_ENVIRONMENT_URL: issuerUrl, SCALEKIT_RESOURCE_ID: RESOURCE_ID };
}

/** What Scalekit puts in `aud` of a token for this server (it also accepts the server URL). */
export const tokenAudience = (_publicUrl: string): string[] => [RESOURCE_ID];

/** Audiences of tokens meant for other servers. */
export const otherAudience = ["https://other.example.com/mcp", "res_other"];

/** The authorization server the protected resource metadata names. */
export const authorizationServerFor = (issuerUrl: string): string => `${issuerUrl}/resources/${RESOURCE_ID}`;
