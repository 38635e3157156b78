import { addFixtureSuite } from "./add-suite.js";

// An npm workspace: the server is packages/mcp-server, using a sibling package; add installs at the workspace root.
addFixtureSuite({
  fixture: "monorepo",
  project: "packages/mcp-server",
  scopes: "convert=fx:convert,list_currencies=fx:read",
  modifies: ["packages/mcp-server/package.json", "packages/mcp-server/src/index.js"],
});
