import { type AuthInfo, createMcpHandler } from "@modelcontextprotocol/server";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { logRequest } from "./log.js";
import { createMcpServer } from "./mcp.js";

// One handler for both protocol eras: 2026-07-28 requests, and 2025-era
// clients (initialize) served statelessly. It builds a server per request.
const mcp = createMcpHandler(createMcpServer, { legacy: "stateless" });

/** The Fastify app: the MCP endpoint at /mcp, and /healthz for load balancers. Add your own routes and plugins here. */
export function createApp(): FastifyInstance {
  const app = Fastify();

  // One log line per request (./log.ts), once its answer is sent: a root hook runs for every route and every hook's answer.
  app.addHook("onResponse", async (request, reply) => {
    logRequest(request.method, request.url, reply.statusCode, Date.now() - reply.elapsedTime);
  });

  app.get("/healthz", async () => ({ status: "ok" }));

  // Fastify parses the JSON body; the SDK runs exactly that body, and its answer (JSON or an SSE stream) is sent as Fastify's reply.
  app.all("/mcp", async (request, reply) => {
    const authInfo = (request.raw as { auth?: AuthInfo }).auth;
    return reply.send(await mcp.fetch(webRequest(request), { parsedBody: request.body, authInfo }));
  });

  return app;
}

/** The request's method and headers as a web-standard Request, the shape the SDK's handler takes. */
function webRequest(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return new Request(new URL(request.url, "http://localhost"), { method: request.method, headers });
}
