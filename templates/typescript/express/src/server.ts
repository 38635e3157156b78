import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler } from "@modelcontextprotocol/server";
import express from "express";
import { logRequest } from "./log.js";
import { createMcpServer } from "./mcp.js";

// One handler for both protocol eras: 2026-07-28 requests, and 2025-era
// clients (initialize) served statelessly. It builds a server per request.
const mcp = toNodeHandler(createMcpHandler(createMcpServer, { legacy: "stateless" }));

/** The Express app: the MCP endpoint at /mcp, and /healthz for load balancers. Add your own routes here. */
export function createApp(): express.Express {
  // The request log is the first middleware, so it logs every answer, those of middleware added later included.
  const app = express().use(requestLog);
  app.disable("x-powered-by");

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  // The SDK reads the body itself unless a parser already has (req.body).
  app.all("/mcp", (req, res) => {
    void mcp(req, res, req.body);
  });

  return app;
}

/** One log line per request (./log.ts), once its answer is done. */
function requestLog(req: express.Request, res: express.Response, next: express.NextFunction): void {
  const startedAt = Date.now();
  res.once("close", () => logRequest(req.method, req.originalUrl, res.statusCode, startedAt));
  next();
}
