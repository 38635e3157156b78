import { addFixtureSuite } from "./add-suite.js";

// The Express SDK v2 fixture with --provider oidc: the self-check starts the
// local issuer in its oidc layout and passes OIDC_ISSUER_URL to the server.
addFixtureSuite({
  fixture: "express-v2",
  provider: "oidc",
  scopes: "restock_item=inventory:write,list_items=inventory:read",
  modifies: ["package.json", "src/server.ts"],
  typescript: true,
  ownTests: true,
});
