import { type AuthInfo, createMcpHandler } from "@modelcontextprotocol/server";
import { Hono } from "hono";
import { createMcpServer } from "./mcp.js";

// One handler for both protocol eras: 2026-07-28 requests, and 2025-era
// clients (initialize) served statelessly. It builds a server per request.
const mcp = createMcpHandler(createMcpServer, { legacy: "stateless" });

/** `auth`: the verified caller, set by an auth middleware in front of the MCP route, passed on to the tools. */
type Env = { Variables: { auth?: AuthInfo } };

/** The Hono app: the MCP endpoint at /mcp, and /healthz for load balancers. Add your own routes here. */
export function createApp(): Hono<Env> {
  const app = new Hono<Env>();

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.all("/mcp", (c) => mcp.fetch(c.req.raw, { authInfo: c.get("auth") }));

  return app;
}
