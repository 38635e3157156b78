import { addFixtureSuite, limitBeforeAuthSuite } from "./add-suite.js";

// Fastify 5 + SDK v1, ESM JavaScript, with @fastify/helmet (registered without await) and
// @fastify/rate-limit at 100/min (awaited), which adds its hook to each route: the token
// check goes on the MCP route after it.
addFixtureSuite({
  fixture: "fastify-secured",
  scopes: "set_stock=stock:write,get_stock=stock:read",
  modifies: ["package.json", "src/server.js"],
  more: limitBeforeAuthSuite,
});
