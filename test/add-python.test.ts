import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture as copyFixtureOf, onPort8000, snapshot as snapshotOf } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

/** A Python project's files: its virtual environment and bytecode caches are not among them. */
const snapshot = (root: string) => snapshotOf(root, [".git", ".venv", "__pycache__"]);
const copyFixture = (name: string, into: string) => copyFixtureOf(name, into, "add-python");

/** A report wrapped at 80 columns, its continuation lines joined back. */
const unwrapped = (text: string): string => text.replace(/\n[ \t]+/g, " ");

// add on Python MCP server projects (test/fixtures/add-python, modelled on real shapes): detection reported before
// anything is written, refusals with their reason, and a FastMCP server secured through FastMCP(auth=...), installed
// with uv from PyPI and proven by the self-check (the local issuer and every probe of check, both eras).

/** Human text goes to stdout without --json, to stderr with it: both, as one text. */
function both(run: { exitCode: number | undefined; stdout: string; stderr: string }) {
  return { ...run, stderr: `${run.stdout}\n${run.stderr}` };
}

interface AddDoc {
  ok: boolean;
  exitCode: number;
  changed: boolean;
  detected: Record<string, unknown> & { tools: { name: string }[] };
  files: { path: string; action: string }[];
  dependencies: { name: string }[];
  diff: string;
  check: { summary: { failed: number; passed: number } } | null;
  error?: string;
}

