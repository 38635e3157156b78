import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { addFixtureSuite, parseDocument } from "./add-suite.js";
import { runCli } from "./helpers/cli.js";

// @aashari/mcp-server-atlassian-jira's src/index.ts shape in TypeScript (tsc build, node dist): `serverInstance`, a
// module-level `let`, is assigned a new McpServer in startServer and set up there; the HTTP branch makes one stateless
// transport, connects it once, copies it to `transportInstance` and hands it every request (HTTP 500 from the second
// request: the project's own bug). add fixes it with a factory and a server and transport per request; the project
// then builds (tsc, strict), typechecks, and passes the full self-check.
addFixtureSuite({
  fixture: "reused-factory-ts",
  scopes: "tracker_get=tracker:read,tracker_post=tracker:write",
  modifies: ["package.json", "src/index.ts"],
  typescript: true,
  removes: [
    "  serverInstance = new McpServer({",
    '    name: "tracker",',
    '    version: "3.3.0",',
    "  });",
    "  registerTools(serverInstance);",
    "    // Create transport instance",
    "    const transport = new StreamableHTTPServerTransport({",
    "      sessionIdGenerator: undefined,",
    "    });",
    "    // Connect server to transport",
    "    await serverInstance.connect(transport);",
    "    transportInstance = transport;",
    "    app.all(mcpEndpoint, (req: Request, res: Response) => {",
  ],
  more(root) {
    it("the handler makes its own server and transport, and after add nothing reused is found", async () => {
      const code = await readFile(path.join(root(), "src/index.ts"), "utf8");
      expect(code).toContain("  serverInstance = createMcpServer();");
      expect(code).toContain("      const server = createMcpServer();");
      const after = parseDocument(
        (await runCli(["add", root(), "--dry-run", "--json", "--scopes", "tracker_get=tracker:read,tracker_post=tracker:write"])).stdout,
        "",
      );
      expect(after.detected.reusedServer).toEqual([]);
    }, 60_000);
  },
});
