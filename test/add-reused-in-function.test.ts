import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { addFixtureSuite, copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

// The shape of mcp-server-code-runner@0.1.8 (test/fixtures/real): inside the function that sets up
// the Express app, the server comes from a factory call (`const server = createServer()`), one
// stateless transport is made and connected once, before the route, and every request goes to it:
// the SDK refuses the second request (HTTP 500), before add as after. add names it as the project's
// own bug and moves the three statements into the request handler: a new server and transport per request.
addFixtureSuite({
  fixture: "reused-in-function",
  scopes: "run-code=code:run",
  modifies: ["package.json", "dist/streamableHttp.js"],
  removes: [
    "    const server = createServer();",
    "    const transport = new StreamableHTTPServerTransport({",
    "        sessionIdGenerator: undefined, // set to undefined for stateless servers",
    "    });",
    "    await server.connect(transport);",
  ],
  more(root) {
    it("moves the server, the transport and the connect into the request handler, re-indented", async () => {
      const code = await readFile(path.join(root(), "dist/streamableHttp.js"), "utf8");
      expect(code).toContain(
        [
          "    // Setup routes for the server",
          "    app.post('/mcp', async (req, res) => {",
          "        // A new server and transport per request (create-mcp-auth add): a stateless transport serves one request.",
          "        const server = createServer();",
          "        const transport = new StreamableHTTPServerTransport({",
          "            sessionIdGenerator: undefined, // set to undefined for stateless servers",
          "        });",
          "        await server.connect(transport);",
          "        try {",
        ].join("\n"),
      );
    });
    it("after add, nothing reused is found any more", async () => {
      const after = parseDocument((await runCli(["add", root(), "--dry-run", "--json", "--scopes", "run-code=code:run"])).stdout, "");
      expect(after.detected.reusedServer).toEqual([]);
    }, 60_000);
  },
});

/** add --dry-run --json on a fresh copy of the fixture, after `edit` of its dist/streamableHttp.js. */
async function dryRun(edit: (code: string) => string) {
  const work = await tempDir("cma-add-reused-in-function-");
  try {
    const root = await copyFixture("reused-in-function", work.dir);
    const file = path.join(root, "dist/streamableHttp.js");
    await writeFile(file, edit(await readFile(file, "utf8")));
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "run-code=code:run"]);
    return {
      run,
      doc: parseDocument(run.stdout, run.stderr),
      unchanged: JSON.stringify([...(await snapshot(root))]) === JSON.stringify([...before]),
    };
  } finally {
    await work.cleanup();
  }
}

describe("add on reused-in-function, before writing", () => {
  it("names the server and transport made once inside the setup function as the project's own bug", async () => {
    const { run, doc, unchanged } = await dryRun((code) => code);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(unchanged).toBe(true);
    expect(doc.detected.reusedServer).toEqual([
      {
        file: "dist/streamableHttp.js",
        line: 7,
        handlerLine: 13,
        fixed: true,
        reason: null,
        transport: { name: "transport", line: 8 },
      },
    ]);
    expect(run.stderr).toMatch(/one stateless transport \(transport, line 8\) connected once and reused by every request/);
    expect(run.stderr).toMatch(/This is a bug of the project, there before add, not caused by it/);
  }, 60_000);

  it("names it but leaves it when the server is used elsewhere in the function (closed on shutdown)", async () => {
    const { run, doc } = await dryRun((code) =>
      code.replace("    const PORT =", '    process.on("SIGINT", () => server.close());\n    const PORT ='),
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.reusedServer).toEqual([
      expect.objectContaining({
        file: "dist/streamableHttp.js",
        line: 7,
        fixed: false,
        reason: "server is used outside the request handler and its setup",
      }),
    ]);
    expect(run.stdout).not.toContain("A new server and transport per request");
    expect(run.stderr).toMatch(/Not fixed automatically \(server is used outside the request handler and its setup\)/);
  }, 60_000);

  it("finds nothing when the transport is made per request inside the handler (the correct shape)", async () => {
    const { doc } = await dryRun((code) =>
      code
        .replace(
          "    const server = createServer();\n    const transport = new StreamableHTTPServerTransport({\n        sessionIdGenerator: undefined, // set to undefined for stateless servers\n    });\n    // Setup routes for the server\n    await server.connect(transport);\n",
          "",
        )
        .replace(
          "        try {\n",
          "        const server = createServer();\n        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });\n        await server.connect(transport);\n        try {\n",
        ),
    );
    expect(doc.detected.reusedServer).toEqual([]);
  }, 60_000);
});
