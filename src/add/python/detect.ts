/**
 * What a Python MCP server project is, read without running it: its manager
 * and files (project.ts), the framework and its major, the module creating
 * the server, how the transport is chosen (a literal, an environment
 * variable, a command-line option), the HTTP path (the library's default when
 * none is given), a FastAPI / Starlette mount, the port and the tools.
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { MAX_SOURCE_BYTES, MAX_SOURCE_TOTAL, readText } from "../guard.js";
import { type LowlevelServing, lowlevelPort, lowlevelSelector, lowlevelServers, lowlevelServing, lowlevelTools } from "./lowlevel.js";
import { type PythonProjectFiles, pythonRunner, readPythonProject } from "./project.js";
import { type PyCall, type PyFile, type PyValue, scanPython } from "./scan.js";

export type PythonFramework = "fastmcp" | "mcp-sdk" | "mcp-lowlevel";

export interface PythonServerSite {
  file: string;
  line: number;
  /** The variable holding the server (`mcp`). */
  name: string;
  /** `FastMCP` or `MCPServer`, as imported; `Server`: the SDK's low-level server (lowlevel.ts). */
  kind: "FastMCP" | "MCPServer" | "Server";
  call: PyCall;
  /** The dotted module of the file (`pkg.server`), when it is inside a package. */
  module: string | null;
  /** The file's folder is a package (has __init__.py): imports into it are relative. */
  inPackage: boolean;
}

export interface PythonTransport {
  /** What the server serves: HTTP (Streamable HTTP), SSE, stdio, or an ASGI app someone else serves. */
  kind: "http" | "sse" | "stdio" | "asgi";
  /** How it is chosen. */
  how: "literal" | "env" | "argv" | "default" | "app";
  /** For env and argv: the variable or option, its default and the values that mean HTTP. */
  detail: string;
  /** The environment variable or option that selects it, and the value that means HTTP. */
  select?: { env?: string; option?: string; http: string };
  run?: PyCall;
  /** The option is parsed only in this module's `if __name__ == "__main__":` block: a [project.scripts] entry, which
   * calls a function of it, never reads argv, so the module is what starts the server over HTTP. */
  argvInMainOf?: { file: string; module: string | null };
}

export interface PythonDetection {
  root: string;
  project: PythonProjectFiles;
  framework: { name: PythonFramework; display: string; major: number | null; from: string } | null;
  server: PythonServerSite | null;
  transport: PythonTransport | null;
  /** `app.mount("/prefix", mcp.streamable_http_app())`: the app variable, the call (for the line after it). */
  mount: { file: string; line: number; prefix: string; text: string; app: string; call: PyCall; module: string | null } | null;
  endpoint: { path: string; from: string } | null;
  /** `option`: the command-line option whose default `fallback` is (`--port (main.py:16)`), when it is one's. */
  port: { literal?: number; env?: string; fallback: number; option?: string };
  tools: { name: string; file: string; line: number }[];
  start: { file: string; args: string[]; display: string } | null;
  files: PyFile[];
  parseErrors: string[];
  skipped: string[];
  /** The SDK's low-level Server (mcp.server.lowlevel), when that is what the project builds on. */
  lowlevel: { file: string; line: number } | null;
  /** Other constructions of the server's class assigned to the same name in the same file (`if ...: mcp = FastMCP(a) else: mcp = FastMCP(b)`). */
  alternatives: { file: string; line: number; call: PyCall }[];
  /**
   * FastMCP's `auth=` given a name the project sets from a function of its own declared to return None at times
   * (`auth_provider = build_provider(...)` with `-> Optional[...]`): an auth of its own that is off unless chosen.
   * add keeps it when chosen and puts its own in when it is not (`auth=auth_provider or fastmcp_auth()`).
   */
  optionalAuth: { value: string; detail: string } | null;
  /** The low-level Server's Streamable HTTP app and where uvicorn serves it (what add wraps), when it is read. */
  lowlevelServing: LowlevelServing | null;
  /**
   * No FastMCP(...) / MCPServer(...) made directly, but a subclass of the project's own made and assigned to a name
   * (`mcp = ClickHouseFastMCP(...)`, `class ClickHouseFastMCP(FastMCP)`): add refuses it, naming the class, the
   * methods it overrides and the auth it sets itself.
   */
  subclass: {
    file: string;
    line: number;
    name: string;
    cls: string;
    base: string;
    classFile: string;
    classLine: number;
    methods: string[];
    auth: { file: string; line: number; text: string }[];
  } | null;
  /** Where the server is run, when that is another module than the one making it (`from .server import mcp`, then
   * `mcp.run(...)` in __main__.py): the file and the name the server has there. */
  runElsewhere: { file: string; name: string } | null;
}

const SKIP_DIRS = new Set([
  ".git",
  ".venv",
  "venv",
  "env",
  ".env",
  "node_modules",
  "__pycache__",
  "build",
  "dist",
  ".tox",
  ".nox",
  ".mypy_cache",
  ".ruff_cache",
  ".pytest_cache",
  "site-packages",
  "docs",
]);
const MAX_FILES = 400;

/** The Python files add reads: the project's own, tests and virtual environments left out. */
export function listPythonFiles(root: string): { files: string[]; skipped: string[] } {
  const files: string[] = [];
  const skipped: string[] = [];
  let total = 0;
  const walk = (dir: string, rel: string, depth: number) => {
    if (depth > 8) return;
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (SKIP_DIRS.has(entry.name) || entry.name.startsWith(".") || /^tests?$/.test(entry.name) || entry.name.endsWith(".egg-info"))
          continue;
        walk(path.join(dir, entry.name), childRel, depth + 1);
      } else if (entry.isFile() && entry.name.endsWith(".py") && !/^test_|_test\.py$|^conftest\.py$/.test(entry.name)) {
        const size = statSync(path.join(dir, entry.name)).size;
        if (size > MAX_SOURCE_BYTES || total + size > MAX_SOURCE_TOTAL || files.length >= MAX_FILES) {
          skipped.push(`${childRel} was not read (add reads at most ${MAX_FILES} files, 1 MB each, 4 MB in all)`);
          continue;
        }
        total += size;
        files.push(childRel);
      }
    }
  };
  walk(root, "", 0);
  return { files, skipped };
}

