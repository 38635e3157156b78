/** Development-only endpoints used by `check --issuer <url>`: mint, rotate, info (callers: see access.ts, "dev"). */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IssuerContext } from "../context.js";
import { tokenIssuer } from "../context.js";
import { OAuthError } from "../errors.js";
import { readJsonObject, sendJson } from "../http.js";
import { authorizationServerUrl, metadataUrls, registrationEndpoint } from "../metadata.js";
import { parseMintOptions } from "../tokens.js";

export async function handleMint(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext): Promise<void> {
  const options = parseMintOptions(await readJsonObject(req, true));
  sendJson(res, 200, { token: await ctx.tokens.mint(options) });
}

export async function handleRotate(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext): Promise<void> {
  const body = await readJsonObject(req, true);
  if (body.keepOld !== undefined && typeof body.keepOld !== "boolean") {
    throw new OAuthError("invalid_request", "keepOld must be a boolean");
  }
  sendJson(res, 200, { kid: await ctx.keys.rotate(body.keepOld ?? true) });
}

export function devInfo(ctx: IssuerContext): Record<string, unknown> {
  return {
    url: ctx.url,
    layout: ctx.layout,
    issuer: tokenIssuer(ctx, ctx.resourceId),
    resourceId: ctx.resourceId,
    issuerForm: ctx.issuerForm,
    authorizationServer: authorizationServerUrl(ctx, ctx.resourceId),
    jwksUri: `${ctx.url}/keys`,
    metadataUrls: metadataUrls(ctx, ctx.resourceId),
    registrationEndpoint: registrationEndpoint(ctx, ctx.resourceId),
    allowLocalCimd: ctx.allowLocalCimd,
    scopes: [...ctx.scopes],
    tokenLifetime: ctx.tokens.lifetime,
    consent: ctx.consent,
    kid: ctx.keys.current.kid,
    jwksRequests: ctx.stats.jwksRequests,
  };
}

export function handleInfo(_req: IncomingMessage, res: ServerResponse, ctx: IssuerContext): void {
  sendJson(res, 200, devInfo(ctx));
}
