import { appendFile, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture as copyFixtureOf, onPort8000, snapshot as snapshotOf } from "./add-suite.js";
import { cleanEnv, runCli, tempDir } from "./helpers/cli.js";

/** A Python project's files: its virtual environment and bytecode caches are not among them. */
const snapshot = (root: string) => snapshotOf(root, [".git", ".venv", "__pycache__"]);
const copyRealPython = (name: string, into: string) => copyFixtureOf(name, into, "real-python");

// add on real third-party Python MCP servers (test/fixtures/real-python, each with its LICENSE and SOURCE.md):
// the one add can secure is secured with no flag beyond scopes and passes the self-check; the others are refused
// with their precise reason and nothing written.

/**
 * Stops what the projects' own steps left running under `dir` (a process whose command line names it or whose working
 * directory is in it): mcp-server-motherduck's own HTTP tests start servers whose fixtures stop them only after they
 * answered unauthenticated, which they no longer do once secured, and add's step runner does not stop a step's
 * descendants. Returns how many were stopped.
 */
async function stopLeftovers(dir: string): Promise<number> {
  let stopped = 0;
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => "");
    if (!cmdline.includes(dir) && !cwd.startsWith(dir)) continue;
    try {
      process.kill(pid, "SIGKILL");
      stopped++;
    } catch {
      // Gone already.
    }
  }
  return stopped;
}

