import { addFixtureSuite } from "./add-suite.js";

// A Fastify app whose MCP endpoint is served by the fastify-mcp plugin (`await app.register(streamableHttp,
// { stateful: false, mcpEndpoint, createServer })`, the shape of the servers published on it): the routes are
// the plugin's, registered inside its own encapsulated context, awaited before add's call; ESM JavaScript, SDK v1.
addFixtureSuite({
  fixture: "fastify-mcp-plugin",
  scopes: "add_note=notes:write,list_notes=notes:read",
  modifies: ["package.json", "src/index.js"],
});
