/** POST /api/v1/resources/{res_id}/clients:register (RFC 7591). */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IssuerContext } from "../context.js";
import { readJsonObject, sendJson } from "../http.js";

export async function handleRegister(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext, resId: string): Promise<void> {
  const body = await readJsonObject(req);
  sendJson(res, 201, ctx.clients.register(body, resId));
}
