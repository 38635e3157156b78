import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation";
import { registerTools, serverName } from "./tools.js";

/**
 * A new McpServer for every request. An McpServer connects to one transport
 * for life, so sharing one across stateless requests fails from the second
 * request on ("Already connected to a transport").
 */
export function createMcpServer(): McpServer {
  const server = new McpServer({ name: serverName, version: "0.1.0" }, { jsonSchemaValidator: onDemandValidator });
  registerTools(server);
  return server;
}

/**
 * The SDK checks elicitation answers with this. Left to itself it builds an
 * Ajv instance with every format for each McpServer, that is for each request,
 * whether or not anything is ever elicited (a stateless server cannot elicit);
 * that was a fifth of the CPU time of a `tools/list`. Built only when used.
 */
export const onDemandValidator: jsonSchemaValidator = {
  getValidator: (schema) => new AjvJsonSchemaValidator().getValidator(schema),
};
