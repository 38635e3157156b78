import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture as copyFixtureOf, snapshot as snapshotOf } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { drive } from "./helpers/pty.js";

// Python add's questions and .env, as TypeScript add's (src/add/prompts.ts, src/add/index.ts): on a terminal it asks
// the provider, the scopes per tool and whether to write; --yes takes the defaults; without a terminal and without
// --yes it stops (exit 2) naming the flags, nothing written. .env gets the values given, else the local issuer's (unlike
// TypeScript add: the server's module builds its auth when imported, so the project's own tests need them), and a
// variable the user already has in it is never replaced. No install, no self-check: the built CLI and the project's Python only.

const snapshot = (root: string) => snapshotOf(root, [".git", ".venv", "__pycache__"]);
const copyFixture = (name: string, into: string) => copyFixtureOf(name, into, "add-python");
let copies = 0;
/** A fresh copy of a fixture in its own folder (a test may copy the same fixture as another). */
async function fresh(name: string, work: string): Promise<string> {
  const into = path.join(work, String(++copies));
  await mkdir(into);
  return copyFixture(name, into);
}
const down = "\x1b[B";
const SCALEKIT = ["--provider", "scalekit", "--env-url", "https://acme.scalekit.dev", "--resource-id", "res_123456"];

describe("Python add: questions and .env", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-add-python-prompts-");
  });
  afterAll(() => work.cleanup());

  it("no terminal and no --yes: exit 2 naming the flags (provider, scopes, --yes), after the report; nothing written", async () => {
    const root = await fresh("fastmcp-http", work.dir);
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--no-install"]);
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stdout).toMatch(/server\.py:7 {2}mcp = FastMCP\(\.\.\.\)/);
    expect(run.stderr).toMatch(/no terminal to ask questions on; answer them with flags:/);
    expect(run.stderr).toMatch(/--provider scalekit with --env-url/);
    expect(run.stderr).toMatch(/--scopes tool=scope/);
    expect(run.stderr).toMatch(/--yes to write the changes/);
    expect(run.stderr).toMatch(/e\.g\. .* add \S+ --scopes forecast=mcp:tools --yes/);
    // --json carries what was found along with the error.
    const json = await runCli(["add", root, "--no-install", "--json"]);
    expect(json.exitCode).toBe(2);
    const doc = JSON.parse(json.stdout) as { detected: { tools: { name: string }[] } };
    expect(doc.detected.tools.map((t) => t.name)).toEqual(["forecast", "set_alert"]);
    // With the provider and scopes given, the only question left is the write: still named.
    const confirm = await runCli(["add", root, "--no-install", "--scopes", "forecast=weather:read", ...SCALEKIT]);
    expect(confirm.exitCode).toBe(2);
    expect(confirm.stderr).toMatch(/answer them with flags: --yes to write the changes/);
    expect(confirm.stderr).not.toMatch(/--env-url|--scopes tool=scope/);
    expect(await snapshot(root)).toEqual(before);
  });

  it("--yes without provider values: .env gets the local issuer's values (the server's module reads them when imported), git ignores it", async () => {
    const root = await fresh("requirements-argv", work.dir);
    const run = await runCli(["add", root, "--yes", "--no-install", "--no-check"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const env = await readFile(path.join(root, ".env"), "utf8");
    expect(env).toMatch(/^SCALEKIT_ENVIRONMENT_URL='http:\/\/127\.0\.0\.1:4444'$/m);
    expect(env).toMatch(/^SCALEKIT_RESOURCE_ID='res_local'$/m);
    expect(env).toMatch(/^MCP_SERVER_URL='http:\/\/localhost:\d+\/mcp'$/m);
    expect(await readFile(path.join(root, ".gitignore"), "utf8")).toBe(".env\n");
    expect(run.stdout.replace(/\s+/g, " ")).toMatch(
      /\.env points at the local authorization server: run .* issuer in another terminal first/,
    );
  });

  it("values given: .env gets the missing variables only; the user's own values and lines stay byte for byte", async () => {
    const root = await fresh("fastmcp-http", work.dir);
    const mine = "# mine\nMCP_SERVER_URL=https://weather.example.com/mcp\nexport SCALEKIT_RESOURCE_ID=res_mine\nAPI_KEY=secret\n";
    await writeFile(path.join(root, ".env"), mine);
    const run = await runCli(["add", root, "--yes", "--no-install", "--no-check", ...SCALEKIT]);
    expect(run.exitCode, run.stderr).toBe(0);
    const env = await readFile(path.join(root, ".env"), "utf8");
    expect(env.startsWith(mine)).toBe(true);
    const added = env.slice(mine.length);
    expect(added).toMatch(/SCALEKIT_ENVIRONMENT_URL='https:\/\/acme\.scalekit\.dev'/);
    expect(added).not.toMatch(/MCP_SERVER_URL|SCALEKIT_RESOURCE_ID|API_KEY/);
    expect(await readFile(path.join(root, ".gitignore"), "utf8")).toBe(".env\n");
    // A second run with other values changes nothing in .env.
    const again = await runCli([
      "add",
      root,
      "--yes",
      "--no-install",
      "--no-check",
      ...SCALEKIT.slice(0, 3),
      "https://other.scalekit.dev",
      ...SCALEKIT.slice(4),
    ]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await readFile(path.join(root, ".env"), "utf8")).toBe(env);
  });

  it("on a terminal: the provider (set it later), the scopes per tool, then write; the answers land in policy.py", async () => {
    let policy = "";
    let files: string[] = [];
    const { exitCode, screen } = await drive(
      [
        [/Authorization server\?/, "\r"],
        [/Scopes for forecast/, "weather:read\r"],
        [/Scopes for set_alert/, "weather:write weather:read\r"],
        [/Write these changes \(\d+ files\)\?/, "\r"],
      ],
      "add fastmcp-http --no-install --no-check",
      {
        setup: async (dir) => void (await copyFixture("fastmcp-http", dir)),
        inspect: async (dir) => {
          policy = await readFile(`${dir}/fastmcp-http/mcp_auth/policy.py`, "utf8");
          files = [...(await snapshot(`${dir}/fastmcp-http`)).keys()];
        },
      },
    );
    expect(exitCode, screen).toBe(0);
    expect(policy).toMatch(/"forecast": \["weather:read"\]/);
    expect(policy).toMatch(/"set_alert": \["weather:write", "weather:read"\]/);
    expect(files).toContain(".env.example");
    expect(files).toContain(".env");
  });

  it("on a terminal: 'show the full diff first', then no: exit 130, nothing written", async () => {
    let files: string[] = [];
    const { exitCode, screen } = await drive(
      [
        [/Authorization server\?/, "\r"],
        [/Scopes for forecast/, "\r"],
        [/Scopes for set_alert/, "\r"],
        [/Write these changes/, `${down}\r`],
        [/Write these changes/, "n\r"],
      ],
      "add fastmcp-http --no-install --no-check",
      {
        setup: async (dir) => void (await copyFixture("fastmcp-http", dir)),
        inspect: async (dir) => {
          files = [...(await snapshot(`${dir}/fastmcp-http`)).keys()];
        },
      },
    );
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(/\+\+\+ b\/mcp_auth\/policy\.py/);
    expect(screen).toMatch(/Nothing was written/);
    expect(files.sort()).toEqual(["pyproject.toml", "server.py"]);
  });
});
