import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { detect, readPackageJson } from "../src/add/detect.js";
import { changedLines } from "../src/add/diff.js";
import { wire } from "../src/add/wire.js";
import { repoRoot, tempDir } from "./helpers/cli.js";

// @aashari/mcp-server-atlassian-jira@3.3.0's shape (issue 18, point 4): `serverInstance` is a module-level `let`,
// assigned `new McpServer(...)` at the top of startServer and set up there (`registerTools(serverInstance)`, between
// logger lines); in the HTTP branch (an `else` block) one stateless transport is made, connected once, copied to the
// module-level `transportInstance` (which the shutdown closes) and handed every request. The SDK refuses the second
// request. Where it is safe, add fixes it: the creation and its setup become a factory declared where the server was
// made, `serverInstance = createMcpServer()` stays (stdio, shutdown), and the handler makes a new server and transport
// per request, closed with the response. Where it is not safe, it says why and moves nothing.
// The TypeScript source is test/fixtures/add/reused-factory-ts/src/index.ts; tsc's CommonJS output of the same shape
// is test/fixtures/add/reused-in-block/dist/index.js (both are installed and run for real by test/add-reused-factory-ts.test.ts and test/add-reused-in-block.test.ts).

const TS = { fixture: "reused-factory-ts", file: "src/index.ts" };
const CJS = { fixture: "reused-in-block", file: "dist/index.js" };

/** detect and wire on a copy of the fixture, after `edit` of its file: the reused server found, the file after wiring. */
async function run(which: { fixture: string; file: string }, edit: (code: string) => string = (code) => code) {
  const work = await tempDir("cma-reused-factory-");
  try {
    const root = path.join(work.dir, which.fixture);
    await cp(path.join(repoRoot, "test/fixtures/add", which.fixture), root, { recursive: true });
    const file = path.join(root, which.file);
    const code = edit(await readFile(file, "utf8"));
    await writeFile(file, code);
    const d = await detect(root, (await readPackageJson(root))!, {});
    const wiring = wire(d, { authDir: path.posix.join(path.posix.dirname(which.file), "auth"), endpoint: "/mcp", app: d.app });
    const out = wiring.files.get(which.file) ?? code;
    // The file once wired, detected again: nothing reused is left, and a second wiring changes nothing more.
    await writeFile(file, out);
    const again = await detect(root, (await readPackageJson(root))!, {});
    return { code, reused: d.reused, out, removed: changedLines(code, out).removed, again: again.reused, notes: wiring.notes };
  } finally {
    await work.cleanup();
  }
}

