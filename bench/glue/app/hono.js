// Hono on SDK v2 (web-standard handler); with MCP_AUTH=off the same server without the glue.
import { serve } from "@hono/node-server";
import { createMcpHandler } from "@modelcontextprotocol/server";
import { Hono } from "hono";
import { mcpAuth } from "./auth/hono.js";
import { createMcpServer } from "./mcp.js";

const mcp = createMcpHandler(createMcpServer, { legacy: "stateless" });
const app = new Hono();
if (process.env.MCP_AUTH !== "off") app.use(mcpAuth({ endpoint: "/mcp" }));
app.all("/mcp", (c) => mcp.fetch(c.req.raw, { authInfo: c.get("auth") }));
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: "127.0.0.1" });
