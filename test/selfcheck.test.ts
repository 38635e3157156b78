import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";

/**
 * The self-check must be able to fail: a generated project with a planted
 * auth bug (a relative resource_metadata in its challenges, a pitfall from
 * DESIGN section 8) makes `check --project` exit 1, name the failing probe and
 * show the server's log tail.
 */
describe("self-check on a broken project", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let root = "";
  beforeAll(async () => {
    work = await tempDir("cma-broken-");
    root = path.join(work.dir, "broken");
    const created = await runCli([root, "--framework", "express", "--yes", "--no-git", "--no-check"], { env: installEnv() });
    expect(created.exitCode, created.stderr).toBe(0);
    const file = path.join(root, "src", "auth", "challenge.ts");
    const source = await readFile(file, "utf8");
    const planted = source.replace(
      "const resourceMetadata = prmUrls(config).pathSuffixed;",
      "const resourceMetadata = new URL(prmUrls(config).pathSuffixed).pathname;",
    );
    expect(planted).not.toBe(source);
    await writeFile(file, planted);
  }, 600_000);
  afterAll(() => work.cleanup());

  it("exits 1, names the failing probe and shows the server log", async () => {
    const result = await runCli(["check", "--project", root], { env: installEnv() });
    expect(result.exitCode, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/✖ Request without a token gets a 401 challenge/);
    expect(result.stdout).toMatch(/relative|absolute/i);
    expect(result.stdout).toMatch(/Server log/);
    expect(result.stdout).toMatch(/"path":"\/mcp","status":401/); // the server's request log
  });

  it("in --json, the failing probe is in the report", async () => {
    const result = await runCli(["check", "--project", root, "--json"], { env: installEnv() });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as { results: { id: string; status: string }[] };
    expect(report.results.find((r) => r.id === "challenge.no-token")?.status).toBe("fail");
  });
});
