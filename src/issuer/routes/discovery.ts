/** GET /keys and the authorization server metadata. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IssuerContext } from "../context.js";
import { sendJson } from "../http.js";
import { authorizationServerMetadata } from "../metadata.js";

export function handleKeys(_req: IncomingMessage, res: ServerResponse, ctx: IssuerContext): void {
  ctx.stats.jwksRequests++;
  sendJson(res, 200, ctx.keys.jwks(), { "Content-Type": "application/jwk-set+json; charset=utf-8" });
}

export function handleMetadata(_req: IncomingMessage, res: ServerResponse, ctx: IssuerContext, resId: string): void {
  sendJson(res, 200, authorizationServerMetadata(ctx, resId));
}
