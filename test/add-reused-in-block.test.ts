import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";

// @aashari/mcp-server-atlassian-jira's shape (test/fixtures/real): a CommonJS build whose startServer assigns the
// module's `serverInstance` a new McpServer and sets it up (registerTools, between logger lines), and whose HTTP branch
// (an `else` block) makes one stateless transport (`new streamableHttp_js_1.StreamableHTTPServerTransport(...)`),
// connects the server to it once, copies it to `transportInstance` (closed on shutdown, after a check that it is set)
// and hands every request to it. The SDK refuses the second request (HTTP 500): the project's own bug. add names it
// and fixes it in the diff: the creation and its setup become a factory, and the request handler makes a new server
// and transport per request.

it("a stateless transport made and connected once in a block of the function that starts the server is named as the project's own bug, and fixed in the diff", async () => {
  const work = await tempDir("cma-add-reused-block-");
  try {
    const root = await copyFixture("reused-in-block", work.dir);
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "tracker_get=tracker:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as {
      detected: { reusedServer: unknown[] };
      diff: string;
    };
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.reusedServer).toEqual([
      {
        file: "dist/index.js",
        line: 26,
        handlerLine: 58,
        fixed: true,
        reason: null,
        transport: { name: "transport", line: 51 },
      },
    ]);
    const text = await runCli(["add", root, "--dry-run", "--scopes", "tracker_get=tracker:read"]);
    expect((text.stdout + text.stderr).replace(/\s+/g, " ")).toMatch(
      /found dist\/index\.js:26: one McpServer \(serverInstance\) and one stateless transport \(transport, line 51\) connected once and reused by every request: .*This is a bug of the project, there before add, not caused by it\. The changes below build them per request\./,
    );
    expect(text.stdout).toContain("+    serverInstance = createMcpServer();");
    expect(text.stdout).toContain("-        transportInstance = transport;");
    expect(await snapshot(root)).toEqual(before);
  } finally {
    await work.cleanup();
  }
});

it("after add, the project installed and started for real passes the full self-check, and a second add changes nothing", async () => {
  const work = await tempDir("cma-add-reused-block-");
  try {
    const root = await copyFixture("reused-in-block", work.dir);
    const env = { ...installEnv(), TRANSPORT_MODE: "http" };
    const run = await runCli(["add", root, "--yes", "--json", "--no-steps", "--scopes", "tracker_get=tracker:read"], { env });
    const doc = parseDocument(run.stdout, run.stderr);
    const failures = (doc.check?.results ?? []).filter((r) => r.status === "fail").map((r) => `${r.id}: ${r.reason}`);
    expect(failures, run.stderr).toEqual([]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.check, run.stderr).not.toBeNull();
    const code = await readFile(path.join(root, "dist/index.js"), "utf8");
    expect(code).toContain("            const server = createMcpServer();");
    const after = await snapshot(root);
    const again = await runCli(["add", root, "--yes", "--json", "--no-steps", "--scopes", "tracker_get=tracker:read"], { env });
    const second = parseDocument(again.stdout, again.stderr);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(second.changed).toBe(false);
    expect(second.detected.reusedServer).toEqual([]);
    expect(await snapshot(root)).toEqual(after);
  } finally {
    await work.cleanup();
  }
}, 900_000);