describe("add on real Python MCP servers", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-add-python-real-");
  });
  afterAll(async () => {
    await stopLeftovers(work.dir);
    await work.cleanup();
  });

  it("everything-server (the SDK's conformance server, FastMCP 1.x, click --port 3001): secured with scopes only, self-check passes", async () => {
    const root = await copyRealPython("everything-server", work.dir);
    const dry = await runCli(["add", root, "--dry-run", "--json"]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    const detected = (JSON.parse(dry.stdout) as { detected: { tools: { name: string }[]; port: { fallback: number }; start: string } })
      .detected;
    expect(detected.port.fallback).toBe(3001);
    expect(detected.start).toBe("uv run mcp-everything-server");
    // Its tools call back the client (sampling, elicitation, progress): each gets a scope, so a call without it is
    // answered 403 before the tool waits for a client that never answers.
    const scopes = detected.tools.map((t) => `${t.name}=conformance:run`).join(",");
    const run = await runCli(["add", root, "--yes", "--json", "--scopes", scopes]);
    const doc = JSON.parse(run.stdout) as { ok: boolean; check: { summary: { failed: number } } | null };
    expect(doc.ok, run.stderr.slice(-4000)).toBe(true);
    expect(doc.check?.summary.failed).toBe(0);
    const server = await readFile(path.join(root, "mcp_everything_server/server.py"), "utf8");
    expect(server).toContain("    retry_interval=100,  # 100ms retry interval for SSE polling\n    **sdk_auth(),\n)");
    expect(server).toContain('    run_secured(mcp, transport="streamable-http")\n');
    const files = await snapshot(root);
    const again = await runCli(["add", root, "--yes", "--no-check", "--json", "--scopes", scopes]);
    expect((JSON.parse(again.stdout) as { changed: boolean }).changed).toBe(false);
    expect(await snapshot(root)).toEqual(files);
  }, 600_000);

  it("simple-auth (a resource server with its own introspection verifier): refused, its auth named, nothing written", async () => {
    const root = await copyRealPython("simple-auth", work.dir);
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--yes"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/already has its own auth \(mcp_simple_auth\/server\.py:66: token_verifier=token_verifier\)/);
    expect(run.stderr).toMatch(/Nothing was written/);
    expect(await snapshot(root)).toEqual(before);
  });

  it("FastMCP's testing_demo (a server only its tests use) and qr_server (stdio): refused with their reasons, nothing written", async () => {
    const cases: [string, RegExp][] = [
      ["fastmcp-testing_demo", /creates an MCP server \(server\.py:11\) but never serves it itself: add found no mcp\.run\(\.\.\.\)/],
      ["fastmcp-qr_server", /serves MCP over stdio only \(qr_server\.py:34: mcp\.run\(\) without a transport: stdio\)/],
    ];
    for (const [name, reason] of cases) {
      const root = await copyRealPython(name, work.dir);
      const before = await snapshot(root);
      const run = await runCli(["add", root, "--yes"]);
      expect(run.exitCode, name).toBe(2);
      expect(run.stderr).toMatch(reason);
      expect(await snapshot(root)).toEqual(before);
    }
  });

  const WIKIPEDIA_TOOLS = [
    "search_wikipedia",
    "test_wikipedia_connectivity",
    "get_article",
    "get_summary",
    "summarize_article_for_query",
    "summarize_article_section",
    "extract_key_facts",
    "get_related_topics",
    "get_sections",
    "get_links",
    "get_coordinates",
  ];
  const ARXIV_TOOLS = [
    "watch_topic",
    "check_alerts",
    "list_watches",
    "unwatch_topic",
    "citation_graph",
    "download_paper",
    "export_citations",
    "get_abstract",
    "get_paper_latex",
    "list_paper_latex_sections",
    "get_paper_latex_section",
    "list_papers",
    "get_paper_outline",
    "read_paper_section",
    "search_paper_text",
    "read_paper",
    "search_papers",
    "semantic_search",
    "reindex",
  ];
  // Secured with no flag beyond --scopes (a read-only tool gets a scope, so the 403 probes run), the project's own
  // steps before and after (--steps), the self-check against its own start command in both eras; idempotent.
  const secured: [
    name: string,
    scopes: string,
    start: string,
    edited: string,
    expected: string,
    prepare?: (root: string) => Promise<void>,
    env?: Record<string, string>,
  ][] = [
    // FastMCP, MCP_TRANSPORT read into a config dict and dispatched by if/elif to one literal run per transport.
    [
      "office-word-mcp-server",
      "get_document_text=word:read",
      "uv run word_mcp_server",
      "word_document_server/main.py",
      'mcp = FastMCP("Word Document Server", auth=fastmcp_auth())',
    ],
    // FastMCP in a src/ package, its http_app(transport=args.transport) served by the project's own uvicorn.run.
    [
      "fsext-mcp-server",
      "fs_list_directory=fs:read",
      "uv run fsext-mcp-server-py --transport http",
      "src/fsext/_instance.py",
      "auth=fastmcp_auth()",
    ],
    // FastMCP made by create_server() in server.py, run from __main__.py (--transport); its own auth= is a provider
    // that is None unless --auth-mode jwt is chosen (-> Optional[Any]): kept when chosen, add's when it is off.
    // Its tools (registered twice each by a decorator of its own, x and wikipedia_x) call Wikipedia, which is not
    // reachable here: each gets a scope, so the check's calls without it are answered 403 before the tool runs.
    [
      "wikipedia-mcp",
      WIKIPEDIA_TOOLS.flatMap((t) => [`${t}=wiki:read`, `wikipedia_${t}=wiki:read`]).join(","),
      "uv run wikipedia-mcp --transport http",
      "wikipedia_mcp/server.py",
      '        name="Wikipedia",\n        auth=auth_provider or fastmcp_auth(),\n    )',
    ],
    // The SDK's low-level Server (its official example): a Starlette app mounting the session manager at /mcp,
    // served by uvicorn.run inside a click command (--port 3000): served as secure_asgi(app), /mcp without redirect.
    [
      "simple-streamablehttp-stateless",
      "start-notification-stream=demo:run",
      "uv run mcp-simple-streamablehttp-stateless",
      "mcp_simple_streamablehttp_stateless/server.py",
      '    uvicorn.run(secure_asgi(starlette_app, mounted=True), host="127.0.0.1", port=port)\n',
    ],
    // The same SDK's stateful example: its Starlette app wrapped in CORSMiddleware (starlette_app = CORSMiddleware(
    // starlette_app, ...)) before uvicorn.run serves it (--port 3000): the auth goes outside the CORS layer.
    [
      "simple-streamablehttp",
      "start-notification-stream=demo:run",
      "uv run mcp-simple-streamablehttp",
      "mcp_simple_streamablehttp/server.py",
      '    uvicorn.run(secure_asgi(starlette_app, mounted=True), host="127.0.0.1", port=port)\n',
    ],
    // The SDK's experimental tasks (server.experimental.enable_tasks(), a tool whose calls must run as tasks) on the
    // low-level Server, its Starlette app served by uvicorn.run in a click command (--port 8000).
    [
      "simple-task",
      "long_running_task=demo:run",
      "uv run mcp-simple-task",
      "mcp_simple_task/server.py",
      '    uvicorn.run(secure_asgi(starlette_app, mounted=True), host="127.0.0.1", port=port)\n',
    ],
    // The SDK's SSE polling example: an event store, a tool (about 5.6 s) that closes its SSE stream at checkpoints
    // for the client to poll back with Last-Event-ID (through the auth), slower than check's 5 s per request.
    [
      "sse-polling-demo",
      "process_batch=batch:run",
      "uv run mcp-sse-polling-demo",
      "mcp_sse_polling_demo/server.py",
      '    uvicorn.run(secure_asgi(starlette_app, mounted=True), host="127.0.0.1", port=port)\n',
    ],
    // The low-level Server with stdio, SSE and Streamable HTTP chosen by --mode; the HTTP app built by a factory of
    // its own (Route("/mcp")) and served by uvicorn.Config(app=...); the port from PORT. Its tools are named by its
    // handler classes (not literals), so they are named in --scopes. It imports McpError from mcp, which mcp 2.x
    // no longer has: the copy is pinned to mcp<2 (its era; the sdist ships no lock), as its own lock would.
    [
      "mcp-weather-server",
      ["get_current_weather", "get_weather_byDateTimeRange", "get_weather_details"].map((t) => `${t}=weather:read`).join(","),
      "uv run mcp_weather_server --mode streamable-http",
      "src/mcp_weather_server/server.py",
      "            app=secure_asgi(starlette_app),\n",
      (root) => appendFile(path.join(root, "pyproject.toml"), '\n[tool.uv]\nconstraint-dependencies = ["mcp<2"]\n'),
    ],
    // MCPServer 2.x whose sse_app() and streamable_http_app() routes are merged into a Starlette app of its own, served
    // by uvicorn.run (--transport streamable-http): **sdk_auth() on the server, secure_merged_app(app) after its CORS
    // middleware (the SDK's auth middleware its copied routes left behind, the metadata, the auth in front). Its
    // .python-version asks for 3.14.3, which this machine does not have: the copy asks for 3.11 (its floor is 3.10).
    [
      "duckduckgo-mcp-server",
      "search=ddg:search,fetch_content=ddg:search,expand_link=ddg:search",
      "uv run duckduckgo-mcp-server --transport streamable-http",
      "src/duckduckgo_mcp_server/server.py",
      '            expose_headers=["Mcp-Session-Id"],\n        )\n        secure_merged_app(app)\n',
      (root) => writeFile(path.join(root, ".python-version"), "3.11\n"),
    ],
    // The SDK's server class chosen by major (MCPServer, else FastMCP as _ServerClass) and made by create_server() in
    // one of two branches; run by run_server() from server.py; the transport from pydantic-settings (CF_TRANSPORT,
    // env_prefix "CF_"). Both constructors get **sdk_auth(), every run goes through run_secured. mcp 2.x here; the
    // mcp 1.x branch below.
    [
      "centerfield-visitor-mcp",
      "validate_configuration=visitor:read",
      "uv run centerfield-visitor-mcp",
      "centerfield_visitor_mcp/_compat.py",
      "        server = _ServerClass(name, **_http_kwargs(settings), **extra, **sdk_auth())\n    else:\n        server = _ServerClass(name, **extra, **sdk_auth())\n",
    ],
    // FastMCP 4.x made inside a function of server.py, run by a click command (--transport http, the value FastMCP
    // names) as mcp.run(transport="http") in __init__.py; uv with its lock. In-memory DuckDB needs no backend. Its
    // own pytest is red before add (its cloud and S3 tests reach MotherDuck and S3). execute_query is marked
    // destructive when writes are on (the check calls no destructive tool without being told), so list_tables, which
    // is not, gets a scope too for the 403 probes. With its defaults it does not
    // start (an in-memory database needs --read-write): the operator's environment says so (MCP_READ_WRITE, the
    // option's own variable), as a user following its README does; no flag of add.
    [
      "mcp-server-motherduck",
      "execute_query=db:query,list_tables=db:read",
      "uv run mcp-server-motherduck --transport http",
      "src/mcp_server_motherduck/server.py",
      "        icons=icons if icons else None,\n        auth=fastmcp_auth(),\n    )",
      undefined,
      { MCP_READ_WRITE: "true" },
    ],
    // The SDK's FastMCP 1.x at the root of a flat project (pyproject with hatch, and a requirements.txt), argparse
    // --transport with choices stdio/http/sse parsed in the __main__ block only, then main(transport) runs
    // app.run(transport='streamable-http') when it is "http"; its [project.scripts] entry calls main() without
    // argv (stdio), so the file is what starts it over HTTP. Its requires-python (>=3.6) cannot resolve with mcp
    // (>=3.10: uv sync fails on it as shipped) and it imports mcp.server.fastmcp (gone in mcp 2.x): the copy asks
    // for >=3.10 and pins mcp<2, its era.
    [
      "office-powerpoint-mcp-server",
      "get_presentation_info=ppt:read,get_server_info=ppt:read",
      "uv run python ppt_mcp_server.py --transport http",
      "ppt_mcp_server.py",
      "            run_secured(app, transport='streamable-http')\n",
      async (root) => {
        const file = path.join(root, "pyproject.toml");
        const text = (await readFile(file, "utf8")).replace('requires-python = ">=3.6"', 'requires-python = ">=3.10"');
        await writeFile(file, `${text}\n[tool.uv]\nconstraint-dependencies = ["mcp<2"]\n`);
      },
    ],
    // The SDK's low-level Server; its Streamable HTTP app built by a helper (`_build_http_app(session_manager)`:
    // Starlette with Mount("/mcp", app=session_manager.handle_request)), served by uvicorn.Config(starlette_app, ...)
    // and uvicorn.Server; the transport from a pydantic-settings field without prefix (TRANSPORT, default stdio).
    // Its tools call arXiv, which is not reachable here: each gets a scope (the check's calls without it are answered
    // 403 before the tool runs) and the operator's environment makes its client give up at once (ARXIV_MAX_RETRIES=0,
    // its own settings), so the scoped call ends in the tool's own error result, not a timeout.
    [
      "arxiv-mcp-server",
      ARXIV_TOOLS.map((t) => `${t}=arxiv:read`).join(","),
      "uv run arxiv-mcp-server",
      "src/arxiv_mcp_server/server.py",
      "    config = uvicorn.Config(\n        secure_asgi(starlette_app, mounted=True),\n",
      undefined,
      { ARXIV_MAX_RETRIES: "0", ARXIV_CONNECT_TIMEOUT: "3" },
    ],
  ];
  // Projects that configure none of ruff, mypy, pyright, pytest: --steps has nothing to run (steps: null).
  const noSteps = new Set(["mcp-weather-server", "office-powerpoint-mcp-server"]);
  for (const [name, scopes, start, edited, expected, prepare, env] of secured) {
    it(`${name}: secured with --scopes only, its own steps stay as they were, self-check passes; a second run changes nothing`, async () => {
      const root = await copyRealPython(name, work.dir);
      await prepare?.(root);
      const dry = await runCli(["add", root, "--dry-run", "--json"]);
      expect(dry.exitCode, dry.stderr).toBe(0);
      expect((JSON.parse(dry.stdout) as { detected: { start: string } }).detected.start).toBe(start);
      const options = env ? { env: cleanEnv(env) } : {};
      const run = await onPort8000(() => runCli(["add", root, "--yes", "--steps", "--json", "--scopes", scopes], options));
      const doc = JSON.parse(run.stdout) as {
        ok: boolean;
        check: { summary: { failed: number; passed: number } } | null;
        steps: { command: string; verdict: string }[] | null;
      };
      expect(doc.ok, run.stderr.slice(-4000)).toBe(true);
      expect(doc.check?.summary.failed).toBe(0);
      expect(doc.check?.summary.passed).toBeGreaterThan(30);
      expect((doc.steps ?? []).filter((st) => st.verdict === "broken by add")).toEqual([]);
      if (!noSteps.has(name)) expect(doc.steps?.length).toBeGreaterThan(0);
      expect(await readFile(path.join(root, edited), "utf8")).toContain(expected);
      const files = await snapshot(root);
      const again = await runCli(["add", root, "--yes", "--no-check", "--json", "--scopes", scopes], options);
      expect((JSON.parse(again.stdout) as { changed: boolean }).changed).toBe(false);
      expect(await snapshot(root)).toEqual(files);
      await stopLeftovers(root);
    }, 900_000);
  }

  it("centerfield-visitor-mcp on mcp 1.x (its other branch: FastMCP with the HTTP settings on the constructor): secured, self-check passes", async () => {
    const root = await copyRealPython("centerfield-visitor-mcp", work.dir);
    await appendFile(path.join(root, "pyproject.toml"), '\n[tool.uv]\nconstraint-dependencies = ["mcp<2"]\n');
    const run = await onPort8000(() => runCli(["add", root, "--yes", "--json", "--scopes", "validate_configuration=visitor:read"]));
    const doc = JSON.parse(run.stdout) as { ok: boolean; check: { summary: { failed: number; passed: number } } | null };
    expect(doc.ok, run.stderr.slice(-4000)).toBe(true);
    expect(doc.check?.summary.failed).toBe(0);
    expect(doc.check?.summary.passed).toBeGreaterThan(30);
    expect(await readFile(path.join(root, "uv.lock"), "utf8")).toMatch(/name = "mcp"\nversion = "1\./);
  }, 600_000);

  it("three more refused with their precise reason, nothing written: stdio, a FastMCP subclass with its own auth, the low-level Server over SSE", async () => {
    const cases: [string, RegExp][] = [
      [
        "mcp-server-calculator",
        /serves MCP over stdio only \(src\/mcp_server_calculator\/calculator\.py:52: mcp\.run\(\) without a transport: stdio\)/,
      ],
      [
        "mcp-clickhouse",
        /makes its MCP server from a FastMCP subclass of its own \(mcp_clickhouse\/mcp_server\.py:60: mcp = ClickHouseFastMCP\(\.\.\.\); mcp_clickhouse\/transport\.py:40: class ClickHouseFastMCP\(FastMCP\), which overrides http_app, sse_app, streamable_http_app, run_http_async\) that sets an auth of its own \(mcp_clickhouse\/transport\.py:79: self\.auth = app_auth\)/,
      ],
      [
        "mysql-mcp-server",
        /low-level Server \(src\/mysql_mcp_server\/server\.py:188\) and serves it over SSE or stdio only, not Streamable HTTP/,
      ],
    ];
    for (const [name, reason] of cases) {
      const root = await copyRealPython(name, work.dir);
      const before = await snapshot(root);
      const run = await runCli(["add", root, "--yes"]);
      expect(run.exitCode, name).toBe(2);
      expect(run.stderr.replace(/\n\s*/g, " ")).toMatch(reason);
      expect(run.stderr).toMatch(/Nothing was written/);
      expect(await snapshot(root)).toEqual(before);
    }
  });
});
