import { buildChallenge, type Challenge } from "./challenge.js";
import type { Config } from "./config.js";
import { InsufficientScopeError, MissingTokenError } from "./errors.js";
import { prmUrls } from "./metadata.js";
import { allScopes, missingScopes, requiredScopesFor } from "./scopes.js";
import { scopeHierarchy, toolScopes } from "./tool-scopes.js";
import type { TokenVerifier, VerifiedToken } from "./verifier.js";

/**
 * The verified caller in the shape both MCP SDK generations call `AuthInfo`,
 * so it is handed to them as it is; tools read it (subject in `extra.sub`).
 */
export interface AuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt?: number;
  resource?: URL;
  resourceMetadataUrl?: string;
  extra?: Record<string, unknown>;
}

export type AuthResult<T> = { ok: true; value: T } | { ok: false; challenge: Challenge };

export interface Authorizer {
  /** Step 1, from the Authorization header alone (before reading the body). */
  authenticate(authorization: string | null | undefined): Promise<AuthResult<VerifiedToken>>;
  /** Step 2, with the parsed JSON-RPC body: does the token hold the scopes the called tools need? */
  authorize(token: VerifiedToken, body: unknown): AuthResult<AuthInfo>;
}

export function createAuthorizer(config: Config, verifier: TokenVerifier): Authorizer {
  const advertised = allScopes(toolScopes, scopeHierarchy);
  const resource = new URL(config.resourceUrl);
  const resourceMetadataUrl = prmUrls(config).pathSuffixed;
  const refuse = (error: unknown): { ok: false; challenge: Challenge } => ({
    ok: false,
    challenge: buildChallenge(error, config, advertised),
  });

  return {
    async authenticate(authorization) {
      // Only the Authorization header carries tokens; never the query string or the body.
      const match = /^Bearer(?:[ \t]+(.*))?$/i.exec(authorization?.trim() ?? "");
      if (!match) return refuse(new MissingTokenError());
      try {
        return { ok: true, value: await verifier.verify(match[1]?.trim() ?? "") };
      } catch (error) {
        return refuse(error);
      }
    },

    authorize(token, body) {
      const required = requiredScopesFor(body, toolScopes);
      if (missingScopes(required, token.scopes, scopeHierarchy).length > 0) {
        return refuse(new InsufficientScopeError(required, token.scopes));
      }
      return {
        ok: true,
        value: {
          token: token.token,
          clientId: token.clientId,
          scopes: token.scopes,
          expiresAt: token.expiresAt,
          resource,
          resourceMetadataUrl,
          extra: { sub: token.subject },
        },
      };
    },
  };
}
