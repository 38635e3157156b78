import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { registerTools, serverName } from "./tools.js";

/**
 * A new McpServer for every request. An McpServer connects to one transport
 * for life, so sharing one across stateless requests fails from the second
 * request on ("Already connected to a transport").
 */
export function createMcpServer(): McpServer {
  const server = new McpServer({ name: serverName, version: "0.1.0" });
  registerTools(server);
  return server;
}
