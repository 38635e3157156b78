/** Development-only endpoints used by `check --issuer <url>`: mint, rotate, info. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IssuerContext } from "../context.js";
import { tokenIssuer } from "../context.js";
import { OAuthError } from "../errors.js";
import { readJsonObject, sendJson } from "../http.js";
import { authorizationServerUrl, metadataUrls } from "../metadata.js";
import { parseMintOptions } from "../tokens.js";

/**
 * The issuer binds to loopback, but a web page in the developer's browser can
 * still reach it: refuse other Host names (DNS rebinding) and cross-origin
 * callers. JSON bodies also force a CORS preflight, which these routes never grant.
 */
function assertLocalCaller(req: IncomingMessage, ctx: IssuerContext): void {
  const port = new URL(ctx.url).port;
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const host = (req.headers.host ?? "").toLowerCase();
  if (!allowedHosts.includes(host)) {
    throw new OAuthError("access_denied", "development endpoints answer only to a loopback Host", 403);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts.some((h) => origin.toLowerCase() === `http://${h}`)) {
    throw new OAuthError("access_denied", "development endpoints refuse cross-origin requests", 403);
  }
}

export async function handleMint(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext): Promise<void> {
  assertLocalCaller(req, ctx);
  const options = parseMintOptions(await readJsonObject(req, true));
  sendJson(res, 200, { token: await ctx.tokens.mint(options) });
}

export async function handleRotate(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext): Promise<void> {
  assertLocalCaller(req, ctx);
  const body = await readJsonObject(req, true);
  if (body.keepOld !== undefined && typeof body.keepOld !== "boolean") {
    throw new OAuthError("invalid_request", "keepOld must be a boolean");
  }
  sendJson(res, 200, { kid: await ctx.keys.rotate(body.keepOld ?? true) });
}

export function devInfo(ctx: IssuerContext): Record<string, unknown> {
  return {
    url: ctx.url,
    issuer: tokenIssuer(ctx, ctx.resourceId),
    resourceId: ctx.resourceId,
    issuerForm: ctx.issuerForm,
    authorizationServer: authorizationServerUrl(ctx.url, ctx.resourceId),
    jwksUri: `${ctx.url}/keys`,
    metadataUrls: metadataUrls(ctx.url, ctx.resourceId),
    scopes: [...ctx.scopes],
    tokenLifetime: ctx.tokens.lifetime,
    consent: ctx.consent,
    kid: ctx.keys.current.kid,
    jwksRequests: ctx.stats.jwksRequests,
  };
}

export function handleInfo(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext): void {
  assertLocalCaller(req, ctx);
  sendJson(res, 200, devInfo(ctx));
}
