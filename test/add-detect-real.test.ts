// What add reads from real projects' code: endpoints held in constants, env
// values with defaults, router mounts and library defaults; tools registered
// by constants, from arrays and by low-level handlers. Each case is a shape
// seen in third-party MCP servers, written here from scratch.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { detect, readPackageJson } from "../src/add/detect.js";
import { wire } from "../src/add/wire.js";
import { selfCommand } from "../src/core/self-command.js";
import { copyFixture } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

const express = JSON.stringify({ name: "p", type: "module", dependencies: { express: "^5.0.0", "@modelcontextprotocol/sdk": "^1.32.0" } });

async function project(files: Record<string, string>) {
  const work = await tempDir("cma-add-real-");
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(work.dir, rel)), { recursive: true });
    await writeFile(path.join(work.dir, rel), content);
  }
  const pkg = (await readPackageJson(work.dir))!;
  return { ...work, pkg };
}

async function detected(files: Record<string, string>, flags = {}) {
  const p = await project(files);
  try {
    const d = await detect(p.dir, p.pkg, flags);
    const wiring = d.endpoint && d.app ? wire(d, { authDir: "src/auth", endpoint: d.endpoint.path, app: d.app }) : undefined;
    return { d, wiring };
  } finally {
    await p.cleanup();
  }
}

const head = [
  'import express from "express";',
  'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
];
const handler =
  "async (req, res) => { const transport = new StreamableHTTPServerTransport({}); await transport.handleRequest(req, res, req.body); }";

