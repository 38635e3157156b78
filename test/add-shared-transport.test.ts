import { describe, expect, it } from "vitest";
import { addFixtureSuite, copyFixture, parseDocument } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

// Express + SDK v1, ESM JavaScript: one McpServer and one stateless transport, connected once at
// the top level and reused by every request (the SDK refuses the second request: HTTP 500).
// add names it as the project's own bug and builds both per request; the self-check then passes.
addFixtureSuite({
  fixture: "express-shared-transport",
  scopes: "add_quote=quotes:write,random_quote=quotes:read",
  modifies: ["package.json", "server.js"],
  removes: [
    'const server = new McpServer({ name: "quotes", version: "0.2.0" });',
    'server.tool("random_quote", "A random quote", async () => ({',
    '  content: [{ type: "text", text: quotes[Math.floor(Math.random() * quotes.length)] }],',
    "}));",
    'server.tool("add_quote", "Add a quote", { text: z.string().default("Less is more.") }, async ({ text }) => {',
    "  quotes.push(text);",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a line of the fixture, as written
    '  return { content: [{ type: "text", text: `${quotes.length} quotes` }] };',
    "});",
    "const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });",
    "await server.connect(transport);",
    "",
  ],
  more(root) {
    it("after add, nothing reused is found any more", async () => {
      // After add, detection finds nothing reused any more.
      const after = parseDocument((await runCli(["add", root(), "--dry-run", "--json", "--scopes", "add_quote=quotes:write"])).stdout, "");
      expect(after.detected.reusedServer).toEqual([]);
    }, 60_000);
  },
});

describe("add on express-shared-transport, before writing", () => {
  it("names the reused server and transport as the project's own bug, in the summary and in --json", async () => {
    const work = await tempDir("cma-add-shared-");
    try {
      const root = await copyFixture("express-shared-transport", work.dir);
      const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "add_quote=quotes:write"]);
      const doc = parseDocument(run.stdout, run.stderr);
      expect(doc.detected.reusedServer).toEqual([
        { file: "server.js", line: 8, handlerLine: 23, fixed: true, reason: null, transport: { name: "transport", line: 17 } },
      ]);
      expect(run.stderr).toMatch(/one stateless transport \(transport, line 17\) connected once and reused by every request/);
      expect(run.stderr).toMatch(/This is a bug of the project, there before add, not caused by it/);
    } finally {
      await work.cleanup();
    }
  }, 60_000);
});
