import { addFixtureSuite } from "./add-suite.js";

// fastmcp with httpStream (sessions): the only line add changes is the start call.
addFixtureSuite({
  fixture: "fastmcp",
  scopes: "add_recipe=recipes:write,find_recipes=recipes:read",
  modifies: ["package.json", "src/index.ts"],
  removes: ["server.start({"],
  typescript: true,
});
