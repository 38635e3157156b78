import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

// Servers add does not secure, each refused by name (exit 2) with what to do, and nothing written:
// shapes seen on npm (shadcn-ui's SSE server, brightdata's fastmcp stdio server, exa's mcp-handler).
describe("add refuses, by name, what it does not secure", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-add-refusals-");
  });
  afterAll(() => work.cleanup());

  const cases: [fixture: string, reason: RegExp][] = [
    [
      "sse-only",
      /serves only the deprecated HTTP\+SSE transport \(src\/server\.js:13: SSEServerTransport; GET \/sse\)\. .*Serve it over Streamable HTTP/,
    ],
    ["fastmcp-stdio", /serves MCP over stdio only \(server\.js:14: start\(\{ transportType: "stdio" \}\)\)/],
    ["mcp-handler", /built on a route-handler adapter: it serves MCP through mcp-handler .*withMcpAuth/],
  ];
  for (const [fixture, reason] of cases) {
    it(`${fixture}: exit 2, the reason by name, nothing written (also with --dry-run)`, async () => {
      const root = await copyFixture(fixture, work.dir);
      const before = await snapshot(root);
      for (const extra of [[], ["--dry-run"]]) {
        const run = await runCli(["add", root, "--yes", "--json", ...extra]);
        expect(run.exitCode, run.stderr).toBe(2);
        const doc = parseDocument(run.stdout, run.stderr) as unknown as { ok: boolean; error: string };
        expect(doc.ok).toBe(false);
        expect(doc.error).toMatch(reason);
        expect(doc.error).toMatch(/Nothing was written\.$/);
      }
      expect(await snapshot(root)).toEqual(before);
    });
  }
});
