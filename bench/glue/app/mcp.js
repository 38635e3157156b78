// A plain SDK v2 McpServer per request, as the SDK documents it; the tools see the caller as ctx.http.authInfo.
import { McpServer } from "@modelcontextprotocol/server";
import { serverName, tools } from "./tools.js";

export function createMcpServer() {
  const server = new McpServer({ name: serverName, version: "0.1.0" });
  for (const { name, run, ...config } of tools) server.registerTool(name, config, (args, ctx) => run(args, ctx.http?.authInfo));
  return server;
}
