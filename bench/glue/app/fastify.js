// Fastify on SDK v2 (its Node adapter on the raw request and response); with MCP_AUTH=off the same server without the glue.
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler } from "@modelcontextprotocol/server";
import Fastify from "fastify";
import { mcpAuth } from "./auth/fastify.js";
import { createMcpServer } from "./mcp.js";

const mcp = toNodeHandler(createMcpHandler(createMcpServer, { legacy: "stateless" }));
const app = Fastify();
if (process.env.MCP_AUTH !== "off") mcpAuth(app, { endpoint: "/mcp" });
app.route({
  method: ["GET", "POST", "DELETE"],
  url: "/mcp",
  handler: async (request, reply) => {
    reply.hijack(); // the SDK writes the response itself
    await mcp(request.raw, reply.raw, request.body);
  },
});
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
