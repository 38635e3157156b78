import { expect, it } from "vitest";
import { copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";

// @aashari/mcp-server-atlassian-jira's shape (test/fixtures/real): a CommonJS build whose HTTP branch (an `else` block of
// startServer) makes one stateless transport (`new streamableHttp_js_1.StreamableHTTPServerTransport(...)`), connects the
// module's server to it once, and hands every request to it. The SDK refuses the second request (HTTP 500), before
// add as after: add names it as the project's own bug, and says why it does not fix it (the server is made elsewhere).

it("a stateless transport made and connected once in a block of the function that starts the server is named as the project's own bug, not fixed, with the reason", async () => {
  const work = await tempDir("cma-add-reused-block-");
  try {
    const root = await copyFixture("reused-in-block", work.dir);
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "tracker_get=tracker:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as {
      detected: { reusedServer: unknown[] };
    };
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.reusedServer).toEqual([
      {
        file: "dist/index.js",
        line: 29,
        handlerLine: 34,
        fixed: false,
        reason: "serverInstance is made outside the block that connects it to transport",
        transport: { name: "transport", line: 29 },
      },
    ]);
    const text = await runCli(["add", root, "--dry-run", "--scopes", "tracker_get=tracker:read"]);
    expect((text.stdout + text.stderr).replace(/\s+/g, " ")).toMatch(
      /found dist\/index\.js:29: one McpServer \(serverInstance\) and one stateless transport \(transport, line 29\) connected once and reused by every request: .*This is a bug of the project, there before add, not caused by it\. Not fixed automatically \(serverInstance is made outside the block that connects it to transport\)/,
    );
    expect(await snapshot(root)).toEqual(before);
  } finally {
    await work.cleanup();
  }
});

it("after add, the self-check's HTTP 500s are put down to that bug, found before add, not to add (the project installed and started for real)", async () => {
  const work = await tempDir("cma-add-reused-block-");
  try {
    const root = await copyFixture("reused-in-block", work.dir);
    const run = await runCli(["add", root, "--yes", "--no-steps", "--scopes", "tracker_get=tracker:read"], {
      env: { ...installEnv(), TRANSPORT_MODE: "http" },
    });
    const text = (run.stdout + run.stderr).replace(/\s+/g, " ");
    expect(run.exitCode, text).toBe(1);
    expect(text).toMatch(/The self-check found problems/);
    expect(text).toMatch(
      /The failures above come from a bug the project had before add \(dist\/index\.js:29: one stateless transport \(transport\) connected once to serverInstance and reused by every request\), not from add: the SDK answers the second request with HTTP 500\. Build both inside the request handler, then run add again: it finds its changes in place and runs the self-check\./,
    );
  } finally {
    await work.cleanup();
  }
}, 600_000);
