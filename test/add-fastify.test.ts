import { addFixtureSuite } from "./add-suite.js";

// Fastify in ESM JavaScript without semicolons, with its own node:test tests.
addFixtureSuite({
  fixture: "fastify",
  scopes: "label_issue=issues:write,search_issues=issues:read",
  modifies: ["package.json", "src/server.js"],
  ownTests: true,
});
