/** POST /oauth/token: authorization_code (PKCE S256), refresh_token (rotating), client_credentials. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Client, parseScope, readClientCredentials } from "../clients.js";
import { checkResources, grantAudience, grantedScopes, type IssuerContext, tokenIssuer } from "../context.js";
import { OAuthError } from "../errors.js";
import { type Grant, verifyPkce } from "../grants.js";
import { type Params, readForm, sendJson } from "../http.js";

interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

const SUPPORTED = new Set(["authorization_code", "refresh_token", "client_credentials"]);

const invalidGrant = (msg: string): OAuthError => new OAuthError("invalid_grant", msg);

/** Resources asked for at the token endpoint must be among those approved (when any were). */
function narrowResources(requested: string[], approved: string[]): string[] {
  if (requested.length === 0) return approved;
  if (approved.length > 0) {
    const extra = requested.filter((r) => !approved.includes(r));
    if (extra.length) throw new OAuthError("invalid_target", `resource was not part of the grant: ${extra[0]!.slice(0, 200)}`);
  }
  return requested;
}

async function respond(
  ctx: IssuerContext,
  grant: Grant,
  resources: string[],
  scopes: string[],
  refreshToken: string | undefined,
): Promise<TokenResponse> {
  const { token, expiresIn } = await ctx.tokens.issue({
    issuer: tokenIssuer(ctx, grant.resourceId),
    sub: grant.sub,
    clientId: grant.clientId,
    scopes,
    audience: grantAudience(ctx, resources, grant.resourceId),
  });
  return {
    access_token: token,
    token_type: "Bearer",
    expires_in: expiresIn,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    scope: scopes.join(" "),
  };
}

async function authorizationCode(ctx: IssuerContext, client: Client, form: Params): Promise<TokenResponse> {
  const code = form.get("code");
  const verifier = form.get("code_verifier");
  const redirectUri = form.get("redirect_uri");
  if (!code) throw new OAuthError("invalid_request", "code is required");
  if (!verifier) throw new OAuthError("invalid_request", "code_verifier is required (PKCE)");
  const resources = checkResources(form.all("resource"));
  const entry = ctx.grants.takeCode(code);
  if (!entry) throw invalidGrant("the authorization code is invalid, expired or already used");
  if (entry.clientId !== client.clientId) throw invalidGrant("the authorization code was issued to another client");
  if (entry.redirectUriSent && redirectUri === undefined) throw invalidGrant("redirect_uri is required");
  if (redirectUri !== undefined && redirectUri !== entry.redirectUri) {
    throw invalidGrant("redirect_uri does not match the authorization request");
  }
  if (!verifyPkce(verifier, entry.codeChallenge)) throw invalidGrant("PKCE verification failed (code_verifier)");
  const finalResources = narrowResources(resources, entry.resources);
  const grant: Grant = { ...entry, resources: finalResources };
  return respond(ctx, grant, finalResources, entry.scopes, ctx.grants.createRefreshToken(grant));
}

async function refreshToken(ctx: IssuerContext, client: Client, form: Params): Promise<TokenResponse> {
  const token = form.get("refresh_token");
  if (!token) throw new OAuthError("invalid_request", "refresh_token is required");
  const requestedScopes = parseScope(form.get("scope"));
  const resources = checkResources(form.all("resource"));
  const entry = ctx.grants.peekRefreshToken(token);
  if (!entry) throw invalidGrant("the refresh token is invalid, expired or already used");
  if (entry.clientId !== client.clientId) throw invalidGrant("the refresh token was issued to another client");
  let scopes = entry.scopes;
  if (requestedScopes?.length) {
    const extra = requestedScopes.filter((s) => !entry.scopes.includes(s));
    if (extra.length) throw new OAuthError("invalid_scope", `scope was not part of the grant: ${extra.join(" ")}`);
    scopes = requestedScopes;
  }
  const finalResources = narrowResources(resources, entry.resources);
  // Rotation: the presented refresh token is spent; the new one carries the same grant.
  ctx.grants.revokeRefreshToken(token);
  return respond(ctx, entry, finalResources, scopes, ctx.grants.createRefreshToken(entry));
}

async function clientCredentials(ctx: IssuerContext, client: Client, form: Params): Promise<TokenResponse> {
  if (client.clientSecret === undefined) {
    throw new OAuthError("unauthorized_client", "client_credentials is for confidential clients (with a client_secret)");
  }
  const scopes = grantedScopes(ctx, parseScope(form.get("scope")));
  if (!Array.isArray(scopes)) throw new OAuthError("invalid_scope", `unknown scope: ${scopes.unknown.join(" ")}`);
  const resources = checkResources(form.all("resource"));
  const grant: Grant = {
    clientId: client.clientId,
    resourceId: client.resourceId ?? ctx.resourceId,
    sub: client.clientId,
    scopes,
    resources,
  };
  return respond(ctx, grant, resources, scopes, undefined);
}

export async function handleToken(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext): Promise<void> {
  const form = await readForm(req);
  const grantType = form.get("grant_type");
  if (!grantType) throw new OAuthError("invalid_request", "grant_type is required");
  if (!SUPPORTED.has(grantType)) {
    throw new OAuthError("unsupported_grant_type", `grant_type "${grantType.slice(0, 100)}" is not supported`);
  }
  const auth = req.headers.authorization;
  const creds = readClientCredentials(typeof auth === "string" ? auth : undefined, {
    clientId: form.get("client_id"),
    clientSecret: form.get("client_secret"),
  });
  const client = ctx.clients.authenticate(creds);
  const body =
    grantType === "authorization_code"
      ? await authorizationCode(ctx, client, form)
      : grantType === "refresh_token"
        ? await refreshToken(ctx, client, form)
        : await clientCredentials(ctx, client, form);
  sendJson(res, 200, body);
}
