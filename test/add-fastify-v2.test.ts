import { addFixtureSuite } from "./add-suite.js";

// Fastify on the v2 SDK: the app from @modelcontextprotocol/fastify's createMcpFastifyApp (its own Host check
// for a loopback host), one route for every method handing the raw request to createMcpHandler's Node handler
// (2026-07-28 and, statelessly, the 2025 era); ESM JavaScript.
addFixtureSuite({
  fixture: "fastify-v2",
  scopes: "record_reading=weather:write,get_reading=weather:read",
  modifies: ["package.json", "src/server.js"],
});
