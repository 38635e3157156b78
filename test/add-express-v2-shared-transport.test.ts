import { addFixtureSuite } from "./add-suite.js";

// Express + SDK v2 (@modelcontextprotocol/node's NodeStreamableHTTPServerTransport), TypeScript run
// with tsx: one McpServer and one stateless transport reused by every request, made per request by add.
addFixtureSuite({
  fixture: "express-v2-shared-transport",
  scopes: "set_zone=clock:write,now=clock:read",
  modifies: ["package.json", "src/server.ts"],
  removes: [
    'const server = new McpServer({ name: "clock", version: "2.0.0" });',
    'server.registerTool("now", { description: "The time now", inputSchema: z.object({}) }, async () => ({',
    '  content: [{ type: "text", text: new Date().toISOString() }],',
    "}));",
    "server.registerTool(",
    '  "set_zone",',
    '  { description: "Set the time zone", inputSchema: z.object({ zone: z.string().default("UTC") }) },',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a line of the fixture, as written
    '  async ({ zone }) => ({ content: [{ type: "text", text: `zone ${zone}` }] }),',
    ");",
    "const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined });",
    "await server.connect(transport);",
    "",
    'app.post("/mcp", (req, res) => {',
  ],
  typescript: true,
});