describe("add on Python projects", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-add-python-");
  });
  afterAll(() => work.cleanup());

  it("FastMCP over HTTP: --dry-run reports what it found first, then the diff, and writes nothing", async () => {
    const root = await copyFixture("fastmcp-http", path.join(work.dir, "dry"));
    const before = await snapshot(root);
    const run = both(await runCli(["add", root, "--dry-run", "--scopes", "set_alert=weather:write"]));
    expect(run.exitCode, run.stderr).toBe(0);
    const detected = run.stderr.indexOf("Detected in");
    expect(detected).toBeGreaterThanOrEqual(0);
    expect(run.stderr.indexOf("+++ b/server.py")).toBeGreaterThan(detected);
    expect(run.stderr).toMatch(/framework\s+FastMCP 4\.x \(from fastmcp import FastMCP\)/);
    expect(run.stderr).toMatch(/transport\s+http \(literal: mcp\.run\(transport='http'\)\)/);
    expect(run.stderr).toMatch(/endpoint\s+\/mcp \(FastMCP's default\)/);
    expect(run.stderr).toMatch(/tools\s+forecast, set_alert/);
    expect(run.stderr).toMatch(/Dry run: nothing was written/);
    expect(await snapshot(root)).toEqual(before);

    const json = await runCli(["add", root, "--dry-run", "--json", "--scopes", "set_alert=weather:write"]);
    const doc = JSON.parse(json.stdout) as AddDoc;
    expect(doc.detected).toMatchObject({
      language: "python",
      framework: { name: "fastmcp", major: 4 },
      packageManager: "uv",
      server: { file: "server.py", line: 7, name: "mcp", class: "FastMCP" },
      transport: { kind: "http", how: "literal" },
      endpoint: { path: "/mcp" },
      port: { env: "PORT", fallback: 8000 },
      start: "uv run python server.py",
    });
    expect(doc.detected.tools.map((t) => t.name)).toEqual(["forecast", "set_alert"]);
    expect(doc.dependencies.map((d) => d.name)).toEqual(["pyjwt", "httpx", "python-dotenv"]);
    expect(await snapshot(root)).toEqual(before);
  });

  it("FastMCP over HTTP: --yes splices one import and auth=, installs with uv, passes the self-check; a second run changes nothing", async () => {
    const root = await copyFixture("fastmcp-http", path.join(work.dir, "yes"));
    const original = await readFile(path.join(root, "server.py"), "utf8");
    const run = await runCli(["add", root, "--yes", "--json", "--scopes", "set_alert=weather:write"]);
    const doc = JSON.parse(run.stdout) as AddDoc;
    expect(doc.ok, run.stderr.slice(-4000)).toBe(true);
    expect(doc.check?.summary.failed).toBe(0);
    // The report wraps at 80 columns: read it with its lines rejoined.
    expect(unwrapped(run.stderr)).toMatch(/403 insufficient_scope, scope="weather:write"/);
    expect(run.stderr).toMatch(/Protocol eras: 2025 accepted, 2026-07-28 accepted/);

    // Every byte of the user's module outside the two insertions is kept (quotes, comments, the em dash).
    const after = await readFile(path.join(root, "server.py"), "utf8");
    expect(after).toContain("\nfrom mcp_auth.fastmcp_auth import fastmcp_auth\n");
    expect(after).toContain("mcp = FastMCP(name='Weather', auth=fastmcp_auth())");
    expect(after.replace("\nfrom mcp_auth.fastmcp_auth import fastmcp_auth\n", "").replace(", auth=fastmcp_auth()", "")).toBe(original);
    const pyproject = await readFile(path.join(root, "pyproject.toml"), "utf8");
    expect(pyproject).toContain('    "fastmcp>=4.2,<5",  # the MCP framework\n    "pyjwt[crypto]>=2.10,<3",\n');
    const policy = await readFile(path.join(root, "mcp_auth/policy.py"), "utf8");
    expect(policy).toContain('SERVER_NAME = "Weather"');
    expect(policy).toContain('"set_alert": ["weather:write"],');

    const files = await snapshot(root);
    const again = both(await runCli(["add", root, "--yes", "--no-check", "--scopes", "set_alert=weather:write"]));
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/Nothing to change: .* already has OAuth on \/mcp/);
    expect(again.stderr).not.toMatch(/Installing/);
    expect(await snapshot(root)).toEqual(files);
  }, 300_000);

  it("a stdio-only server is refused with the reason, after the report, and nothing is written", async () => {
    const root = await copyFixture("stdio-only", path.join(work.dir, "stdio"));
    const before = await snapshot(root);
    const run = both(await runCli(["add", root, "--yes"]));
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/framework\s+the official MCP SDK's FastMCP 1\.x \(from mcp\.server\.fastmcp import FastMCP\)/);
    expect(run.stderr).toMatch(/serves MCP over stdio only \(server\.py:3: mcp\.run\(\) without a transport: stdio\)/);
    expect(run.stderr).toMatch(/Nothing was written/);
    expect(await snapshot(root)).toEqual(before);
  });

  it("the official SDK 2.x, transport from an environment variable: **sdk_auth() and run_secured, self-check with MCP_TRANSPORT set; idempotent", async () => {
    const root = await copyFixture("sdk-env", path.join(work.dir, "sdk"));
    const original = await readFile(path.join(root, "src/notes_server/server.py"), "utf8");
    const run = both(await onPort8000(() => runCli(["add", root, "--yes", "--scopes", "add_note=notes:write"])));
    expect(run.exitCode, run.stderr.slice(-4000)).toBe(0);
    expect(run.stderr).toMatch(/framework\s+the official MCP SDK's MCPServer 2\.x/);
    expect(run.stderr).toMatch(/server\s+src\/notes_server\/server\.py:9 {2}mcp = MCPServer\(\.\.\.\)/);
    expect(run.stderr).toMatch(/transport\s+http \(env: environment variable MCP_TRANSPORT \(default stdio\)\)/);
    expect(run.stderr).toMatch(/starts with\s+uv run notes-server/);
    expect(run.stderr).toMatch(/tools\s+add_note, list_notes/);
    expect(run.stderr).toMatch(/Self-check passed: \d+ passed, 0 failed/);
    expect(run.stderr).toMatch(/Protocol eras: 2025 accepted, 2026-07-28 accepted/);
    expect(run.stderr).toMatch(/MCP_TRANSPORT=streamable-http uv run notes-server/);
    const after = await readFile(path.join(root, "src/notes_server/server.py"), "utf8");
    expect(after).toContain("\nfrom .mcp_auth.sdk_auth import run_secured, sdk_auth\n");
    expect(
      after
        .replace("\nfrom .mcp_auth.sdk_auth import run_secured, sdk_auth\n", "")
        .replace(", **sdk_auth()", "")
        .replace("run_secured(mcp, transport=transport)", "mcp.run(transport=transport)"),
    ).toBe(original);
    const files = await snapshot(root);
    const again = both(await runCli(["add", root, "--yes", "--no-check", "--scopes", "add_note=notes:write"]));
    expect(again.stderr).toMatch(/Nothing to change/);
    expect(await snapshot(root)).toEqual(files);
  }, 300_000);

  it("the official SDK 1.x mounted in FastAPI: the endpoint is the prefix plus the SDK's path; secure_app(app) after the mount, uvicorn start, self-check", async () => {
    const root = await copyFixture("fastapi-mount", path.join(work.dir, "mount"));
    const run = both(await onPort8000(() => runCli(["add", root, "--yes", "--scopes", "stock=inventory:read"])));
    expect(run.exitCode, run.stderr.slice(-4000)).toBe(0);
    expect(run.stderr).toMatch(/endpoint\s+\/inventory\/mcp \(mounted at "\/inventory" \(app\/main\.py:21\)/);
    expect(run.stderr).toMatch(/manager\s+pip \(requirements\.txt\)/);
    expect(run.stderr).toMatch(/starts with\s+\.venv\/bin\/python -m uvicorn app\.main:app/);
    expect(run.stderr).toMatch(/Self-check passed: \d+ passed, 0 failed/);
    // mcp 1.x answers only 2025-era requests: the check says so, and checks the scopes in that era.
    expect(unwrapped(run.stderr)).toMatch(/tools\/call stock without scopes: 403 insufficient_scope, scope="inventory:read"/);
    const main = await readFile(path.join(root, "app/main.py"), "utf8");
    expect(main).toContain('app.mount("/inventory", mcp.streamable_http_app())\nsecure_app(app)\n');
    expect(main).toContain('mcp = FastMCP("Inventory", stateless_http=True, **sdk_auth())');
  }, 300_000);

  it("FastMCP with the transport from argparse and a requirements.txt: the start command passes --transport http; requirements get the packages", async () => {
    const root = await copyFixture("requirements-argv", path.join(work.dir, "argv"));
    const run = await runCli(["add", root, "--dry-run", "--json"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as AddDoc;
    expect(doc.detected).toMatchObject({
      framework: { name: "fastmcp" },
      packageManager: "pip",
      transport: { kind: "http", how: "argv" },
      start: ".venv/bin/python main.py --transport http",
      server: { name: "server", file: "main.py" },
    });
    expect(doc.diff).toContain("+++ b/requirements.txt\n@@ -1 +1,4 @@\n fastmcp>=4.2,<5\n+pyjwt[crypto]>=2.10,<3\n");
    expect(doc.diff).toContain('+server = FastMCP("Calculator", auth=fastmcp_auth())');
    // The port comes from the --port option's default (run(port=args.port)), not from the library: the report says so.
    expect(doc.detected).toMatchObject({ port: { fallback: 8000, option: "--port (main.py:16)" } });
    expect(run.stderr).toMatch(/port +8000 \(the default of --port, main\.py:16\)/);
    expect(run.stderr).not.toMatch(/the library's default/);
  });

  it("--steps: the project's own ruff, mypy --strict and pytest stay green (its 100-column ruff config included); [project.scripts] start; self-check", async () => {
    const root = await copyFixture("fastmcp-tested", path.join(work.dir, "steps"));
    const run = await runCli(["add", root, "--yes", "--steps", "--json", "--scopes", "add_todo=todo:write"]);
    const doc = JSON.parse(run.stdout) as AddDoc & { steps: { command: string; before: string; after: string; verdict: string }[] };
    expect(doc.ok, run.stderr.slice(-4000)).toBe(true);
    expect(doc.detected).toMatchObject({
      transport: { kind: "http", how: "literal" },
      start: "uv run todo-mcp",
      server: { module: "todo_mcp.server" },
    });
    expect(doc.steps.map((st) => [st.command, st.before, st.after, st.verdict])).toEqual([
      ["uv run ruff check .", "pass", "pass", "green"],
      ["uv run mypy", "pass", "pass", "green"],
      ["uv run pytest -q", "pass", "pass", "green"],
    ]);
    expect(doc.check?.summary.failed).toBe(0);
    expect(await readFile(path.join(root, "src/todo_mcp/mcp_auth/ruff.toml"), "utf8")).toContain('extend = "../../../pyproject.toml"');
    // The project shipped no uv.lock: the steps' `uv run` before add made it, so undo removes it (git checkout of a
    // file git never had fails, and stops the undo there).
    const undo = run.stderr.slice(run.stderr.indexOf("Undo:")).replace(/\\\n\s*/g, " ");
    expect(undo).toMatch(/\n\s*rm [^\n]*\buv\.lock\b/);
    expect(undo).not.toMatch(/git checkout -- [^\n]*\buv\.lock\b/);
  }, 600_000);

  it("FastMCP's http_app(transport=args.transport) served by uvicorn, --transport choices naming streamable-http: started with that value, self-check", async () => {
    const root = await copyFixture("fastmcp-app-choices", path.join(work.dir, "choices"));
    const run = both(await runCli(["add", root, "--yes", "--scopes", "add_note=notes:write,list_notes=notes:read"]));
    expect(run.exitCode, run.stderr.slice(-4000)).toBe(0);
    expect(run.stderr).toMatch(/starts with\s+uv run python -m repo_notes\.main --transport streamable-http/);
    expect(run.stderr).toMatch(/port\s+9070/);
    expect(run.stderr).toMatch(/Self-check passed: \d+ passed, 0 failed/);
    expect(await readFile(path.join(root, "src/repo_notes/main.py"), "utf8")).toContain(
      'mcp = FastMCP("repo-notes", auth=fastmcp_auth())\n',
    );
  }, 300_000);

  it('FastMCP\'s app made first and mounted by name in FastAPI (mcp_app = mcp.http_app(); app.mount("/analytics", mcp_app)): auth= and secure_app(app), self-check', async () => {
    const root = await copyFixture("fastmcp-fastapi-app", path.join(work.dir, "fastapi-app"));
    const run = both(await onPort8000(() => runCli(["add", root, "--yes", "--scopes", "daily_visits=analytics:read"])));
    expect(run.exitCode, run.stderr.slice(-4000)).toBe(0);
    expect(run.stderr).toMatch(/endpoint\s+\/analytics\/mcp \(mounted at "\/analytics" \(main\.py:26\)/);
    expect(run.stderr).toMatch(/starts with\s+\.venv\/bin\/python -m uvicorn main:app/);
    expect(run.stderr).toMatch(/Self-check passed: \d+ passed, 0 failed/);
    const main = await readFile(path.join(root, "main.py"), "utf8");
    expect(main).toContain('mcp = FastMCP("Analytics", auth=fastmcp_auth())\n');
    expect(main.endsWith('app.mount("/analytics", mcp_app)\nsecure_app(app)\n')).toBe(true);
  }, 300_000);

  it("a FastMCP subclass of the project's own (no auth of its own): refused naming the class and what it overrides, nothing written", async () => {
    const root = await copyFixture("fastmcp-subclass", path.join(work.dir, "subclass"));
    const before = await snapshot(root);
    const run = both(await runCli(["add", root, "--yes"]));
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/server\s+server\.py:18 {2}mcp = HealthFastMCP\(\.\.\.\)/);
    expect(unwrapped(run.stderr)).toMatch(
      /makes its MCP server from a FastMCP subclass of its own \(server\.py:18: mcp = HealthFastMCP\(\.\.\.\); server\.py:8: class HealthFastMCP\(FastMCP\), which overrides http_app, _health\)\. add wires FastMCP\(\.\.\.\) made directly/,
    );
    expect(run.stderr).toMatch(/Nothing was written/);
    expect(await snapshot(root)).toEqual(before);
  });

  it("a server with an auth add did not write: refused with that auth named, exit 2, nothing written", async () => {
    const root = await copyFixture("fastmcp-own-auth", path.join(work.dir, "own"));
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--yes", "--json"]);
    expect(run.exitCode).toBe(2);
    const doc = JSON.parse(run.stdout) as { ok: boolean; error: string };
    expect(doc.ok).toBe(false);
    expect(doc.error).toMatch(/already has its own auth \(server\.py:7: auth=verifier\)\. add does not replace an auth it did not write/);
    expect(doc.error).toMatch(/Nothing was written/);
    expect(await snapshot(root)).toEqual(before);
  });

  it("the SDK 2.x server in one module, mounted by the FastAPI app of another: both files edited, imports in sorted place, self-check", async () => {
    const root = await copyFixture("fastapi-split", path.join(work.dir, "split"));
    const run = both(await onPort8000(() => runCli(["add", root, "--yes", "--scopes", "price=shop:read"])));
    expect(run.exitCode, run.stderr.slice(-4000)).toBe(0);
    expect(run.stderr).toMatch(/starts with\s+uv run python -m uvicorn shop\.app:app/);
    expect(run.stderr).toMatch(/Self-check passed: \d+ passed, 0 failed/);
    const app = await readFile(path.join(root, "src/shop/app.py"), "utf8");
    expect(app).toContain(
      "from fastapi import FastAPI\n\nfrom shop.mcp_auth.sdk_auth import secure_app\nfrom shop.mcp_server import mcp\n",
    );
    expect(app.endsWith('app.mount("/", mcp.streamable_http_app(stateless_http=True))\nsecure_app(app)\n')).toBe(true);
    const server = await readFile(path.join(root, "src/shop/mcp_server.py"), "utf8");
    expect(server).toContain(
      'from mcp.server.mcpserver import MCPServer\n\nfrom .mcp_auth.sdk_auth import sdk_auth\n\nmcp = MCPServer("shop", **sdk_auth())\n',
    );
  }, 300_000);
  it("the SDK's FastMCP made in server.py and run by __main__.py (adguard-home-mcp's shape): both files wired, MCP_HTTP_PORT read, self-check; idempotent", async () => {
    const root = await copyFixture("sdk-run-elsewhere", path.join(work.dir, "elsewhere"));
    const main = await readFile(path.join(root, "src/bookmarks_mcp/__main__.py"), "utf8");
    const run = both(await runCli(["add", root, "--yes", "--scopes", "add_bookmark=bookmarks:write,list_bookmarks=bookmarks:read"]));
    expect(run.exitCode, run.stderr.slice(-4000)).toBe(0);
    expect(run.stderr).toMatch(/server\s+src\/bookmarks_mcp\/server\.py:6 {2}mcp = FastMCP\(\.\.\.\)/);
    expect(unwrapped(run.stderr)).toMatch(/transport\s+http \(env: environment variable MCP_TRANSPORT \(default stdio\)/);
    expect(unwrapped(run.stderr)).toMatch(/port\s+\$MCP_HTTP_PORT, default 3000/);
    expect(run.stderr).toMatch(/starts with\s+uv run bookmarks-mcp/);
    expect(run.stderr).toMatch(/Self-check passed: \d+ passed, 0 failed/);
    const server = await readFile(path.join(root, "src/bookmarks_mcp/server.py"), "utf8");
    expect(server).toContain(
      'from mcp.server.fastmcp import FastMCP\n\nfrom .mcp_auth.sdk_auth import sdk_auth\n\nmcp = FastMCP("bookmarks", **sdk_auth())\n',
    );
    const after = await readFile(path.join(root, "src/bookmarks_mcp/__main__.py"), "utf8");
    expect(after).toBe(
      main
        .replace("from .server import mcp\n", "from .mcp_auth.sdk_auth import run_secured\nfrom .server import mcp\n")
        .replace('mcp.run(transport="streamable-http")', 'run_secured(mcp, transport="streamable-http")')
        .replace('mcp.run(transport="stdio")', 'run_secured(mcp, transport="stdio")'),
    );
    const files = await snapshot(root);
    const again = both(
      await runCli(["add", root, "--yes", "--no-check", "--scopes", "add_bookmark=bookmarks:write,list_bookmarks=bookmarks:read"]),
    );
    expect(again.stderr).toMatch(/Nothing to change/);
    expect(await snapshot(root)).toEqual(files);
  }, 300_000);
});