describe("add sees the endpoint the code names", () => {
  it("a const, and the wiring uses the const, not a literal", async () => {
    const code = [...head, 'const mcpEndpoint = "/mcp";', "const app = express();", `app.post(mcpEndpoint, ${handler});`, ""].join("\n");
    const { d, wiring } = await detected({ "package.json": express, "src/index.js": code });
    expect(d.endpoint).toEqual({ path: "/mcp", from: "src/index.js:5 post", code: "mcpEndpoint" });
    expect(wiring?.files.get("src/index.js")).toContain("app.use(mcpAuth({ endpoint: mcpEndpoint }));");
  });

  it("an env value with a default (process.env and a config object), kept as the project's expression", async () => {
    const direct = [...head, "const app = express();", `app.post(process.env.MCP_PATH || "/api/mcp", ${handler});`, ""].join("\n");
    const one = await detected({ "package.json": express, "src/index.js": direct });
    expect(one.d.endpoint).toEqual({
      path: "/api/mcp",
      from: "src/index.js:4 post, process.env.MCP_PATH unset",
      code: 'process.env.MCP_PATH || "/api/mcp"',
    });
    expect(one.wiring?.files.get("src/index.js")).toContain('app.use(mcpAuth({ endpoint: process.env.MCP_PATH || "/api/mcp" }));');

    const config = "export const envs = { HTTP_PATH: process.env.HTTP_PATH, PORT: 3000 };\n";
    const viaConfig = [
      ...head,
      'import { envs } from "./config.js";',
      'const HTTP_PATH = envs.HTTP_PATH ?? "/mcp";',
      "const app = express();",
      `app.all(HTTP_PATH, ${handler});`,
      "",
    ].join("\n");
    const two = await detected({ "package.json": express, "src/index.ts": viaConfig, "src/config.ts": config, "tsconfig.json": "{}" });
    expect(two.d.endpoint).toMatchObject({ path: "/mcp", code: "HTTP_PATH" });
    expect(two.wiring?.files.get("src/index.ts")).toContain("app.use(mcpAuth({ endpoint: HTTP_PATH }));");
  });

  it("a constant imported from another file; a const declared after the app is not used by the wiring", async () => {
    const imported = [
      ...head,
      'import { MCP_PATH } from "./constants.js";',
      "const app = express();",
      `app.post(MCP_PATH, ${handler});`,
      "",
    ].join("\n");
    const one = await detected({
      "package.json": express,
      "src/index.js": imported,
      "src/constants.js": 'export const MCP_PATH = "/v1/mcp";\n',
    });
    expect(one.d.endpoint).toMatchObject({ path: "/v1/mcp", code: "MCP_PATH" });
    const late = [...head, "const app = express();", 'const path = "/mcp";', `app.post(path, ${handler});`, ""].join("\n");
    const two = await detected({ "package.json": express, "src/index.js": late });
    expect(two.d.endpoint).toEqual({ path: "/mcp", from: "src/index.js:5 post" });
    expect(two.wiring?.files.get("src/index.js")).toContain('app.use(mcpAuth({ endpoint: "/mcp" }));');
  });

  it("--endpoint given for a route held in a const: the wiring still uses the const", async () => {
    const code = [
      ...head,
      'const MCP = "/mcp";',
      "const app = express();",
      `app.post(MCP, ${handler});`,
      `app.get(MCP, ${handler});`,
      "",
    ].join("\n");
    const { d, wiring } = await detected({ "package.json": express, "src/index.js": code }, { endpoint: "/mcp" });
    expect(d.endpoint).toEqual({ path: "/mcp", from: "--endpoint", code: "MCP" });
    expect(wiring?.files.get("src/index.js")).toContain("app.use(mcpAuth({ endpoint: MCP }));");
  });

  it("an Express router mounted on the app, in the same file, another file, or made by a factory", async () => {
    const local = [
      ...head,
      "const app = express();",
      "const router = express.Router();",
      `router.post("/mcp", ${handler});`,
      'app.use("/api", router);',
      "",
    ].join("\n");
    const one = await detected({ "package.json": express, "src/index.js": local });
    expect(one.d.endpoint).toEqual({ path: "/api/mcp", from: "src/index.js:5 post, under /api" });
    expect(one.wiring?.files.get("src/index.js")).toContain('app.use(mcpAuth({ endpoint: "/api/mcp" }));');

    const routes = [
      'import { Router } from "express";',
      'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
      "const router = Router();",
      `router.post("/mcp", ${handler});`,
      "export default router;",
      "",
    ].join("\n");
    const main = [
      'import express from "express";',
      'import mcpRouter from "./routes/mcp.js";',
      "const app = express();",
      'app.use("/v2", mcpRouter);',
      "",
    ].join("\n");
    const two = await detected({ "package.json": express, "src/index.ts": main, "src/routes/mcp.ts": routes, "tsconfig.json": "{}" });
    expect(two.d.endpoint).toEqual({ path: "/v2/mcp", from: "src/routes/mcp.ts:4 post, under /v2" });

    const factory = [
      'import { Router } from "express";',
      'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
      "export function createMcpRouter() {",
      "  const r = Router();",
      `  r.post("/", ${handler});`,
      "  return r;",
      "}",
      "",
    ].join("\n");
    const main3 = [
      'import express from "express";',
      'import { createMcpRouter } from "./mcp.js";',
      "const app = express();",
      'app.use("/mcp", createMcpRouter());',
      "",
    ].join("\n");
    const three = await detected({ "package.json": express, "src/index.js": main3, "src/mcp.js": factory });
    expect(three.d.endpoint?.path).toBe("/mcp");
  });

  it("a Hono sub-app mounted with app.route", async () => {
    const pkg = JSON.stringify({ name: "h", type: "module", dependencies: { hono: "^4.0.0", "@modelcontextprotocol/sdk": "^1.32.0" } });
    const code = [
      'import { Hono } from "hono";',
      'import { StreamableHTTPTransport } from "@hono/mcp";',
      "const app = new Hono();",
      "const mcp = new Hono();",
      'mcp.all("/", async (c) => { const transport = new StreamableHTTPTransport(); return transport.handleRequest(c); });',
      'app.route("/mcp", mcp);',
      "export default app;",
      "",
    ].join("\n");
    const { d } = await detected({ "package.json": pkg, "src/index.js": code });
    expect(d.endpoint?.path).toBe("/mcp");
  });

  it("library defaults: fastmcp httpStream without an endpoint, from an options const, and a Fastify MCP plugin's path", async () => {
    const fastmcp = JSON.stringify({ name: "f", type: "module", dependencies: { fastmcp: "^3.0.0" } });
    const code = [
      'import { FastMCP } from "fastmcp";',
      'const server = new FastMCP({ name: "x", version: "1.0.0" });',
      'const options = { transportType: "httpStream", httpStream: { port: Number(process.env.PORT ?? 8080), endpoint: process.env.MCP_ENDPOINT ?? "/stream" } };',
      "server.start(options);",
      "",
    ].join("\n");
    const one = await detected({ "package.json": fastmcp, "src/index.js": code });
    expect(one.d.endpoint).toEqual({ path: "/stream", from: "src/index.js:4, process.env.MCP_ENDPOINT unset" });

    const fastify = JSON.stringify({ name: "fy", type: "module", dependencies: { fastify: "^5.0.0", "fastify-mcp": "^2.0.0" } });
    const plugin = [
      'import Fastify from "fastify";',
      'import { streamableHttp } from "fastify-mcp";',
      "const app = Fastify();",
      "app.register(streamableHttp, { stateful: false, createServer });",
      "app.listen({ port: 3333 });",
      "",
    ].join("\n");
    const two = await detected({ "package.json": fastify, "src/index.js": plugin });
    expect(two.d.endpoint).toEqual({ path: "/mcp", from: "src/index.js:4 register, fastify-mcp serves /mcp by default" });
    const prefixed = plugin.replace(
      "{ stateful: false, createServer }",
      '{ stateful: false, mcpEndpoint: "/rpc", prefix: "/v1", createServer }',
    );
    const three = await detected({ "package.json": fastify, "src/index.js": prefixed });
    expect(three.d.endpoint?.path).toBe("/v1/rpc");
  });

  it("fastmcp started in another file than the one creating the server", async () => {
    const fastmcp = JSON.stringify({ name: "f", type: "module", dependencies: { fastmcp: "^3.0.0" } });
    const server = ['import { FastMCP } from "fastmcp";', 'export const server = new FastMCP({ name: "x", version: "1.0.0" });', ""].join(
      "\n",
    );
    const main = [
      'import { server } from "./server.js";',
      'server.start({ transportType: "httpStream", httpStream: { port: 8080, endpoint: "/api/mcp" } });',
      "",
    ].join("\n");
    const { d } = await detected({ "package.json": fastmcp, "src/server.ts": server, "src/index.ts": main, "tsconfig.json": "{}" });
    expect(d.endpoint).toEqual({ path: "/api/mcp", from: "src/index.ts:2" });
    expect(d.port).toMatchObject({ fromEnv: false, literal: 8080 });
  });

  it("the port from a const, a config object, Number(...) of an env value with a default", async () => {
    const cases: [string, number][] = [
      ["const PORT = 3333;\napp.listen(PORT);", 3333],
      ["const config = { port: 4001 };\napp.listen(config.port);", 4001],
      ['const port = Number(process.env.MCP_PORT ?? "4002");\napp.listen({ port });', 4002],
      ["const DEFAULT_PORT = 4003;\napp.listen(process.env.PORT || DEFAULT_PORT);", 4003],
    ];
    for (const [listen, port] of cases) {
      const code = [...head, "const app = express();", `app.post("/mcp", ${handler});`, listen, ""].join("\n");
      const { d } = await detected({ "package.json": express, "src/index.js": code });
      expect(d.port.fallback, listen).toBe(port);
    }
  });

  it("a Fastify plugin function registered with a prefix", async () => {
    const fastify = JSON.stringify({
      name: "fy",
      type: "module",
      dependencies: { fastify: "^5.0.0", "@modelcontextprotocol/sdk": "^1.32.0" },
    });
    const routes = [
      'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
      "export default async function mcpRoutes(fastify) {",
      '  fastify.post("/mcp", async (request, reply) => { const transport = new StreamableHTTPServerTransport({}); await transport.handleRequest(request.raw, reply.raw, request.body); });',
      "}",
      "",
    ].join("\n");
    const main = [
      'import Fastify from "fastify";',
      'import mcpRoutes from "./routes.js";',
      "const app = Fastify();",
      'app.register(mcpRoutes, { prefix: "/api" });',
      "",
    ].join("\n");
    const { d } = await detected({ "package.json": fastify, "src/index.js": main, "src/routes.js": routes });
    expect(d.endpoint?.path).toBe("/api/mcp");
  });
});

