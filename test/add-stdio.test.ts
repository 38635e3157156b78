import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

// A project add cannot understand: an MCP server over stdio only (the most
// common shape on npm). OAuth protects HTTP servers; add says so and writes nothing.
describe("add on a stdio-only MCP server", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let root: string;
  let before: Map<string, string>;
  beforeAll(async () => {
    work = await tempDir("cma-add-stdio-");
    root = await copyFixture("stdio", work.dir);
    before = await snapshot(root);
  });
  afterAll(() => work.cleanup());

  it("exits 2 with a message that says why and what to do, and leaves the tree unchanged", async () => {
    const run = await runCli(["add", root, "--yes"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/serves MCP over stdio only \(src\/index\.ts:\d+: StdioServerTransport\)/);
    expect(run.stderr).toMatch(/Serve it over Streamable HTTP/);
    expect(run.stderr).toMatch(/Nothing was written/);
    expect(await snapshot(root)).toEqual(before);
  });

  it("--json prints exactly one JSON document with the error, also for --dry-run", async () => {
    for (const extra of [[], ["--dry-run"]]) {
      const run = await runCli(["add", root, "--yes", "--json", ...extra]);
      expect(run.exitCode).toBe(2);
      const doc = parseDocument(run.stdout, run.stderr) as unknown as { ok: boolean; exitCode: number; error: string };
      expect(doc).toMatchObject({ ok: false, exitCode: 2 });
      expect(doc.error).toMatch(/stdio only/);
    }
    expect(await snapshot(root)).toEqual(before);
  });

  it("a folder without package.json is refused the same way", async () => {
    const run = await runCli(["add", path.join(root, "src")]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/has no package\.json/);
  });

  it("a stdio server published as compiled JavaScript only (dist/, no sources) is refused by name too, from the code in dist/", async () => {
    const published = await copyFixture("stdio-dist", work.dir);
    const untouched = await snapshot(published);
    const run = await runCli(["add", published, "--yes", "--json"]);
    expect(run.exitCode).toBe(2);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as { error: string };
    expect(doc.error).toMatch(/serves MCP over stdio only \(dist\/index\.js:12: StdioServerTransport\)/);
    expect(doc.error).toMatch(/Nothing was written/);
    expect(await snapshot(published)).toEqual(untouched);
  });
});
