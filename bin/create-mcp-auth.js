#!/usr/bin/env node
// Plain JavaScript on purpose: this file must run (and explain itself) on any
// Node.js, before the bundled CLI's modern syntax is parsed.
const [major, minor] = process.versions.node.split(".").map(Number);
const supported = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;
if (!supported) {
  process.stderr.write(
    "create-mcp-auth needs Node.js ^20.19.0 || >=22.12.0; this is " +
      process.version +
      ".\n" +
      "Install a current Node.js (https://nodejs.org) and run the command again.\n",
  );
  process.exit(2);
}
import("../dist/cli.js").then(
  (cli) => cli.main(process.argv),
  (error) => {
    process.stderr.write(`create-mcp-auth: could not load its bundle (${error.message}).\n`);
    process.exit(3);
  },
);
