import { addFixtureSuite } from "./add-suite.js";

// Express on SDK v2: @modelcontextprotocol/server, /express (createMcpExpressApp) and /node (toNodeHandler).
addFixtureSuite({
  fixture: "express-v2",
  scopes: "restock_item=inventory:write,list_items=inventory:read",
  modifies: ["package.json", "src/server.ts"],
  typescript: true,
  ownTests: true,
});
