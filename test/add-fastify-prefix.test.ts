import { addFixtureSuite } from "./add-suite.js";

// Fastify with the MCP route in a plugin of its own, registered under a prefix (`app.register(mcpRoutes,
// { prefix: '/mcp' })`, the route itself `post('/')`): the endpoint is the mount, and the hooks on the root
// instance reach the route inside the plugin; top-level await, ESM JavaScript, SDK v1.
addFixtureSuite({
  fixture: "fastify-prefix",
  scopes: "font_css=fonts:write,find_fonts=fonts:read",
  modifies: ["package.json", "src/server.js"],
});