describe("add sees the tools the code registers", () => {
  it("by constant names, from arrays looped over, with addTool on const objects, and by a low-level ListTools handler", async () => {
    const code = [
      'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";',
      'import { Server } from "@modelcontextprotocol/sdk/server/index.js";',
      'import { ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";',
      'import { TOOL_DEFS } from "./defs.js";',
      'const SEARCH = "search_docs";',
      'const NAMES = { FETCH: "fetch_page" };',
      'const server = new McpServer({ name: "x", version: "1" });',
      "server.tool(SEARCH, {}, async () => ({ content: [] }));",
      "server.registerTool(NAMES.FETCH, {}, async () => ({ content: [] }));",
      'const tools = [{ name: "list_notes", handler: () => {} }, { name: "add_note", handler: () => {} }];',
      "for (const tool of tools) server.tool(tool.name, {}, tool.handler);",
      "TOOL_DEFS.forEach((def) => server.registerTool(def.name, def.config, def.run));",
      'const low = new Server({ name: "y", version: "1" }, { capabilities: { tools: {} } });',
      'const LOW_TOOLS = [{ name: "get_weather", inputSchema: {} }];',
      "low.setRequestHandler(ListToolsRequestSchema, async () => ({",
      '  tools: [...LOW_TOOLS, { name: "get_alerts", inputSchema: {} }],',
      "}));",
      "",
    ].join("\n");
    const defs = 'export const TOOL_DEFS = [{ name: "delete_note", config: {}, run() {} }];\n';
    const { d } = await detected({ "package.json": express, "src/server.js": code, "src/defs.js": defs });
    expect(d.tools.map((t) => t.name).sort()).toEqual(
      ["add_note", "delete_note", "fetch_page", "get_alerts", "get_weather", "list_notes", "search_docs"].sort(),
    );
  });

  it("fastmcp addTool with a const tool object, and tools added from an array", async () => {
    const fastmcp = JSON.stringify({ name: "f", type: "module", dependencies: { fastmcp: "^3.0.0" } });
    const code = [
      'import { FastMCP } from "fastmcp";',
      'const server = new FastMCP({ name: "x", version: "1.0.0" });',
      'const echo = { name: "echo", execute: async () => "" };',
      "server.addTool(echo);",
      '[{ name: "one", execute: async () => "" }, { name: "two", execute: async () => "" }].forEach((t) => server.addTool(t));',
      'server.start({ transportType: "httpStream" });',
      "",
    ].join("\n");
    const { d } = await detected({ "package.json": fastmcp, "src/index.js": code });
    expect(d.tools.map((t) => t.name)).toEqual(["echo", "one", "two"]);
  });
});

