/**
 * A server built on the MCP SDK's low-level `Server` (mcp.server.lowlevel), read without running it: it has no
 * auth seam, so add secures the ASGI app that serves its Streamable HTTP transport (the official examples' shape:
 * a Starlette app routing to `StreamableHTTPSessionManager.handle_request`, served by `uvicorn.run(app)` or
 * `uvicorn.Config(app)`) by serving `secure_asgi(app)` instead. What it needs to know: the served call and the
 * app's argument in it, the endpoint's path (the route to the session manager), the port, how HTTP is chosen and
 * the tools (`Tool(name="...")` literals). When one of these cannot be read, `refusal` says which, precisely.
 */
import type { PyCall, PyFile, PyValue } from "./scan.js";

export interface LowlevelServer {
  file: string;
  line: number;
  /** The variable holding the server (`app`). */
  name: string;
  call: PyCall;
}

export interface LowlevelServing {
  /** The file with `uvicorn.run(app, ...)` / `uvicorn.Config(app, ...)`. */
  file: string;
  call: PyCall;
  /** The app's argument in that call (what add wraps), and whether it is already `secure_asgi(...)`. */
  app: PyValue;
  wrapped: boolean;
  /** The endpoint: the route to the session manager. */
  path: { path: string; from: string };
  /** That route is a Mount (Starlette routes it at the path with a slash, redirecting the path without one). */
  mounted: boolean;
  /** How the app was traced to the Streamable HTTP transport, for the report. */
  traced: string;
}

export const LOWLEVEL_WRAPPER = "secure_asgi";

const str = (v: PyValue | undefined): string | undefined => (typeof v?.literal === "string" ? v.literal : undefined);
const kw = (c: PyCall, name: string) => c.keywords.find((k) => k.name === name);

/** `Server(...)` imported from mcp.server.lowlevel (or mcp.server) and assigned to a name. */
export function lowlevelServers(files: PyFile[]): LowlevelServer[] {
  const out: LowlevelServer[] = [];
  for (const file of files) {
    const names = new Set(
      file.imports
        .filter((i) => i.module === "mcp.server.lowlevel" || i.module === "mcp.server" || i.module === "mcp.server.lowlevel.server")
        .flatMap((i) => i.names.filter((n) => n.name === "Server").map((n) => n.as ?? n.name)),
    );
    for (const call of file.calls)
      if (names.has(call.func) && call.target && !call.target.includes("."))
        out.push({ file: file.rel, line: call.line, name: call.target, call });
  }
  return out;
}

/** The route that hands requests to the session manager: `Mount("/mcp", app=handle_streamable_http)` and the like. */
function streamableRoute(file: PyFile, within?: { start: number; end: number }): { call: PyCall; path: string } | undefined {
  for (const call of file.calls) {
    if (!/(^|\.)(Mount|Route)$/.test(call.func)) continue;
    if (within && (call.start < within.start || call.end > within.end)) continue;
    const path = str(call.args[0]) ?? str(kw(call, "path"));
    const handler = [...call.args.slice(1), ...call.keywords.filter((k) => k.name === "app" || k.name === "endpoint")];
    // handle_streamable_http and the like, or the session manager's own `session_manager.handle_request`.
    if (path !== undefined && handler.some((h) => /streamable/i.test(h.text) || /(^|\.)handle_request$/.test(h.text)))
      return { call, path };
  }
  return undefined;
}

/**
 * The app served by uvicorn, traced back through its assignments in the same file to the Starlette app with the
 * streamable route (`x = Starlette(routes=[Mount("/mcp", app=handle_streamable_http)])`, `x = CORSMiddleware(x, ...)`),
 * or to a function of the project named for it (`x = create_streamable_http_app(server)`).
 */
function traceApp(
  file: PyFile,
  files: PyFile[],
  value: PyValue,
  before: number,
): { path: string; from: string; traced: string; mounted: boolean } | undefined {
  let name = /^[A-Za-z_]\w*$/.test(value.text) ? value.text : undefined;
  let at = before;
  const chain: string[] = [];
  for (let hops = 0; name && hops < 8; hops++) {
    const current = name;
    const assigned = file.calls.filter((c) => c.target === current && c.start < at).at(-1);
    if (!assigned) return undefined;
    chain.push(`${current} = ${assigned.func}(...) at ${file.rel}:${assigned.line}`);
    if (/(^|\.)Starlette$/.test(assigned.func)) {
      const route = streamableRoute(file, assigned);
      return route
        ? {
            path: route.path,
            from: `${route.call.func}(${JSON.stringify(route.path)}, ...) at ${file.rel}:${route.call.line}`,
            traced: chain.join(", "),
            mounted: /Mount$/.test(route.call.func),
          }
        : undefined;
    }
    const fnName = assigned.func.split(".").pop() as string;
    const projectFunction = files.find((f) => f.functions.some((fn) => fn.name === fnName));
    if (/streamable/i.test(assigned.func) || (projectFunction && /(^|_)http(_|$)/i.test(fnName))) {
      // A factory of the project (create_streamable_http_app, _build_http_app): its route, in the file that defines it.
      const defining = projectFunction ?? file;
      const route = streamableRoute(defining);
      return route
        ? {
            path: route.path,
            from: `${route.call.func}(${JSON.stringify(route.path)}, ...) at ${defining.rel}:${route.call.line}`,
            traced: chain.join(", "),
            mounted: /Mount$/.test(route.call.func),
          }
        : undefined;
    }
    // A wrapper of the same app (CORSMiddleware(app, ...)): follow it.
    name = assigned.args[0]?.text === current || kw(assigned, "app")?.text === current ? current : undefined;
    at = assigned.start;
  }
  return undefined;
}

