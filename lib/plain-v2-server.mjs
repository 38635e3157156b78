// The baseline for the conformance comparison: a plain MCP server on SDK v2
// with one tool, as the SDK's documentation writes it (createMcpHandler,
// createMcpExpressApp with its default Host/Origin checks, toNodeHandler).

import { once } from "node:events";
import { createMcpExpressApp } from "@modelcontextprotocol/express";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import * as z from "zod";

export async function startPlainV2Server() {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: "plain", version: "1.0.0" });
    server.registerTool(
      "echo",
      { description: "Echoes its text", inputSchema: z.object({ text: z.string().optional() }) },
      async ({ text }) => ({
        content: [{ type: "text", text: text ?? "" }],
      }),
    );
    return server;
  });
  const app = createMcpExpressApp();
  const node = toNodeHandler(handler);
  app.all("/mcp", (req, res) => void node(req, res, req.body));
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}/mcp`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await handler.close();
    },
  };
}