/** Names bound to the server classes by imports: local name -> class and the module it came from. */
function serverBindings(file: PyFile): Map<string, { kind: "FastMCP" | "MCPServer"; module: string }> {
  const out = new Map<string, { kind: "FastMCP" | "MCPServer"; module: string }>();
  for (const imp of file.imports) {
    for (const { name, as } of imp.names) {
      const kind = name === "FastMCP" || name === "MCPServer" ? name : undefined;
      if (kind && (imp.module === "fastmcp" || imp.module.startsWith("fastmcp.") || imp.module.startsWith("mcp.server")))
        out.set(as ?? name, { kind, module: imp.module });
      // import fastmcp / import mcp.server.fastmcp as x: the class used through the module name
      if (!imp.from && (name === "fastmcp" || name.startsWith("mcp.server"))) {
        out.set(`${as ?? name}.FastMCP`, { kind: "FastMCP", module: name });
        out.set(`${as ?? name}.MCPServer`, { kind: "MCPServer", module: name });
      }
    }
  }
  return out;
}

function literalString(v: PyValue | undefined): string | undefined {
  return typeof v?.literal === "string" ? v.literal : undefined;
}
function keyword(call: PyCall, name: string): PyValue | undefined {
  return call.keywords.find((k) => k.name === name);
}

function majorOf(spec: string | undefined): number | null {
  const m = spec && /(?:==|>=|~=|\^|>|=)\s*v?(\d+)/.exec(spec);
  return m ? Number(m[1]) : null;
}

function moduleOf(rel: string, root: string): { module: string | null; inPackage: boolean } {
  const parts = rel.replace(/\.py$/, "").split("/");
  const exists = (dir: string) => {
    try {
      return statSync(path.join(root, dir, "__init__.py")).isFile();
    } catch {
      return false;
    }
  };
  const dirs = parts.slice(0, -1);
  if (dirs.length === 0 || !exists(dirs.join("/"))) return { module: null, inPackage: false };
  let first = dirs.length;
  while (first > 0 && exists(dirs.slice(0, first).join("/"))) first--;
  return { module: parts.slice(first).join("."), inPackage: true };
}

