/** The MCP SDK types the tools use, from the SDK generation this project runs on (v1: fastmcp's). */
export type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
