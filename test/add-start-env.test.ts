import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { addFixtureSuite, parseDocument } from "./add-suite.js";
import { runCli } from "./helpers/cli.js";

// The transport from MCP_TRANSPORT_TYPE (a zod schema of the environment, stdio by default) and the port
// from MCP_HTTP_PORT (3010, not PORT): the shape of obsidian-mcp-server (issue 18, brief h22). add starts
// it with MCP_TRANSPORT_TYPE=http and MCP_HTTP_PORT set to the self-check's free port (the full self-check
// below passes with nothing in the caller's environment), and prints that start command.
const scopes = "vault_read=vault:read,vault_write=vault:write";

addFixtureSuite({
  fixture: "start-env-transport",
  scopes,
  modifies: ["package.json", "dist/http.js"],
  more(root) {
    it("detects the variable that selects HTTP and the one the port is read from; start:stdio is not the start command", async () => {
      const run = await runCli(["add", root(), "--dry-run", "--json", "--scopes", scopes]);
      const doc = parseDocument(run.stdout, run.stderr) as unknown as { detected: { start: string } };
      expect(run.exitCode, run.stderr).toBe(0);
      expect(doc.detected.start).toBe("MCP_TRANSPORT_TYPE=http npm start");
      // MCP_SERVER_URL names the port the server listens on without MCP_HTTP_PORT.
      expect(await readFile(path.join(root(), ".env.example"), "utf8")).toMatch(/^MCP_SERVER_URL=http:\/\/localhost:3010\/mcp$/m);
    });
  },
});