describe("add --dry-run shows what it detected, also when it must ask", () => {
  it("two MCP routes and no --endpoint: the detection is printed, with the routes found, before the exit 2", async () => {
    const code = [
      ...head,
      "const app = express();",
      `app.post("/a/mcp", ${handler});`,
      `app.post("/b/mcp", ${handler});`,
      "app.listen(3333);",
      "",
    ].join("\n");
    const p = await project({ "package.json": express, "src/index.js": code });
    try {
      const before = await readFile(path.join(p.dir, "src/index.js"), "utf8");
      const run = await runCli(["add", p.dir, "--dry-run"]);
      expect(run.exitCode).toBe(2);
      const out = run.stdout + run.stderr;
      expect(out).toMatch(/Detected in/);
      expect(out).toMatch(/framework\s+Express \^5\.0\.0 \(from package\.json\)/);
      expect(out).toMatch(/app\s+src\/index\.js:3 {2}const app = express\(\)/);
      expect(out).toMatch(/endpoint\s+not determined; routes found: POST \/a\/mcp, POST \/b\/mcp: pass --endpoint <path>/);
      // The example answers with a route the project has, and runs this CLI as a fresh shell reaches it.
      expect(out).toMatch(/e\.g\. \S.* add \S+ --endpoint \/a\/mcp /);
      expect(out).toContain(`e.g. ${selfCommand()} add `);
      // --json: the one document carries what was detected too, beside the error.
      const json = await runCli(["add", p.dir, "--dry-run", "--json"]);
      expect(json.exitCode).toBe(2);
      const doc = JSON.parse(json.stdout) as { ok: boolean; error: string; detected?: { framework?: unknown; routes?: unknown } | null };
      expect(doc.ok).toBe(false);
      expect(doc.error).toMatch(/--endpoint <path>/);
      expect(JSON.stringify(doc.detected)).toMatch(/\/a\/mcp/);
      expect(JSON.stringify(doc.detected)).toMatch(/express/i);
      expect(await readFile(path.join(p.dir, "src/index.js"), "utf8")).toBe(before);
    } finally {
      await p.cleanup();
    }
  });

  it("one app per transport module (stdio.js, sse.js, streamableHttp.js): the one that builds a Streamable HTTP transport is the app, with no --entry, started by the script that runs it (start serves stdio)", async () => {
    const work = await tempDir("cma-add-transport-modules-");
    try {
      const root = await copyFixture("transport-modules", work.dir);
      const run = await runCli(["add", root, "--dry-run", "--json"]);
      expect(run.exitCode, run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout) as { detected: { entry: { file: string }; endpoint: { path: string }; start: string } };
      expect(doc.detected.entry.file).toBe("src/streamableHttp.js");
      expect(doc.detected.endpoint.path).toBe("/mcp");
      expect(doc.detected.start).toBe("npm run start:streamableHttp");
    } finally {
      await work.cleanup();
    }
  });

  it("TypeScript compiled to CommonJS, published without sources: (0, express_1.default)() is the app, its endpoint constant and transport are found", async () => {
    const work = await tempDir("cma-add-published-cjs-");
    try {
      const root = await copyFixture("published-cjs", work.dir);
      const run = await runCli(["add", root, "--dry-run", "--json"]);
      expect(run.exitCode, run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout) as {
        detected: { entry: { file: string; code: string }; endpoint: { path: string }; module: string; start: string };
        diff: string;
      };
      expect(doc.detected.entry).toMatchObject({ file: "dist/index.js", code: "const app = (0, express_1.default)()" });
      expect(doc.detected.endpoint.path).toBe("/mcp");
      expect(doc.detected.module).toBe("cjs");
      expect(doc.detected.start).toBe("node dist/index.js");
      expect(doc.diff).toMatch(/^\+const \{ mcpAuth \} = require\("\.\/auth\/express\.js"\);$/m);
    } finally {
      await work.cleanup();
    }
  });

  it("a port from a command-line option (listen(port) in a function) is its default constant, DEFAULT_PORT: where the self-check finds the server", async () => {
    const code = [
      ...head,
      'import { Command } from "commander";',
      "const DEFAULT_PORT = 3000;",
      'const options = new Command().option("--port <number>", "port", DEFAULT_PORT.toString()).parse().opts();',
      "const app = express();",
      `app.post("/mcp", ${handler});`,
      "const start = (port) => app.listen(port);",
      "start(Number(options.port));",
      "",
    ].join("\n");
    const { d } = await detected({ "package.json": express, "src/index.js": code });
    // The option too (brief h22): the self-check passes --port with a free port, the next steps --port 3000.
    expect(d.port).toEqual({ fromEnv: false, fallback: 3000, literal: 3000, arg: "--port" });
  });

  it("CORS options that list headers get Authorization, MCP-Protocol-Version (allowed) and WWW-Authenticate (exposed): browsers can send a token and read the challenge", async () => {
    const code = [
      ...head,
      'import cors from "cors";',
      "const app = express();",
      "app.use(express.json());",
      "app.use(cors({ origin: false, exposedHeaders: ['Mcp-Session-Id'], allowedHeaders: ['Content-Type', 'mcp-session-id'] }));",
      `app.post("/mcp", ${handler});`,
      "app.listen(3000);",
      "",
    ].join("\n");
    const pkg = JSON.stringify({
      name: "p",
      type: "module",
      dependencies: { express: "^5.0.0", cors: "^2.8.5", "@modelcontextprotocol/sdk": "^1.32.0" },
    });
    const { wiring } = await detected({ "package.json": pkg, "src/index.js": code });
    expect(wiring?.files.get("src/index.js")).toContain(
      "app.use(cors({ origin: false, exposedHeaders: ['Mcp-Session-Id', 'WWW-Authenticate'], allowedHeaders: ['Content-Type', 'mcp-session-id', 'Authorization', 'MCP-Protocol-Version'] }));",
    );
    expect(wiring?.notes.join("\n")).toMatch(
      /CORS adds Authorization, MCP-Protocol-Version to allowedHeaders and WWW-Authenticate to exposedHeaders/,
    );
  });

  it("listen(0) in another module (a test helper on a port the system picks) is not the server's port: the default constant is", async () => {
    const code = [
      ...head,
      "const DEFAULT_PORT = 3000;",
      "const app = express();",
      `app.post("/mcp", ${handler});`,
      "export const start = (port) => app.listen(port);",
      "",
    ].join("\n");
    const helper = 'import http from "node:http";\nexport const server = http.createServer().listen(0);\n';
    const { d } = await detected({ "package.json": express, "src/index.js": code, "src/testing.js": helper });
    expect(d.port).toEqual({ fromEnv: false, fallback: 3000, literal: 3000 });
  });
});
