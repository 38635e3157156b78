import { type AuthInfo, createMcpHandler } from "@modelcontextprotocol/server";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { logRequest } from "./log.js";
import { createMcpServer } from "./mcp.js";

// One handler for both protocol eras: 2026-07-28 requests, and 2025-era
// clients (initialize) served statelessly. It builds a server per request.
const mcp = createMcpHandler(createMcpServer, { legacy: "stateless" });

/**
 * Set by middleware in front of the MCP route and passed on to the handler, as the SDK's Hono guide does:
 * `auth`, the verified caller (the tools see it); `parsedBody`, the JSON body when a middleware already
 * read it (the handler then reads nothing again).
 */
type Env = { Variables: { auth?: AuthInfo; parsedBody?: unknown } };

/** One log line per request (./log.ts), once the app has its answer. */
const requestLog = createMiddleware(async (c, next) => {
  const startedAt = Date.now();
  await next();
  logRequest(c.req.method, c.req.path, c.res.status, startedAt);
});

/** The Hono app: the MCP endpoint at /mcp, and /healthz for load balancers. Add your own routes here. */
export function createApp(): Hono<Env> {
  // The request log is the first middleware, so it logs every answer, those of middleware added later included.
  const app = new Hono<Env>().use(requestLog);

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.all("/mcp", (c) => mcp.fetch(c.req.raw, { authInfo: c.get("auth"), parsedBody: c.get("parsedBody") }));

  return app;
}
