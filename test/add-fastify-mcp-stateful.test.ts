import { addFixtureSuite } from "./add-suite.js";

// The fastify-mcp plugin, stateful (its Sessions: POST, GET and DELETE on the endpoint), registered by a
// plugin module of the app's own (src/mcp.js, `app.register(mcpPlugin)` not awaited) with the endpoint in an
// exported constant: add finds the endpoint in that module and wires the app in src/server.js.
addFixtureSuite({
  fixture: "fastify-mcp-stateful",
  scopes: "font_css=fonts:write,find_fonts=fonts:read",
  modifies: ["package.json", "src/server.js"],
});
