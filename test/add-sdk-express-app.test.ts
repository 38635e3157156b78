import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { copyFixture, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

// The shape of figma-developer-mcp@0.13.2 (test/fixtures/real): its app comes from the SDK's
// createMcpExpressApp, its routes are registered in a loop over "/mcp" and "/sse" with one handler,
// and that handler takes the request's Authorization bearer token as the user's own upstream token.
// OAuth in front would put the MCP access token in that header, and the server would pass it on as
// the user's token: add refuses precisely (exit 2, nothing written), naming the three and the port.

/** add with `args` on a fresh copy of the fixture (after `edit` of dist/http.js): the run, and whether the copy changed. */
async function addOn(args: string[], edit: (code: string) => string = (code) => code) {
  const work = await tempDir("cma-add-sdk-express-app-");
  try {
    const root = await copyFixture("sdk-express-app-bearer", work.dir);
    const file = path.join(root, "dist/http.js");
    await writeFile(file, edit(await readFile(file, "utf8")));
    const before = await snapshot(root);
    const run = await runCli(["add", root, ...args, "--scopes", "get_design=design:read"]);
    return { run, unchanged: JSON.stringify([...(await snapshot(root))]) === JSON.stringify([...before]) };
  } finally {
    await work.cleanup();
  }
}

const REFUSAL = [
  /serves MCP from an Express app made by the MCP SDK's createMcpExpressApp \(dist\/http\.js:9: app = createMcpExpressApp\(\.\.\.\)\)/,
  /its routes are registered in a loop over "\/mcp", "\/sse" \(dist\/http\.js:24\), one handler for all of them/,
  /that handler reads the Authorization header as a credential of its own \(dist\/http\.js:5: the request.s bearer token, passed on as the user.s token/,
  /it listens on DESIGN_PORT \(default 3333\)/,
  /Nothing was written\.$/m,
];

describe("add on sdk-express-app-bearer (figma-developer-mcp's shape)", () => {
  it("refuses with no flag, naming createMcpExpressApp, the routes in a loop, the bearer token read as the user's own, and the port", async () => {
    const { run, unchanged } = await addOn(["--dry-run"]);
    expect(run.exitCode, run.stderr).toBe(2);
    for (const pattern of REFUSAL) expect(run.stderr).toMatch(pattern);
    expect(unchanged).toBe(true);
  }, 60_000);

  it("refuses the same with --endpoint /mcp --yes, and writes nothing", async () => {
    const { run, unchanged } = await addOn(["--endpoint", "/mcp", "--yes", "--no-install"]);
    expect(run.exitCode, run.stderr).toBe(2);
    for (const pattern of REFUSAL) expect(run.stderr).toMatch(pattern);
    expect(unchanged).toBe(true);
  }, 60_000);

  it("does not refuse this way when the handler does not read the Authorization header", async () => {
    const { run } = await addOn(["--dry-run", "--endpoint", "/mcp"], (code) =>
      code.replace("const token = tokenOf(req);", "const token = undefined;"),
    );
    expect(run.stderr).not.toMatch(/createMcpExpressApp/);
    expect(run.exitCode, run.stderr).toBe(0);
  }, 60_000);
});
