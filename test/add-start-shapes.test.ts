import { expect, it } from "vitest";
import { copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

// Shapes of real projects around how the server is started (issue 18, brief h22), read by add --dry-run
// (and one refusal for real): nothing here installs.

it("notion-mcp-server's shape: its own bearer check, a const in the start function registered in an if/else, is named and kept with --existing-auth keep, and the server is started with --transport http", async () => {
  const work = await tempDir("cma-add-own-auth-");
  try {
    const root = await copyFixture("start-own-auth", work.dir);
    // Without --existing-auth, --yes and a dry run refuse (add-existing-auth-own.test.ts): the check is on unless --unsafe-disable-auth.
    const run = await runCli(["add", root, "--dry-run", "--json", "--existing-auth", "keep", "--scopes", "get_page=pages:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as {
      detected: {
        start: string;
        existingAuth: { file: string; line: number; name: string; replaceable: boolean; reason: string | null; on: string }[];
      };
    };
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.start).toBe("npm start -- --transport http --port 3000");
    expect(doc.detected.existingAuth).toEqual([
      {
        file: "dist/start-server.js",
        line: 49,
        name: "authenticateToken (a bearer check of this project)",
        switch: null,
        on: "on unless the server is started with --unsafe-disable-auth (dist/start-server.js:17)",
        replaceable: true,
        reason: null,
      },
    ]);
    // The detection note says it stays, and that it refuses OAuth tokens while it does.
    const text = await runCli(["add", root, "--dry-run", "--existing-auth", "keep", "--scopes", "get_page=pages:read"]);
    expect(text.stderr + text.stdout).toMatch(/existing auth\s+dist\/start-server\.js:49: authenticateToken/);
    expect(text.stderr + text.stdout).toMatch(
      /starts with\s+npm start -- --transport http --port 3000 \(Streamable HTTP as dist\/start-server\.js:35 selects it\)/,
    );
    expect((text.stderr + text.stdout).replace(/\s+/g, " ")).toMatch(
      /OAuth access tokens are refused by it until it is removed or turned off/,
    );
  } finally {
    await work.cleanup();
  }
});

it("firecrawl-mcp's shape: a bundled FastMCP serving HTTP through mcp-proxy is refused as exactly that (not as stdio only), nothing written", async () => {
  const work = await tempDir("cma-add-bundled-");
  try {
    const root = await copyFixture("bundled-fastmcp", work.dir);
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--yes", "--json", "--scopes", "crawl=web:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as { ok: boolean; error: string };
    expect(run.exitCode).toBe(2);
    expect(doc.ok).toBe(false);
    expect(doc.error).toMatch(
      /serves Streamable HTTP from a FastMCP-style server bundled into its build \(dist\/index\.js:18: startHTTPServer from mcp-proxy\), and stdio \(dist\/index\.js:16\)/,
    );
    expect(doc.error).not.toMatch(/stdio only/);
    expect(doc.error).toMatch(/Nothing was written\.$/);
    expect(await snapshot(root)).toEqual(before);
  } finally {
    await work.cleanup();
  }
});

it("a start script that already selects HTTP gets nothing added (context7-mcp's shape: --transport http in the script)", async () => {
  const work = await tempDir("cma-add-start-script-");
  try {
    const root = await copyFixture("start-cli-transport", work.dir);
    const pkgPath = `${root}/package.json`;
    const { readFile, writeFile } = await import("node:fs/promises");
    const pkg = JSON.parse(await readFile(pkgPath, "utf8")) as { scripts: Record<string, string> };
    pkg.scripts.start = "node ./dist/cli.js --transport http";
    await writeFile(pkgPath, JSON.stringify(pkg, null, 2));
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "read_note=notes:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as { detected: { start: string } };
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.start).toBe("npm start -- --port 3077");
  } finally {
    await work.cleanup();
  }
});

it("supergateway's shape: a stdio-to-HTTP gateway (--stdio <command>, two apps chosen by --stateful) is refused as a gateway, also with --entry, nothing written", async () => {
  const work = await tempDir("cma-add-gateway-");
  try {
    const root = await copyFixture("stdio-gateway", work.dir);
    const before = await snapshot(root);
    for (const extra of [[], ["--entry", "dist/gateways/stateless.js", "--endpoint", "/mcp"]]) {
      const run = await runCli(["add", root, "--yes", "--json", ...extra]);
      const doc = parseDocument(run.stdout, run.stderr) as unknown as { ok: boolean; error: string };
      expect(run.exitCode, run.stderr).toBe(2);
      expect(doc.error).toMatch(
        /is a stdio-to-HTTP gateway: the MCP server it serves is whatever command it is started with \(--stdio "<command>", dist\/index\.js:7\), run as a child process, and its arguments choose which of its 2 apps serves \(dist\/gateways\/stateful\.js, dist\/gateways\/stateless\.js\)/,
      );
      expect(doc.error).toMatch(/Nothing was written\.$/);
    }
    expect(await snapshot(root)).toEqual(before);
  } finally {
    await work.cleanup();
  }
});

it("mcp-server-kubernetes' shape: Streamable HTTP behind a variable tested for truth (if (process.env.ENABLE_STREAMABLE_HTTP_TRANSPORT)) is started with it set", async () => {
  const work = await tempDir("cma-add-toggle-");
  try {
    const { mkdir, writeFile } = await import("node:fs/promises");
    const root = `${work.dir}/toggle`;
    await mkdir(`${root}/src`, { recursive: true });
    await writeFile(
      `${root}/package.json`,
      JSON.stringify({
        name: "toggle",
        type: "module",
        scripts: { start: "node src/index.js" },
        dependencies: { express: "^5.1.0", "@modelcontextprotocol/sdk": "^1.32.0" },
      }),
    );
    await writeFile(
      `${root}/src/index.js`,
      [
        'import express from "express";',
        'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";',
        'import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";',
        'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
        'const server = () => new McpServer({ name: "t", version: "1" });',
        "if (process.env.ENABLE_STREAMABLE_HTTP_TRANSPORT) {",
        "  const app = express();",
        "  app.use(express.json());",
        '  app.post("/mcp", async (req, res) => {',
        "    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });",
        "    await server().connect(transport);",
        "    await transport.handleRequest(req, res, req.body);",
        "  });",
        "  app.listen(Number(process.env.PORT ?? 3000));",
        "} else {",
        "  await server().connect(new StdioServerTransport());",
        "}",
        "",
      ].join("\n"),
    );
    const run = await runCli(["add", root, "--dry-run", "--json"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as { detected: { start: string } };
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.start).toBe("ENABLE_STREAMABLE_HTTP_TRANSPORT=true npm start");
  } finally {
    await work.cleanup();
  }
});
