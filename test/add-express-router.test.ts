import { addFixtureSuite } from "./add-suite.js";

// Express 5 + SDK v1, ESM JavaScript: the MCP endpoint on a router in another
// file (mounted with app.use(router)), tools registered in a loop over an
// array, the port from a config object (Number(process.env.PORT ?? 3333)).
// Before: add exited 2 asking for --endpoint.
addFixtureSuite({
  fixture: "express-router",
  scopes: "list_notes=notes:read,add_note=notes:write",
  modifies: ["package.json", "src/index.js"],
});