/** `uvicorn.run(app, ...)` / `uvicorn.Config(app, ...)` serving the Streamable HTTP app, in the files that use the session manager. */
export function lowlevelServing(files: PyFile[]): LowlevelServing | undefined {
  for (const file of files) {
    if (!file.calls.some((c) => /(^|\.)StreamableHTTPSessionManager$/.test(c.func)) && !file.calls.some((c) => /streamable/i.test(c.func)))
      continue;
    for (const call of file.calls) {
      if (!/^uvicorn\.(run|Config)$/.test(call.func)) continue;
      const given = kw(call, "app") ?? call.args[0];
      if (!given) continue;
      const inner = new RegExp(`^${LOWLEVEL_WRAPPER}\\((\\w+)(?:, mounted=True)?\\)$`).exec(given.text);
      const value = inner ? { ...given, text: inner[1] as string } : given;
      const traced = traceApp(file, files, value, call.start);
      if (traced)
        return {
          file: file.rel,
          call,
          app: given,
          wrapped: Boolean(inner),
          path: { path: traced.path, from: traced.from },
          mounted: traced.mounted,
          traced: traced.traced,
        };
    }
  }
  return undefined;
}

/** Tools the server lists by literal name: `Tool(name="...")` / `types.Tool(name="...")`, Tool from mcp.types. */
export function lowlevelTools(files: PyFile[]): { name: string; file: string; line: number }[] {
  const tools: { name: string; file: string; line: number }[] = [];
  for (const file of files) {
    const funcs = new Set<string>();
    for (const i of file.imports) {
      if (i.from && i.module === "mcp.types") for (const n of i.names) if (n.name === "Tool") funcs.add(n.as ?? n.name);
      if (!i.from) for (const n of i.names) if (n.name === "mcp.types") funcs.add(`${n.as ?? n.name}.Tool`);
      if (i.from && i.module === "mcp") for (const n of i.names) if (n.name === "types") funcs.add(`${n.as ?? n.name}.Tool`);
    }
    for (const call of file.calls) {
      const name = str(kw(call, "name"));
      if (funcs.has(call.func) && name !== undefined) tools.push({ name, file: file.rel, line: call.line });
    }
  }
  return tools;
}

/**
 * How HTTP is chosen: a command-line option whose choices include streamable-http (`--mode`, `--transport`), the
 * value passed when it is not the default; none: the app is always served.
 */
export function lowlevelSelector(files: PyFile[]): { option: string; http: string; detail: string } | undefined {
  for (const file of files) {
    for (const call of file.calls) {
      if (!(call.func.endsWith("add_argument") || /(^|\.)option$/.test(call.func))) continue;
      const flag = call.args.map(str).find((a) => a?.startsWith("--"));
      const choices = kw(call, "choices")?.text ?? "";
      const http = /["'](streamable-http|streamable_http|http)["']/.exec(choices)?.[1];
      if (!flag || !http) continue;
      const fallback = str(kw(call, "default"));
      if (fallback === http) return undefined;
      return {
        option: flag,
        http,
        detail: `command-line option ${flag}${fallback !== undefined ? ` (default ${fallback})` : ""}, choices ${choices}, at ${file.rel}:${call.line}`,
      };
    }
  }
  return undefined;
}

/** The port: `PORT` read from the environment with a default, else a --port option's default, else a literal port=, else uvicorn's 8000. */
export function lowlevelPort(files: PyFile[], serving: LowlevelServing): { literal?: number; env?: string; fallback: number } {
  const file = files.find((f) => f.rel === serving.file) as PyFile;
  const given = kw(serving.call, "port");
  if (typeof given?.literal === "number") return { literal: given.literal, fallback: given.literal };
  const env = file.calls.find(
    (c) => ["os.getenv", "os.environ.get", "getenv", "environ.get"].includes(c.func) && /(^|_)PORT$/.test(str(c.args[0]) ?? ""),
  );
  const envDefault = env ? Number(env.args[1]?.literal ?? str(env.args[1])) : Number.NaN;
  // PORT is the variable the self-check and hosting platforms set; another name is left unset: its default is the port.
  if (env && Number.isInteger(envDefault) && envDefault > 0)
    return str(env.args[0]) === "PORT" ? { env: "PORT", fallback: envDefault } : { fallback: envDefault };
  for (const f of files) {
    const option = f.calls.find(
      (c) => (c.func.endsWith("add_argument") || /(^|\.)option$/.test(c.func)) && c.args.some((a) => str(a) === "--port"),
    );
    const fallback = option ? kw(option, "default")?.literal : undefined;
    if (typeof fallback === "number") return { fallback };
  }
  return { fallback: 8000 };
}
