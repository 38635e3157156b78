import { addFixtureSuite, ownTestsSuite } from "./add-suite.js";

// express-secured with --provider oidc: startTestAuth points the oidc variables at its own
// issuer (and no Scalekit ones), and the project's tests pass after the documented step.
addFixtureSuite({
  fixture: "express-secured",
  provider: "oidc",
  scopes: "open_ticket=tickets:write,list_tickets=tickets:read",
  modifies: ["package.json", "src/app.js"],
  more: ownTestsSuite,
});
