import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { toolScopes } from "../tools.js";
import { buildChallenge, type Challenge } from "./challenge.js";
import type { Config } from "./config.js";
import { InsufficientScopeError, MissingTokenError } from "./errors.js";
import { allScopes, requiredScopesFor } from "./scopes.js";
import type { TokenVerifier, VerifiedToken } from "./verifier.js";

export type AuthResult<T> = { ok: true; value: T } | { ok: false; challenge: Challenge };

export interface Authorizer {
  /** Step 1, from the Authorization header alone (before reading the body). */
  authenticate(authorization: string | undefined): Promise<AuthResult<VerifiedToken>>;
  /** Step 2, with the parsed JSON-RPC body: does the token have the scopes the called tools need? */
  authorize(token: VerifiedToken, body: unknown): AuthResult<AuthInfo>;
  /** Both steps at once, for adapters that have the body already. */
  authorizeRequest(request: { authorization: string | undefined; body: unknown }): Promise<AuthResult<AuthInfo>>;
}

export function createAuthorizer(config: Config, verifier: TokenVerifier): Authorizer {
  const advertised = allScopes(toolScopes);
  const refuse = (error: unknown): { ok: false; challenge: Challenge } => ({
    ok: false,
    challenge: buildChallenge(error, config, advertised),
  });

  async function authenticate(authorization: string | undefined): Promise<AuthResult<VerifiedToken>> {
    // Only the Authorization header carries tokens; never the query string or the body.
    const match = /^Bearer(?:\s+(.*))?$/i.exec(authorization?.trim() ?? "");
    if (!match) return refuse(new MissingTokenError());
    try {
      return { ok: true, value: await verifier.verify(match[1]?.trim() ?? "") };
    } catch (error) {
      return refuse(error);
    }
  }

  function authorize(token: VerifiedToken, body: unknown): AuthResult<AuthInfo> {
    const required = requiredScopesFor(body, toolScopes);
    const missing = required.filter((scope) => !token.scopes.includes(scope));
    if (missing.length > 0) return refuse(new InsufficientScopeError(required, token.scopes));
    return {
      ok: true,
      value: {
        token: token.token,
        clientId: token.clientId,
        scopes: token.scopes,
        expiresAt: token.expiresAt,
        resource: new URL(config.resourceUrl),
        extra: { sub: token.subject },
      },
    };
  }

  return {
    authenticate,
    authorize,
    async authorizeRequest({ authorization, body }) {
      const authenticated = await authenticate(authorization);
      return authenticated.ok ? authorize(authenticated.value, body) : authenticated;
    },
  };
}
