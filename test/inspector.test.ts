import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalIssuer } from "../src/issuer/index.js";
import { startIssuer } from "../src/issuer/index.js";
import { repoRoot, runCli, tempDir } from "./helpers/cli.js";
import { installEnv, startGeneratedServer } from "./helpers/project.js";

/**
 * A second real client: the MCP Inspector CLI (it needs Node 22+, so it runs
 * on the Node 24 binary from the npm `node` package). .ci/run installs both
 * into .cache/tools; a developer's first run installs them here.
 */
const toolsDir = path.join(repoRoot, ".cache", "tools");
const inspectorBin = process.env.CMA_INSPECTOR_BIN ?? path.join(toolsDir, "node_modules", ".bin", "mcp-inspector");
const node24 = process.env.CMA_NODE24 ?? path.join(toolsDir, "node_modules", ".bin", "node");

async function ensureTools() {
  if (existsSync(inspectorBin) && existsSync(node24)) return;
  await mkdir(toolsDir, { recursive: true });
  if (!existsSync(path.join(toolsDir, "package.json"))) await writeFile(path.join(toolsDir, "package.json"), '{"private":true}');
  await execa("npm", ["install", "--no-save", "node@24", "@modelcontextprotocol/inspector@2"], { cwd: toolsDir, env: installEnv() });
}

describe("MCP Inspector CLI against a generated server", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let issuer: LocalIssuer;
  let server: Awaited<ReturnType<typeof startGeneratedServer>> | undefined;
  let serverUrl = "";
  let home = "";

  beforeAll(async () => {
    await ensureTools();
    work = await tempDir("cma-inspector-");
    home = path.join(work.dir, "home");
    await mkdir(home);
    const root = path.join(work.dir, "inspected");
    const created = await runCli([root, "--framework", "express", "--yes", "--no-git", "--no-check"], { env: installEnv() });
    expect(created.exitCode, created.stderr).toBe(0);
    issuer = await startIssuer({ port: 0, quiet: true, scopes: ["todo:read", "todo:write"] });
    server = await startGeneratedServer(root, issuer);
    serverUrl = server.url;
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    await issuer?.close();
    await work?.cleanup();
  });

  const inspect = (args: string[]) =>
    execa(inspectorBin, ["--cli", serverUrl, "--transport", "http", "--method", "tools/list", ...args], {
      reject: false,
      timeout: 60_000,
      // A throwaway HOME: the Inspector keeps a catalog and OAuth state there.
      env: { ...installEnv(), HOME: home, PATH: `${path.dirname(node24)}:${process.env.PATH}` },
    });

  it("lists the tools with a minted token", async () => {
    const token = await issuer.mint({ audience: [serverUrl, issuer.resourceId], scopes: ["todo:read"] });
    const result = await inspect(["--header", `Authorization: Bearer ${token}`]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const listed = JSON.parse(String(result.stdout)) as { tools: { name: string }[] };
    expect(listed.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["whoami", "todo_read", "todo_write"]));
  });

  it("fails without a token", async () => {
    const result = await inspect([]);
    expect(result.exitCode).not.toBe(0);
    expect(String(result.stdout)).not.toContain("whoami");
  });
});