/** Where a non-literal transport argument comes from: an environment variable or a command-line option. */
function traceChoice(
  value: PyValue,
  file: PyFile,
  all: PyFile[],
): Pick<PythonTransport, "how" | "detail" | "select"> & { fallback?: string; choices?: string[] } {
  const name = value.name ?? value.text;
  const envCall = (c: PyCall) => c.func === "os.getenv" || c.func === "os.environ.get" || c.func === "getenv" || c.func === "environ.get";
  // transport = os.getenv("MCP_TRANSPORT", "stdio")  /  mcp.run(transport=os.getenv(...))
  const assigned = file.calls.find((c) => c.target === name && envCall(c));
  const inline = file.calls.find((c) => envCall(c) && c.start >= value.start && c.end <= value.end);
  const env = assigned ?? inline;
  if (env) {
    const variable = literalString(env.args[0]) ?? env.args[0]?.text ?? "?";
    const fallback = literalString(env.args[1]) ?? literalString(keyword(env, "default"));
    return {
      how: "env",
      detail: `environment variable ${variable}${fallback !== undefined ? ` (default ${fallback})` : " (no default)"}`,
      select: { env: variable, http: "" },
      ...(fallback !== undefined ? { fallback } : {}),
    };
  }
  // args.transport with parser.add_argument("--transport", default=...) / @click.option("--transport", ...)
  const attr = name.split(".").pop() ?? name;
  for (const f of all) {
    const option =
      f.calls.find(
        (c) => c.func.endsWith("add_argument") && c.args.some((a) => literalString(a)?.replace(/^-+/, "").replace(/-/g, "_") === attr),
      ) ??
      f.calls.find(
        (c) => /(^|\.)option$/.test(c.func) && c.args.some((a) => literalString(a)?.replace(/^-+/, "").replace(/-/g, "_") === attr),
      );
    if (option) {
      const flag = option.args.map(literalString).find((a) => a?.startsWith("--")) ?? `--${attr}`;
      const fallback = literalString(keyword(option, "default"));
      const choices = keyword(option, "choices")?.text;
      const envOption = literalString(keyword(option, "envvar"));
      // choices=["stdio", "streamable-http", "sse"]: the string literals of that list, when it is one.
      const listed = choices && /^\s*[[(]/.test(choices) ? [...choices.matchAll(/(["'])([\w-]+)\1/g)].map((m) => m[2] as string) : [];
      return {
        how: "argv",
        detail: `command-line option ${flag}${fallback !== undefined ? ` (default ${fallback})` : ""}${choices ? `, choices ${choices}` : ""}${envOption ? `, or ${envOption}` : ""}`,
        select: { option: flag, http: "" },
        ...(fallback !== undefined ? { fallback } : {}),
        ...(listed.length > 0 ? { choices: listed } : {}),
      };
    }
  }
  return { how: "literal", detail: `the expression ${value.text}` };
}

/** The environment variable (its name says TRANSPORT) or the --transport option that picks among literal run calls. */
function transportSelector(
  all: PyFile[],
  root?: string,
):
  | (Pick<PythonTransport, "how" | "detail"> & {
      select: { env?: string; option?: string };
      /** The option's choices (argparse choices=[...], click.Choice([...])), when it lists them. */
      choices?: string[];
      /** The option's call and file (where argv is parsed). */
      option?: { file: PyFile; call: PyCall };
    })
  | undefined {
  const envCall = (c: PyCall) => ["os.getenv", "os.environ.get", "getenv", "environ.get"].includes(c.func);
  for (const f of all) {
    const env = f.calls.find((c) => envCall(c) && /transport/i.test(literalString(c.args[0]) ?? ""));
    if (env) {
      const variable = literalString(env.args[0]) as string;
      const fallback = literalString(env.args[1]) ?? literalString(keyword(env, "default"));
      return {
        how: "env",
        detail: `environment variable ${variable}${fallback !== undefined ? ` (default ${fallback})` : " (no default)"}, read at ${f.rel}:${env.line}`,
        select: { env: variable },
      };
    }
  }
  for (const f of all) {
    const option = f.calls.find(
      (c) => (c.func.endsWith("add_argument") || /(^|\.)option$/.test(c.func)) && c.args.some((a) => literalString(a) === "--transport"),
    );
    if (option) {
      const fallback = literalString(keyword(option, "default"));
      // choices=["stdio", "http", "sse"] (argparse) or type=click.Choice([...]): the string literals of that list.
      const listed = keyword(option, "choices") ?? keyword(option, "type");
      const choices =
        listed && /^(click\.)?(Choice\()?\s*[[(]/.test(listed.text)
          ? [...listed.text.matchAll(/(["'])([\w-]+)\1/g)].map((m) => m[2] as string)
          : [];
      return {
        how: "argv",
        detail: `command-line option --transport${fallback !== undefined ? ` (default ${fallback})` : ""}, at ${f.rel}:${option.line}`,
        select: { option: "--transport" },
        ...(choices.length > 0 ? { choices } : {}),
        option: { file: f, call: option },
      };
    }
  }
  // pydantic-settings: a `transport` field of a settings class (`SettingsConfigDict(env_prefix="CF_")`, or without a
  // prefix) is read from <prefix>TRANSPORT (pydantic-settings matches names without regard to case).
  for (const f of root === undefined ? [] : all) {
    const config = f.calls.find(
      (c) =>
        /(^|\.)SettingsConfigDict$/.test(c.func) && (!keyword(c, "env_prefix") || literalString(keyword(c, "env_prefix")) !== undefined),
    );
    if (!config) continue;
    const text = readText(root as string, f.rel) ?? "";
    const field = /^[ \t]+transport[ \t]*:[^=\n]*=[ \t]*["']([\w-]+)["']/im.exec(text);
    if (!field) continue;
    const prefix = literalString(keyword(config, "env_prefix")) ?? "";
    const variable = `${prefix.toUpperCase()}TRANSPORT`;
    return {
      how: "env",
      detail: `environment variable ${variable} (default ${field[1]}): the transport field of the settings at ${f.rel}:${config.line}${prefix ? `, env_prefix ${JSON.stringify(prefix)}` : ""}`,
      select: { env: variable },
    };
  }
  return undefined;
}

/** The value meaning HTTP for a traced choice: `preferred` unless the option lists choices without it (then the one naming HTTP). */
function httpChoice(preferred: string, choices: string[] | undefined): string {
  if (!choices?.length || choices.includes(preferred)) return preferred;
  return choices.find((c) => kindOf(c) === "http") ?? preferred;
}

/** The call is inside the file's `if __name__ == "__main__":` block. */
function inMainGuard(f: PyFile, c: PyCall): boolean {
  return f.mainGuardSpan !== undefined && c.start >= f.mainGuardSpan[0] && c.end <= f.mainGuardSpan[1];
}

const HTTP_NAMES = ["http", "streamable-http", "streamable_http"];

function kindOf(value: string | undefined): PythonTransport["kind"] | undefined {
  if (value === undefined) return undefined;
  if (HTTP_NAMES.includes(value)) return "http";
  if (value === "sse") return "sse";
  if (value === "stdio") return "stdio";
  return undefined;
}

export async function detectPython(root: string, entry?: string): Promise<PythonDetection> {
  const project = readPythonProject(root);
  const listing = listPythonFiles(root);
  const wanted = entry ? [entry, ...listing.files.filter((f) => f !== entry)] : listing.files;
  const files = await scanPython(root, wanted);
  const parseErrors = files.filter((f) => f.error).map((f) => `${f.rel}: ${f.error}`);

  // The server: FastMCP(...) / MCPServer(...) assigned to a name; the --entry file's first, else the first found.
  let server: PythonServerSite | null = null;
  let bindingModule = "";
  let alternatives: PythonDetection["alternatives"] = [];
  // The module a [project.scripts] entry runs first (its server is the one the project starts), then the rest.
  const scriptModules = Object.values(project.scripts).map((target) => target.split(":")[0]);
  const ordered = [...files].sort((a, b) => rank(a) - rank(b));
  function rank(f: PyFile): number {
    if (entry && f.rel === entry) return -1;
    const module = moduleOf(f.rel, root).module ?? f.rel.replace(/\.py$/, "").replace(/\//g, ".");
    const i = scriptModules.indexOf(module);
    return i === -1 ? scriptModules.length : i;
  }
  for (const file of ordered) {
    const bindings = serverBindings(file);
    for (const call of file.calls) {
      const binding = bindings.get(call.func);
      if (!binding || !call.target || call.target.includes(".")) continue;
      server = { file: file.rel, line: call.line, name: call.target, kind: binding.kind, call, ...moduleOf(file.rel, root) };
      bindingModule = binding.module;
      const first = call;
      alternatives = file.calls
        .filter((c) => c !== first && bindings.has(c.func) && c.target === first.target)
        .map((c) => ({ file: file.rel, line: c.line, call: c }));
      break;
    }
    if (server) break;
  }

  const subclass = server ? null : subclassServer(files);

  let framework: PythonDetection["framework"] = null;
  if (server) {
    if (bindingModule === "fastmcp" || bindingModule.startsWith("fastmcp.")) {
      const spec = project.declared.get("fastmcp");
      const major = majorOf(spec);
      framework = { name: "fastmcp", display: "FastMCP", major, from: `from ${bindingModule} import ${server.kind}` };
    } else {
      const spec = project.declared.get("mcp");
      const major = server.kind === "MCPServer" ? 2 : (majorOf(spec) ?? 1);
      framework = {
        name: "mcp-sdk",
        display: `the official MCP SDK's ${server.kind}`,
        major,
        from: `from ${bindingModule} import ${server.kind}`,
      };
    }
  }

  const serverFile = server ? (files.find((f) => f.rel === server.file) as PyFile) : undefined;
  const optionalAuth = server && serverFile && framework?.name === "fastmcp" ? optionalAuthOf(server, serverFile) : null;
  const on = (suffix: string) => (c: PyCall) => server !== null && c.func === `${server.name}.${suffix}`;
  // A server made by a factory function of the same file (`mcp_server = create_server(...)`; `mcp_server.run(...)`).
  const factoryNames = new Set(
    serverFile
      ? serverFile.calls
          .filter((c) => c.target && !c.target.includes(".") && serverFile.functions.some((f) => f.name === c.func))
          .map((c) => c.target as string)
      : [],
  );
  // mcp.run(...), or run_secured(mcp, ...) as add writes it for the official SDK (its arguments after the server).
  let runCalls: PyCall[] = serverFile
    ? [
        ...serverFile.calls.filter(on("run")),
        ...(serverFile.calls.some(on("run"))
          ? []
          : serverFile.calls.filter((c) => factoryNames.has(c.func.replace(/\.run$/, "")) && c.func.endsWith(".run"))),
        ...serverFile.calls
          .filter((c) => c.func === "run_secured" && server !== null && c.args[0]?.name === server.name)
          .map((c) => ({ ...c, args: c.args.slice(1) })),
      ]
    : [];
  // The server run from another module: made by a factory of the server's module (`server = create_server(...)` then
  // `server.run(...)` in __main__.py), or imported from it as it is (`from .server import mcp`, then `mcp.run(...)`).
  // The constructor's auth covers every run (FastMCP's auth=, the SDK's **sdk_auth()); the SDK's runs there go
  // through run_secured, imported into that module.
  let runFile = serverFile;
  let runName = server?.name ?? "";
  if (runCalls.length === 0 && serverFile && server && (framework?.name === "fastmcp" || framework?.name === "mcp-sdk")) {
    const factories = new Set(serverFile.functions.map((f) => f.name));
    for (const f of files) {
      if (f === serverFile) continue;
      const fromServer = f.imports.filter(
        (i) => i.from && (i.module === server.module || (i.level > 0 && server.module?.endsWith(`.${i.module}`))),
      );
      const imported = new Set(fromServer.flatMap((i) => i.names.filter((n) => factories.has(n.name)).map((n) => n.as ?? n.name)));
      const made = new Set(
        f.calls.filter((c) => c.target && !c.target.includes(".") && imported.has(c.func)).map((c) => c.target as string),
      );
      for (const i of fromServer) for (const n of i.names) if (n.name === server.name) made.add(n.as ?? n.name);
      const direct = f.calls.filter((c) => c.func.endsWith(".run") && made.has(c.func.slice(0, -".run".length)));
      const secured = f.calls.filter((c) => c.func === "run_secured" && made.has(c.args[0]?.name ?? ""));
      if (direct.length + secured.length > 0) {
        runCalls = [...direct, ...secured.map((c) => ({ ...c, args: c.args.slice(1) }))];
        runFile = f;
        runName = direct[0]?.func.slice(0, -".run".length) ?? (secured[0]?.args[0]?.name as string);
        break;
      }
    }
  }
  const appCalls = files.flatMap((f) =>
    f.calls
      .filter((c) => server && /\.(http_app|streamable_http_app|sse_app)$/.test(c.func) && c.func.startsWith(`${server.name}.`))
      .map((c) => ({ f, c })),
  );
  // app.mount("/mcp", mcp.streamable_http_app()), or the server's app made first and mounted by its name in the same
  // file (`mcp_app = mcp.http_app(path="/mcp")`, then `app.mount("/analytics", mcp_app)`: FastMCP's FastAPI guide).
  const appNames = (f: PyFile) =>
    new Set(appCalls.filter((a) => a.f === f && a.c.target && !a.c.target.includes(".")).map((a) => a.c.target));
  const mountCall = files
    .flatMap((f) =>
      f.calls
        .filter(
          (c) =>
            /\.mount$/.test(c.func) &&
            c.args.some((a) => server && (a.text.startsWith(`${server.name}.`) || (a.name !== undefined && appNames(f).has(a.name)))),
        )
        .map((c) => ({ f, c })),
    )
    .at(0);

  // Transport: a run call (literal, env, argv, or the default: stdio), else an ASGI app served by someone else.
  let transport: PythonTransport | null = null;
  // Of several run calls (if/else on the transport), the one that can serve HTTP: a non-literal or an HTTP literal.
  const transportArg = (c: PyCall) => keyword(c, "transport") ?? c.args[0];
  const run =
    runCalls.find((c) => {
      const arg = transportArg(c);
      return arg !== undefined && (literalString(arg) === undefined || kindOf(literalString(arg)) === "http");
    }) ??
    runCalls.find((c) => kindOf(literalString(transportArg(c))) === "sse") ??
    runCalls.at(-1);
  // if/elif on the transport with one literal run per value (`if t == "stdio": mcp.run(transport="stdio") elif ...`):
  // the choice is made before, by an environment variable or a command-line option named for the transport.
  const literalKinds = new Set(runCalls.map((c) => kindOf(literalString(transportArg(c)))).filter((k) => k !== undefined));
  const dispatch = run && literalKinds.size > 1 && literalKinds.has("http") ? transportSelector(files, root) : undefined;
  if (run && runFile && dispatch) {
    // The value the option takes for HTTP: the run's literal, or of the option's choices the one naming HTTP when the
    // branch maps another name to it (`choices=["stdio", "http", "sse"]`, then `if transport == "http": mcp.run(transport="streamable-http")`).
    const literal = literalString(transportArg(run)) as string;
    const value =
      dispatch.choices && !dispatch.choices.includes(literal) ? (dispatch.choices.find((c) => kindOf(c) === "http") ?? literal) : literal;
    transport = {
      kind: "http",
      how: dispatch.how,
      detail: `${dispatch.detail}; ${run.func}(transport=${transportArg(run)?.text}) at ${runFile.rel}:${run.line} when it is ${value}`,
      select: { ...dispatch.select, http: value },
      run,
      ...(dispatch.option && inMainGuard(dispatch.option.file, dispatch.option.call)
        ? { argvInMainOf: { file: dispatch.option.file.rel, module: moduleOf(dispatch.option.file.rel, root).module } }
        : {}),
    };
  } else if (run && runFile) {
    const arg = keyword(run, "transport") ?? run.args[0];
    if (!arg) transport = { kind: "stdio", how: "default", detail: `${server?.name}.run() without a transport: stdio`, run };
    else if (literalString(arg) !== undefined) {
      const value = literalString(arg) as string;
      transport = { kind: kindOf(value) ?? "stdio", how: "literal", detail: `${server?.name}.run(transport=${arg.text})`, run };
    } else {
      const traced = traceChoice(arg, runFile, files);
      const httpValue = httpChoice(
        server?.kind === "MCPServer" || framework?.name === "mcp-sdk" ? "streamable-http" : "http",
        traced.choices,
      );
      transport = {
        kind: traced.how === "literal" ? "http" : (kindOf(traced.fallback) ?? "http"),
        how: traced.how,
        detail: traced.detail,
        ...(traced.select ? { select: { ...traced.select, http: httpValue } } : {}),
        run,
      };
      // Chosen at start: HTTP is one of the choices, which is what add secures.
      if (traced.how !== "literal") transport.kind = "http";
    }
  }
  // FastMCP's own app, served by the project (`uvicorn.run(mcp.http_app(transport=...))`, not mounted): FastMCP puts
  // the server's auth= on that app itself, so it is wired as a run is; its transport argument (default http) as run's.
  const servedApp =
    framework?.name === "fastmcp" && !mountCall && serverFile && (!transport || transport.kind === "stdio")
      ? appCalls.find(({ c }) => c.func === `${server?.name}.http_app`)
      : undefined;
  if (servedApp) {
    const arg = keyword(servedApp.c, "transport");
    const value = literalString(arg);
    if (!arg || value !== undefined) {
      if (kindOf(value ?? "http") === "http")
        transport = {
          kind: "http",
          how: "literal",
          detail: `${servedApp.c.func}(${arg ? `transport=${arg.text}` : ""}) at ${servedApp.f.rel}:${servedApp.c.line}, served by the project`,
          run: servedApp.c,
        };
    } else {
      const traced = traceChoice(arg, servedApp.f, files);
      transport = {
        kind: "http",
        how: traced.how,
        detail: `${traced.detail}; ${servedApp.c.func}(transport=${arg.text}) at ${servedApp.f.rel}:${servedApp.c.line}, served by the project`,
        ...(traced.select ? { select: { ...traced.select, http: httpChoice("http", traced.choices) } } : {}),
        run: servedApp.c,
      };
    }
  }
  if (appCalls.length > 0 && (!transport || transport.kind === "stdio")) {
    const { f, c } = appCalls[0] as { f: PyFile; c: PyCall };
    transport = {
      kind: "asgi",
      how: "app",
      detail: `${c.func}() at ${f.rel}:${c.line}, served by the project's ASGI server`,
      ...(transport?.run ? {} : {}),
    };
  }

  // The SDK's apps merged into a Starlette app of the project's own (`app = Starlette(routes=[*sse_app.routes,
  // *http_app.routes])`, then `uvicorn.run(app)`): wired as a mount at the root is, secure_app(app) after it. FastMCP's
  // http_app carries its auth as app middleware, which its merged routes would leave behind: the SDK's only.
  const merged =
    !mountCall && framework?.name === "mcp-sdk" && appCalls.length > 0 && transport?.kind === "asgi" ? mergedApp(appCalls) : undefined;
  const mergedSelect = merged ? transportSelector(files) : undefined;
  if (merged) {
    transport = {
      kind: "http",
      how: mergedSelect?.how ?? "literal",
      detail: `${mergedSelect ? `${mergedSelect.detail}; ` : ""}the SDK's apps (${appCalls.map((a) => `${a.c.func}()`).join(", ")}) merged into ${merged.c.target} = Starlette(...) at ${merged.f.rel}:${merged.c.line}, served by uvicorn.run(${merged.c.target}) at ${merged.f.rel}:${merged.run.line}`,
      ...(mergedSelect ? { select: { ...mergedSelect.select, http: "streamable-http" } } : {}),
    };
  }

  // The HTTP path: path= on run / http_app, the SDK's streamable_http_path, else the library default /mcp; under a mount prefix.
  let endpoint: PythonDetection["endpoint"] = null;
  if (server && transport && transport.kind !== "stdio") {
    const sources: PyCall[] = [...(run ? [run] : []), ...appCalls.map((a) => a.c), server.call];
    let inner: { path: string; from: string } | undefined;
    for (const call of sources) {
      const p = literalString(keyword(call, "path")) ?? literalString(keyword(call, "streamable_http_path"));
      if (p !== undefined) {
        inner = {
          path: p,
          from: `${call.func}(${keyword(call, "path") ? "path" : "streamable_http_path"}=...) at ${server.file}:${call.line}`,
        };
        break;
      }
    }
    inner ??= { path: "/mcp", from: `${framework?.display ?? "the library"}'s default` };
    if (mountCall) {
      const prefix = literalString(mountCall.c.args[0]) ?? "";
      const joined = `${prefix.replace(/\/$/, "")}${inner.path === "/" ? "" : inner.path}` || "/";
      endpoint = {
        path: joined,
        from: `mounted at ${JSON.stringify(prefix)} (${mountCall.f.rel}:${mountCall.c.line}) + ${inner.path} (${inner.from})`,
      };
    } else endpoint = inner;
  }

  // The port: port= on run (a literal or an environment variable), else the library's default 8000.
  const port: PythonDetection["port"] = { fallback: 8000 };
  const portCall = run && keyword(run, "port") ? run : server && keyword(server.call, "port") ? server.call : run;
  if (portCall && runFile) {
    const p = keyword(portCall, "port");
    if (typeof p?.literal === "number") {
      port.literal = p.literal;
      port.fallback = p.literal;
    } else if (p) {
      const env = runFile.calls.find(
        (c) => (c.func === "os.getenv" || c.func === "os.environ.get") && c.start >= p.start && c.end <= p.end,
      );
      const assigned = runFile.calls.find((c) => c.target === p.name && (c.func === "os.getenv" || c.func === "os.environ.get"));
      const read = env ?? assigned;
      const attr = p.name?.split(".").pop();
      const isOption = (c: PyCall) => c.func.endsWith("add_argument") && c.args.some((a) => literalString(a) === `--${attr}`);
      const optionFile = attr ? files.find((f) => f.calls.some(isOption)) : undefined;
      const option = optionFile?.calls.find(isOption);
      if (!read && optionFile && option && typeof keyword(option, "default")?.literal === "number") {
        port.fallback = keyword(option, "default")?.literal as number;
        port.option = `--${attr} (${optionFile.rel}:${option.line})`;
      }
      if (read) {
        port.env = literalString(read.args[0]);
        const fallback = Number(read.args[1]?.literal);
        if (Number.isInteger(fallback) && fallback > 0) port.fallback = fallback;
      }
    }
  }

  // No port= given: `mcp.settings.port = int(os.environ.get("MCP_HTTP_PORT", "3000"))` where it runs (the SDK's
  // FastMCP reads its settings when run) sets it from that variable.
  if (port.literal === undefined && port.env === undefined && runFile) {
    const envRead = (c: PyCall) => ["os.getenv", "os.environ.get", "getenv", "environ.get"].includes(c.func);
    const set = runFile.calls.find((c) => c.target === `${runName}.settings.port`);
    const read = set && (envRead(set) ? set : runFile.calls.find((c) => envRead(c) && c.start >= set.start && c.end <= set.end));
    const variable = read && literalString(read.args[0]);
    if (read && variable) {
      port.env = variable;
      const fallback = Number(read.args[1]?.literal ?? literalString(keyword(read, "default")));
      if (Number.isInteger(fallback) && fallback > 0) port.fallback = fallback;
    }
  }

  // No port= given: a --port option of the server's module (argparse or click, `mcp.settings.port = port`) sets it.
  if (port.literal === undefined && port.env === undefined) {
    const option = runFile?.calls.find(
      (c) => (c.func.endsWith("add_argument") || /(^|\.)option$/.test(c.func)) && c.args.some((a) => literalString(a) === "--port"),
    );
    const fallback = option ? keyword(option, "default")?.literal : undefined;
    if (typeof fallback === "number" && option && runFile) {
      port.fallback = fallback;
      port.option = `--port (${runFile.rel}:${option.line})`;
    }
  }

  // Tools: @mcp.tool / @mcp.tool() / @mcp.tool(name="x"), mcp.add_tool(fn) and mcp.tool(...)(fn); `mcp` the server's
  // name, or the name another module gives what a factory of the server's module returns (`mcp = create_server()`).
  const tools: PythonDetection["tools"] = [];
  if (server) {
    const made = (f: PyFile) => {
      const names = new Set([server.name]);
      if (f === serverFile || !serverFile) return names;
      const factories = new Set(serverFile.functions.map((fn) => fn.name));
      const imported = new Set(
        f.imports
          .filter((i) => i.from && (i.module === server.module || (i.level > 0 && server.module?.endsWith(`.${i.module}`))))
          .flatMap((i) => i.names.filter((n) => factories.has(n.name)).map((n) => n.as ?? n.name)),
      );
      for (const c of f.calls) if (c.target && !c.target.includes(".") && imported.has(c.func)) names.add(c.target);
      return names;
    };
    for (const file of files) {
      const names = made(file);
      for (const call of file.calls) {
        // mcp.tool(description=...)(fn): the outer call's callee is the inner call, read as mcp.tool, its argument the function.
        const named = keyword(call, "name");
        if (
          names.has(call.func.replace(/\.tool$/, "")) &&
          call.func.endsWith(".tool") &&
          call.args[0]?.name &&
          (!named || literalString(named))
        )
          tools.push({ name: literalString(named) ?? (call.args[0].name.split(".").pop() as string), file: file.rel, line: call.line });
      }
      for (const fn of file.functions) {
        for (const dec of fn.decorators) {
          if (!dec.func.endsWith(".tool") || !names.has(dec.func.slice(0, -".tool".length))) continue;
          const name = literalString(dec.keywords.find((k) => k.name === "name")) ?? literalString(dec.args[0]) ?? fn.name;
          tools.push({ name, file: file.rel, line: fn.line });
        }
      }
      for (const call of file.calls) {
        if (call.func === `${server.name}.add_tool` && call.args[0]?.name)
          tools.push({
            name: literalString(keyword(call, "name")) ?? (call.args[0].name.split(".").pop() as string),
            file: file.rel,
            line: call.line,
          });
      }
    }
  }

  const lowlevel = lowlevelServer(files);
  if (!server && lowlevel) return { ...detectLowlevel(root, project, files, entry), parseErrors, skipped: listing.skipped, lowlevel };
  return {
    root,
    project,
    framework,
    server,
    transport,
    mount: merged
      ? {
          file: merged.f.rel,
          line: merged.c.line,
          prefix: "",
          text: merged.c.func,
          app: merged.c.target as string,
          call: merged.c,
          module: moduleOf(merged.f.rel, root).module ?? merged.f.rel.replace(/\.py$/, "").replace(/\//g, "."),
        }
      : mountCall
        ? {
            file: mountCall.f.rel,
            line: mountCall.c.line,
            prefix: literalString(mountCall.c.args[0]) ?? "",
            text: mountCall.c.func,
            app: mountCall.c.func.replace(/\.mount$/, ""),
            call: mountCall.c,
            module: moduleOf(mountCall.f.rel, root).module ?? mountCall.f.rel.replace(/\.py$/, "").replace(/\//g, "."),
          }
        : null,
    endpoint,
    port,
    tools,
    start: startCommand(project, server, serverFile, transport, mountCall ? { f: mountCall.f, c: mountCall.c, root } : undefined),
    files,
    parseErrors,
    skipped: listing.skipped,
    lowlevel,
    alternatives,
    optionalAuth,
    lowlevelServing: null,
    runElsewhere: runFile && runFile !== serverFile ? { file: runFile.rel, name: runName } : null,
    subclass,
  };
}

/** A subclass of FastMCP or MCPServer defined in the project, constructed and assigned to a name somewhere in it. */
function subclassServer(files: PyFile[]): PythonDetection["subclass"] {
  const classes = new Map<string, { f: PyFile; cls: import("./scan.js").PyClass; base: string }>();
  for (const f of files) {
    const bindings = serverBindings(f);
    for (const cls of f.classes ?? []) {
      const base = cls.bases.find((b) => bindings.has(b));
      if (base) classes.set(cls.name, { f, cls, base: bindings.get(base)?.kind ?? base });
    }
  }
  if (classes.size === 0) return null;
  for (const f of files) {
    // The class by its own name in its file, or imported under a name (`from .transport import X as Y`).
    const local = new Map<string, string>();
    for (const name of classes.keys()) if (classes.get(name)?.f === f) local.set(name, name);
    for (const imp of f.imports) for (const n of imp.names) if (imp.from && classes.has(n.name)) local.set(n.as ?? n.name, n.name);
    const call = f.calls.find((c) => c.target && !c.target.includes(".") && local.has(c.func));
    if (!call) continue;
    const found = classes.get(local.get(call.func) as string)!;
    return {
      file: f.rel,
      line: call.line,
      name: call.target as string,
      cls: found.cls.name,
      base: found.base,
      classFile: found.f.rel,
      classLine: found.cls.line,
      methods: found.cls.methods,
      auth: found.cls.auth.map((a) => ({ file: found.f.rel, ...a })),
    };
  }
  return null;
}

/**
 * A project on the SDK's low-level Server: read as a server whose Streamable HTTP app uvicorn serves (lowlevel.ts);
 * when that app is not found, the server stays unset and add refuses, naming what it found instead.
 */
function detectLowlevel(
  root: string,
  project: PythonProjectFiles,
  files: PyFile[],
  entry: string | undefined,
): Omit<PythonDetection, "parseErrors" | "skipped" | "lowlevel"> {
  const serving = lowlevelServing(entry ? [...files.filter((f) => f.rel === entry), ...files.filter((f) => f.rel !== entry)] : files);
  const servers = lowlevelServers(files);
  const site = servers.find((s) => s.file === serving?.file) ?? servers[0];
  const none = {
    root,
    project,
    framework: null,
    server: null,
    transport: null,
    mount: null,
    endpoint: null,
    port: { fallback: 8000 },
    tools: [],
    start: null,
    files,
    alternatives: [],
    optionalAuth: null,
    lowlevelServing: null,
    runElsewhere: null,
    subclass: null,
  };
  if (!serving || !site) return none;
  const server: PythonServerSite = {
    file: site.file,
    line: site.line,
    name: site.name,
    kind: "Server",
    call: site.call,
    ...moduleOf(site.file, root),
  };
  const selector = lowlevelSelector(files);
  // No option lists streamable-http among its choices: an environment variable or settings field named for the
  // transport (`TRANSPORT: str = "stdio"` of pydantic-settings), which the served app's branch is chosen by.
  const chosen = selector ? undefined : transportSelector(files, root);
  const transport: PythonTransport = selector
    ? {
        kind: "http",
        how: "argv",
        detail: `${selector.detail}; its Streamable HTTP app served at ${serving.file}:${serving.call.line} (${serving.traced})`,
        select: { option: selector.option, http: selector.http },
      }
    : chosen
      ? {
          kind: "http",
          how: chosen.how,
          detail: `${chosen.detail}; its Streamable HTTP app served at ${serving.file}:${serving.call.line} (${serving.traced})`,
          select: { ...chosen.select, http: "streamable-http" },
        }
      : {
          kind: "http",
          how: "literal",
          detail: `${serving.call.func}(${serving.app.text}, ...) at ${serving.file}:${serving.call.line} (${serving.traced})`,
        };
  const serverFile = files.find((f) => f.rel === site.file);
  return {
    ...none,
    framework: {
      name: "mcp-lowlevel",
      display: "the official MCP SDK's low-level Server",
      major: majorOf(project.declared.get("mcp")) ?? 1,
      from: "from mcp.server.lowlevel import Server",
    },
    server,
    transport,
    endpoint: serving.path,
    port: lowlevelPort(files, serving),
    tools: lowlevelTools(files),
    start: startCommand(project, server, serverFile, transport),
    lowlevelServing: serving,
  };
}

/** The server's `auth=` when it is a name set from the project's own function declared to return None at times. */
function optionalAuthOf(server: PythonServerSite, file: PyFile): PythonDetection["optionalAuth"] {
  // A keyword's `name` is the keyword's own (auth); its value's text is the name it is given.
  const value = keyword(server.call, "auth")?.text.replace(/ or fastmcp_auth\(\)$/, "");
  if (!value || !/^[A-Za-z_]\w*$/.test(value)) return null;
  const assigned = file.calls.filter((c) => c.target === value && c.start < server.call.start).at(-1);
  const fn = assigned && file.functions.find((f) => f.name === assigned.func);
  const optional = /^Optional\[|\|\s*None\b|\bNone\s*\|/;
  if (!assigned || !fn?.returns || !optional.test(fn.returns)) return null;
  return {
    value,
    detail: `${file.rel}:${assigned.line}: ${value} = ${assigned.func}(...), which returns ${fn.returns}`,
  };
}

/** The project's own Starlette app, made after the SDK's apps in their file and served there by uvicorn.run. */
function mergedApp(appCalls: { f: PyFile; c: PyCall }[]): { f: PyFile; c: PyCall; run: PyCall } | undefined {
  const { f, c: first } = appCalls[0] as { f: PyFile; c: PyCall };
  if (appCalls.some((a) => a.f !== f)) return undefined;
  for (const c of f.calls) {
    if (!/(^|\.)Starlette$/.test(c.func) || !c.target || c.target.includes(".") || c.start < first.end) continue;
    const run = f.calls.find(
      (u) =>
        u.func === "uvicorn.run" && u.start > c.end && (u.args[0]?.text ?? u.keywords.find((k) => k.name === "app")?.text) === c.target,
    );
    if (run) return { f, c, run };
  }
  return undefined;
}

/** `Server(...)` imported from mcp.server.lowlevel (or mcp.server): the SDK's low-level server. */
function lowlevelServer(files: PyFile[]): PythonDetection["lowlevel"] {
  for (const file of files) {
    const names = new Set(
      file.imports
        .filter((i) => i.module === "mcp.server.lowlevel" || i.module === "mcp.server")
        .flatMap((i) => i.names.filter((n) => n.name === "Server").map((n) => n.as ?? n.name)),
    );
    const call = file.calls.find((c) => names.has(c.func));
    if (call) return { file: file.rel, line: call.line };
  }
  return null;
}

/** How the project starts its server: a [project.scripts] entry, else the module or file with a __main__ guard. */
function startCommand(
  project: PythonProjectFiles,
  server: PythonServerSite | null,
  serverFile: PyFile | undefined,
  transport: PythonTransport | null,
  mount?: { f: PyFile; c: PyCall; root: string },
): PythonDetection["start"] {
  if (!server) return null;
  // An app with the server mounted in it, and no __main__ block: uvicorn serves it (its default port, 8000).
  if (mount && !mount.f.mainGuard && !Object.keys(project.scripts).length) {
    const module = moduleOf(mount.f.rel, mount.root).module ?? mount.f.rel.replace(/\.py$/, "").replace(/\//g, ".");
    const app = mount.c.func.replace(/\.mount$/, "");
    const runner = pythonRunner(project.manager);
    const command = [...(runner.length ? [...runner, "python"] : [".venv/bin/python"]), "-m", "uvicorn", `${module}:${app}`];
    const [file, ...args] = command as [string, ...string[]];
    return { file, args, display: command.join(" ") };
  }
  const argv = transport?.how === "argv" && transport.select?.option ? [transport.select.option, transport.select.http] : [];
  const runner = pythonRunner(project.manager);
  const script =
    Object.entries(project.scripts).find(([, target]) => server.module !== null && target.split(":")[0] === server.module) ??
    Object.entries(project.scripts)[0];
  let command: string[] | undefined;
  const python = runner.length > 0 ? [...runner, "python"] : [".venv/bin/python"];
  /** The module run as a script: `python -m module ...`, or the file when it is no module. */
  const asScript = (target: { module: string | null; file: string }) =>
    target.module ? [...python, "-m", target.module, ...argv] : [...python, target.file, ...argv];
  const scriptOnly = transport?.argvInMainOf;
  // The transport option is read only when its module runs as a script (`python -m module --transport http`).
  if (scriptOnly && argv.length > 0) command = asScript(scriptOnly);
  else if (script && runner.length > 0) command = [...runner, script[0], ...argv];
  else if (serverFile?.mainGuard) command = asScript(server);
  if (!command) return null;
  const [file, ...args] = command as [string, ...string[]];
  return { file, args, display: command.join(" ") };
}
