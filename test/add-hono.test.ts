import { addFixtureSuite } from "./add-suite.js";

// Hono on @hono/node-server with the SDK's web-standard transport, TypeScript run by tsx.
addFixtureSuite({
  fixture: "hono",
  scopes: "save_bookmark=bookmarks:write,list_bookmarks=bookmarks:read",
  modifies: ["package.json", "src/index.ts"],
  typescript: true,
});
