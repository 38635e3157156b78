/** Libraries that serve the MCP endpoint themselves, at a path of their own unless told otherwise. */

export interface McpPlugin {
  /** Package the plugin is imported from. */
  source: string;
  /** The export: "default" or a named export. */
  imported: string;
  /** The option of `register(plugin, options)` that sets the path. */
  option: string;
  /** The path served when the option is not given. */
  path: string;
}

/** Fastify plugins that serve Streamable HTTP (read from each package's source, 2026-12). */
export const FASTIFY_MCP_PLUGINS: readonly McpPlugin[] = [
  // fastify-mcp: `register(streamableHttp, { stateful, mcpEndpoint, createServer })`
  { source: "fastify-mcp", imported: "streamableHttp", option: "mcpEndpoint", path: "/mcp" },
  // fastify-mcp-server: `register(FastifyMcpStreamableHttp, { server, endpoint })`, MCP_DEFAULT_ENDPOINT "/mcp"
  { source: "fastify-mcp-server", imported: "default", option: "endpoint", path: "/mcp" },
  { source: "fastify-mcp-server", imported: "FastifyMcpStreamableHttp", option: "endpoint", path: "/mcp" },
  // @platformatic/mcp: `register(mcpPlugin, { serverInfo, ... })` serves POST/GET /mcp
  { source: "@platformatic/mcp", imported: "default", option: "path", path: "/mcp" },
];

/** fastmcp's httpStream transport serves this endpoint unless `httpStream.endpoint` says otherwise. */
export const FASTMCP_DEFAULT_ENDPOINT = "/mcp";
