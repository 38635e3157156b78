import { addFixtureSuite } from "./add-suite.js";

// Express + SDK v1 in ESM TypeScript (tsc build, node dist), with one McpServer
// reused across requests: add moves it into a factory called per request.
addFixtureSuite({
  fixture: "express-ts",
  scopes: "add_note=notes:write,list_notes=notes:read",
  modifies: ["package.json", "src/index.ts"],
  removes: ["const server = new McpServer({", '  name: "notes",', '  version: "0.3.0",', "});", "registerTools(server);"],
  typescript: true,
});