describe("a server made before the block that connects it to one stateless transport (atlassian-jira's shape)", () => {
  it("TypeScript source: the creation and its setup become a factory, the handler makes a server and transport per request", async () => {
    const r = await run(TS);
    expect(r.reused).toHaveLength(1);
    expect(r.reused[0]).toMatchObject({ name: "serverInstance", line: 35, handlerLine: 65, transport: { name: "transport" } });
    expect(r.reused[0]!.reason).toBeUndefined();
    expect(r.out).toContain(
      [
        'export async function startServer(mode: "stdio" | "http" = "stdio") {',
        '  logger.info("Starting MCP server initialization...");',
        "  // A new McpServer for every request: an McpServer connects to one transport",
        "  // for life, so one shared by all requests fails from the second request on.",
        "  function createMcpServer() {",
        "    const server = new McpServer({",
        '      name: "tracker",',
        '      version: "3.3.0",',
        "    });",
        "    registerTools(server);",
        "    return server;",
        "  }",
        "  serverInstance = createMcpServer();",
        "  // Register tools",
        '  logger.info("Registering MCP tools...");',
        '  logger.info("All tools registered successfully");',
        '  if (mode === "stdio") {',
      ].join("\n"),
    );
    expect(r.out).toContain(
      [
        '    const mcpEndpoint = "/mcp";',
        "    // Handle all MCP requests",
        "    app.all(mcpEndpoint, async (req: Request, res: Response) => {",
        "      // A new server and transport per request (create-mcp-auth add): a stateless transport serves one request.",
        "      const server = createMcpServer();",
        "      const transport = new StreamableHTTPServerTransport({",
        "        sessionIdGenerator: undefined,",
        "      });",
        '      res.on("close", () => {',
        "        transport.close();",
        "        server.close();",
        "      });",
        "      await server.connect(transport);",
        "      transport.handleRequest(req, res, req.body).catch((err) => {",
      ].join("\n"),
    );
    // The stdio branch and the shutdown keep the module-level names.
    expect(r.out).toContain("      await serverInstance.connect(transportInstance);");
    expect(r.out).toContain("      await transportInstance.close();");
    expect(r.removed).toEqual([
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
    ]);
    expect(r.notes.join("\n")).toMatch(/transportInstance no longer holds a transport in HTTP mode/);
    expect(r.again).toEqual([]);
  });

  it("tsc's CommonJS output of the same shape: the same fix, in the file's own style", async () => {
    const r = await run(CJS);
    expect(r.reused).toHaveLength(1);
    expect(r.reused[0]).toMatchObject({ name: "serverInstance", line: 26, handlerLine: 58 });
    expect(r.reused[0]!.fix).toBeDefined();
    expect(r.out).toContain(
      [
        "    function createMcpServer() {",
        "        const server = new mcp_js_1.McpServer({",
        "            name: 'tracker',",
        "            version: '3.3.0',",
        "        });",
        "        registerTools(server);",
        "        return server;",
        "    }",
        "    serverInstance = createMcpServer();",
      ].join("\n"),
    );
    expect(r.out).toContain(
      [
        "        app.all(mcpEndpoint, async (req, res) => {",
        "            // A new server and transport per request (create-mcp-auth add): a stateless transport serves one request.",
        "            const server = createMcpServer();",
        "            const transport = new streamableHttp_js_1.StreamableHTTPServerTransport({",
        "                sessionIdGenerator: undefined,",
        "            });",
        "            res.on('close', () => {",
        "                transport.close();",
        "                server.close();",
        "            });",
        "            await server.connect(transport);",
        "            transport",
        "                .handleRequest(req, res, req.body)",
      ].join("\n"),
    );
    expect(r.out).not.toContain("transportInstance = transport;");
    expect(r.again).toEqual([]);
  });

  it("names that clash are avoided: a `server` the handler already reads is not shadowed", async () => {
    const r = await run(TS, (code) =>
      code
        .replace(
          '        logger.error("Error in transport.handleRequest", err);',
          '        logger.error("Error in transport.handleRequest", err, server);',
        )
        .replace("const logger = {", 'const server = "tracker";\nconst logger = {'),
    );
    expect(r.reused[0]!.fix).toBeDefined();
    expect(r.out).toContain("      const server2 = createMcpServer();");
    expect(r.out).toContain("      await server2.connect(transport);");
    expect(r.again).toEqual([]);
  });

  it("the same fix where the server is assigned in the very block that makes the transport (before: not even named)", async () => {
    const work = await tempDir("cma-reused-factory-");
    try {
      const code = [
        'import express from "express";',
        'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";',
        'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
        "let mcp = null;",
        "async function main() {",
        '  mcp = new McpServer({ name: "x", version: "1" });',
        '  mcp.registerTool("ping", { description: "ping" }, async () => ({ content: [{ type: "text", text: "pong" }] }));',
        "  const app = express();",
        "  app.use(express.json());",
        "  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });",
        "  await mcp.connect(transport);",
        '  app.post("/mcp", (req, res) => {',
        "    transport.handleRequest(req, res, req.body);",
        "  });",
        "  app.listen(3000);",
        "}",
        "main();",
        "",
      ].join("\n");
      await writeFile(
        path.join(work.dir, "package.json"),
        JSON.stringify({ name: "p", type: "module", dependencies: { express: "^5.0.0", "@modelcontextprotocol/sdk": "^1.32.0" } }),
      );
      await writeFile(path.join(work.dir, "index.js"), code);
      const d = await detect(work.dir, (await readPackageJson(work.dir))!, {});
      expect(d.reused.map((r) => [r.name, r.line, r.reason])).toEqual([["mcp", 6, undefined]]);
      const out = wire(d, { authDir: "auth", endpoint: "/mcp", app: d.app }).files.get("index.js")!;
      expect(out).toContain(
        [
          "  function createMcpServer() {",
          '    const server = new McpServer({ name: "x", version: "1" });',
          '    server.registerTool("ping", { description: "ping" }, async () => ({ content: [{ type: "text", text: "pong" }] }));',
          "    return server;",
          "  }",
          "  mcp = createMcpServer();",
          "  const app = express();",
        ].join("\n"),
      );
      expect(out).toContain(
        [
          '  app.post("/mcp", async (req, res) => {',
          "    // A new server and transport per request (create-mcp-auth add): a stateless transport serves one request.",
          "    const server = createMcpServer();",
          "    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });",
          '    res.on("close", () => {',
          "      transport.close();",
          "      server.close();",
          "    });",
          "    await server.connect(transport);",
          "    transport.handleRequest(req, res, req.body);",
        ].join("\n"),
      );
    } finally {
      await work.cleanup();
    }
  });

  it("one factory per creation: a second shared transport of the same server, in another branch, is named and not fixed", async () => {
    const r = await run(TS, (code) =>
      code
        .replace("  } else {\n    const app = express();", '  } else if (mode === "http") {\n    const app = express();')
        .replace(
          "    setupGracefulShutdown();\n    return serverInstance;\n  }\n}",
          [
            "    setupGracefulShutdown();",
            "    return serverInstance;",
            "  } else {",
            "    const other = express();",
            "    other.use(express.json());",
            "    const second = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });",
            "    await serverInstance.connect(second);",
            '    other.post("/other", (req: Request, res: Response) => {',
            "      second.handleRequest(req, res, req.body);",
            "    });",
            "    other.listen(3001);",
            "  }",
            "}",
          ].join("\n"),
        ),
    );
    expect(r.reused.map((x) => [x.transport?.name, x.fix !== undefined, x.reason])).toEqual([
      ["transport", true, undefined],
      ["second", false, "serverInstance is connected to another shared transport too (transport, line 58), fixed there only"],
    ]);
    expect(r.out.match(/function createMcpServer\(/g)).toHaveLength(1);
    expect(r.out).toContain("    await serverInstance.connect(second);");
  });

  // Each variant: [what changes in the TypeScript source, the reason add gives]. Nothing moves; only the auth lines go in.
  const unsafe: [string, (code: string) => string, string | RegExp][] = [
    [
      "the setup reads a name assigned after the server is made",
      (code) =>
        code
          .replace("let serverInstance: McpServer | null = null;", 'let serverInstance: McpServer | null = null;\nlet prefix = "a";')
          .replace("    const PORT = Number(", '    prefix = "b";\n    const PORT = Number(')
          .replace("  registerTools(serverInstance);", "  registerTools(serverInstance, prefix);")
          .replace("function registerTools(server: McpServer) {", "function registerTools(server: McpServer, _prefix?: string) {"),
      /^the setup of serverInstance reads prefix, which is assigned at line 74: a server made per request could be made from another value$/,
    ],
    [
      "the setup reads a name declared after the server is made",
      (code) =>
        code
          .replace("  registerTools(serverInstance);\n", '  const label = "x";\n  registerTools(serverInstance, label);\n')
          .replace("function registerTools(server: McpServer) {", "function registerTools(server: McpServer, _label?: string) {"),
      "the setup of serverInstance reads label, which is declared after serverInstance is made",
    ],
    [
      "a statement that stays between the creation and the setup uses what the setup reads",
      (code) =>
        code.replace(
          '  logger.info("Registering MCP tools...");\n',
          '  logger.info("Registering MCP tools...");\n  registerTools.length;\n',
        ),
      "line 41, between the creation of serverInstance and its setup, uses registerTools, which the setup reads: the setup would run before it",
    ],
    [
      "a statement that stays between the creation and the setup awaits",
      (code) => code.replace('  logger.info("Registering MCP tools...");\n', "  await Promise.resolve();\n"),
      "line 40, between the creation of serverInstance and its setup, awaits: the setup would run before it",
    ],
    [
      "a statement of the setup is not a plain statement",
      (code) => code.replace("  registerTools(serverInstance);\n", "  if (serverInstance) registerTools(serverInstance);\n"),
      "line 41 uses serverInstance between its creation and the connect, and is not a statement on lines of its own that can move into a factory",
    ],
    [
      "the setup awaits",
      (code) => code.replace("  registerTools(serverInstance);\n", "  await registerTools(serverInstance);\n"),
      "the setup of serverInstance awaits (line 41)",
    ],
    [
      "the request handler uses the server itself",
      (code) =>
        code.replace(
          '        logger.error("Error in transport.handleRequest", err);',
          '        logger.error("Error in transport.handleRequest", err, serverInstance);',
        ),
      "the request handler uses serverInstance itself, not only through transport",
    ],
    [
      "the server is set up in the block that connects it",
      (code) =>
        code.replace(
          "    await serverInstance.connect(transport);\n",
          '    await serverInstance.connect(transport);\n    serverInstance.server.onerror = (e) => logger.error("mcp", e);\n',
        ),
      "serverInstance is used at line 63, in the block that connects it, other than by connect and return",
    ],
    [
      "the transport is used outside the request handler",
      (code) => code.replace("    const PORT = Number(", "    logger.info(String(transport.sessionId));\n    const PORT = Number("),
      "transport is used outside the request handler (line 73)",
    ],
    [
      "the copy of the transport is read without a check that it is set",
      (code) =>
        code.replace(
          '    if (transportInstance && "close" in transportInstance && typeof transportInstance.close === "function") {\n      await transportInstance.close();\n    }',
          "    await transportInstance!.close();",
        ),
      "transportInstance (set to transport at line 63) is read at line 87 without a check that it is set: with a transport per request it stays unset",
    ],
    [
      "the request handler has no block body",
      (code) =>
        code.replace(
          / {4}app\.all\(mcpEndpoint, \(req: Request, res: Response\) => \{\n[\s\S]*?\n {4}\}\);\n/,
          "    app.all(mcpEndpoint, (req: Request, res: Response) => transport.handleRequest(req, res, req.body));\n",
        ),
      "the request handler has no block body",
    ],
    [
      "the handler does not hand handleRequest its response parameter by name",
      (code) =>
        code.replace(
          "      transport.handleRequest(req, res, req.body).catch((err) => {",
          "      const out = [res][0]!;\n      transport.handleRequest(req, out, req.body).catch((err) => {",
        ),
      "the request handler does not hand transport.handleRequest its response parameter (or a property of it) by name",
    ],
    [
      "a function in the setup has a server of its own",
      (code) =>
        code.replace(
          "  registerTools(serverInstance);\n",
          '  registerTools(serverInstance);\n  serverInstance.registerTool("x", {}, async () => { const serverInstance = 1; return { content: [{ type: "text", text: String(serverInstance) }] }; });\n',
        ),
      "a function or class in the setup of serverInstance has a serverInstance of its own",
    ],
    [
      "the transport is a let",
      (code) =>
        code.replace(
          "    const transport = new StreamableHTTPServerTransport({",
          "    let transport = new StreamableHTTPServerTransport({",
        ),
      "transport is not a const",
    ],
    [
      "the server is made in another function",
      (code) =>
        code
          .replace('  serverInstance = new McpServer({\n    name: "tracker",\n    version: "3.3.0",\n  });\n', "")
          .replace(
            "export async function startServer(",
            'function makeServer() {\n  serverInstance = new McpServer({ name: "tracker", version: "3.3.0" });\n}\nmakeServer();\nexport async function startServer(',
          )
          .replace("  registerTools(serverInstance);\n", "  registerTools(serverInstance!);\n"),
      "serverInstance is made outside the block that connects it to transport",
    ],
  ];
  for (const [what, edit, reason] of unsafe) {
    it(`reported, not fixed, when ${what}`, async () => {
      const r = await run(TS, edit);
      expect(r.reused).toHaveLength(1);
      expect(r.reused[0]!.fix).toBeUndefined();
      if (typeof reason === "string") expect(r.reused[0]!.reason).toBe(reason);
      else expect(r.reused[0]!.reason).toMatch(reason);
      expect(r.removed).toEqual([]);
      expect(r.out).not.toContain("createMcpServer");
    });
  }
});
