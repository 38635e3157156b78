import { describe, expect, it } from "vitest";
import { addFixtureSuite, copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

// Shapes of real published MCP servers (issue 18, "see what the code says"; test/fixtures/real), each
// reproduced small: mcp-server-kubernetes (one server handed to another module's request handler),
// @apify/actors-mcp-server (the route in an enum; a start script that runs sources the package does
// not ship), mongodb-mcp-server (the HTTP server in a dependency).

/** add --dry-run --json on a fresh copy of a fixture: its document, stderr, and whether the copy changed. */
async function dryRun(fixture: string, scopes: string) {
  const work = await tempDir(`cma-add-${fixture}-`);
  try {
    const root = await copyFixture(fixture, work.dir);
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", scopes]);
    return {
      run,
      doc: parseDocument(run.stdout, run.stderr),
      unchanged: JSON.stringify([...(await snapshot(root))]) === JSON.stringify([...before]),
    };
  } finally {
    await work.cleanup();
  }
}

// index.js builds one McpServer and hands it to startHttpServer() of http.js, whose request handler
// connects it to a new transport per request: the second request fails with "Already connected to a
// transport", before add as after. add names it as the project's own bug and fixes it across both
// files: the creation and setup become a factory, passed along, called per request.
addFixtureSuite({
  fixture: "server-across-modules",
  scopes: "add_note=notes:write,list_notes=notes:read",
  modifies: ["package.json", "index.js", "http.js"],
  removes: [
    "export function startHttpServer(server) {",
    'const server = new McpServer({ name: "notes", version: "0.3.0" });',
    "// Tools",
    "const limits = { maxNotes: 100 };",
    'server.tool("list_notes", "The notes", async () => ({',
    '  content: [{ type: "text", text: notes.join("\\n") }],',
    "}));",
    'server.tool("add_note", "Add a note", { text: z.string().default("Keep it simple.") }, async ({ text }) => {',
    "  if (notes.length < limits.maxNotes) notes.push(text);",
    '  return { content: [{ type: "text", text: String(notes.length) }] };',
    "});",
    "  startHttpServer(server);",
  ],
  more(root) {
    it("after add, nothing reused is found any more", async () => {
      const after = parseDocument((await runCli(["add", root(), "--dry-run", "--json", "--scopes", "add_note=notes:write"])).stdout, "");
      expect(after.detected.reusedServer).toEqual([]);
    }, 60_000);
  },
});

describe("add on server-across-modules, before writing", () => {
  it("names the server handed to another module's request handler as the project's own bug, and the fix across both files", async () => {
    const { run, doc, unchanged } = await dryRun("server-across-modules", "add_note=notes:write");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(unchanged).toBe(true);
    expect(doc.detected.reusedServer).toEqual([{ file: "index.js", line: 8, handlerLine: 10, fixed: true, reason: null, transport: null }]);
    expect(run.stderr).toMatch(/index\.js:8: one McpServer \(server\) reused across requests/);
    expect(run.stderr).toMatch(/This is a bug of the project, there before add, not caused by it/);
    expect(doc.diff).toContain("+export function startHttpServer(server, createMcpServer) {");
    expect(doc.diff).toContain("+    const server = createMcpServer();");
    expect(doc.diff).toContain("+  startHttpServer(server, createMcpServer);");
    expect(doc.diff).toContain("+const server = createMcpServer();");
  }, 60_000);
});

// A package as published: dist/ only, the route in a compiled TypeScript enum (`Routes["MCP"] = "/mcp"`),
// and a start script (`tsx src/server.ts`) whose file the package does not ship.
addFixtureSuite({
  fixture: "published-enum-route",
  scopes: "get_forecast=weather:read,get_alerts=weather:alerts",
  modifies: ["package.json", "dist/server.js"],
  more(root) {
    it("with no flag beyond --scopes: the endpoint from the compiled enum, started with node on the shipped file", async () => {
      const run = await runCli(["add", root(), "--dry-run", "--json", "--scopes", "get_forecast=weather:read"]);
      const doc = parseDocument(run.stdout, run.stderr) as unknown as {
        detected: { endpoint: { path: string }; start: string };
      };
      expect(run.exitCode, run.stderr).toBe(0);
      expect(doc.detected.endpoint.path).toBe("/mcp");
      expect(doc.detected.start).toBe("node dist/server.js");
    }, 60_000);
  },
});

// The app built in a class (`this.app = express()` in the constructor, routes on `this.app` in a method): add
// finds it and its route with no flag, wires `this.app.use(mcpAuth(...))` in place, its auth code next to it (src/auth).
addFixtureSuite({
  fixture: "express-class-app",
  scopes: "add_task=tasks:write,list_tasks=tasks:read",
  modifies: ["package.json", "src/http-server.js"],
  more(root) {
    it("with no flag beyond --scopes: the class's app and its route, wired in the constructor", async () => {
      const run = await runCli(["add", root(), "--dry-run", "--json", "--scopes", "add_task=tasks:write"]);
      const doc = parseDocument(run.stdout, run.stderr) as unknown as {
        detected: { entry: { file: string; app: string }; endpoint: { path: string } };
      };
      expect(run.exitCode, run.stderr).toBe(0);
      expect(doc.detected.entry).toMatchObject({ file: "src/http-server.js", app: "this.app" });
      expect(doc.detected.endpoint.path).toBe("/mcp");
    }, 60_000);
  },
});

describe("endpoints held in an enum and HTTP servers that live in a dependency", () => {
  it('a TypeScript enum imported from another file (Routes.MCP, Routes["MCP"]) is the endpoint; a start script whose file exists is kept', async () => {
    const { run, doc, unchanged } = await dryRun("enum-route-ts", "list_todos=todos:read");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(unchanged).toBe(true);
    const detected = doc.detected as { endpoint: { path: string }; start: string; routes: string[] };
    expect(detected.endpoint.path).toBe("/api/mcp");
    // Routes.HEALTH (a plain member) and Routes["MCP"] (a computed one), both from the enum in src/routes.ts.
    expect(detected.routes).toEqual(["GET /health", "POST /api/mcp"]);
    expect(detected.start).toBe("npm start");
  }, 60_000);

  it("an HTTP server in a dependency (re-exported from @warehouse/mcp-http-runners) is refused naming the package, nothing written", async () => {
    const { run, doc, unchanged } = await dryRun("http-runner-dependency", "list_items=items:read");
    expect(run.exitCode).toBe(2);
    expect(unchanged).toBe(true);
    const error = (doc as unknown as { error: string }).error;
    expect(error).toMatch(/serves MCP over HTTP from a dependency: its HTTP server is the code of @warehouse\/mcp-http-runners/);
    expect(error).toMatch(/dist\/lib\.js:1: StreamableHttpRunner, MCPHttpServer from @warehouse\/mcp-http-runners/);
    expect(error).toMatch(/its start script: node dist\/index\.js --transport http/);
    expect(error).toMatch(/Nothing was written\.$/);
    expect(error).not.toMatch(/none of the frameworks/);
  }, 60_000);

  it("an MCP route that reads the Authorization header as the project's own credential is named (after add it carries the MCP token)", async () => {
    const { run, doc, unchanged } = await dryRun("bearer-passthrough", "search_docs=docs:read");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(unchanged).toBe(true);
    expect((doc.detected as { authorizationReaders: unknown }).authorizationReaders).toEqual([{ file: "server.js", line: 7 }]);
    expect(run.stderr).toMatch(/own bearer\s+server\.js:7: the MCP route reads the Authorization header itself/);
  }, 60_000);
});
