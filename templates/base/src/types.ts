/** The MCP SDK types the tools use, from the SDK generation this project runs on (v2). */
export type { CallToolResult } from "@modelcontextprotocol/server";
