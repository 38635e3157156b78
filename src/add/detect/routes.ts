/** The app's routes, which of them serve MCP, and fastmcp's start call: where the MCP endpoint is. */
import { lineOf, memberPath, type t, unwrap, walk } from "../ast.js";
import { type AddPattern, MCP_HANDLER_FACTORIES, MCP_TRANSPORTS, SSE_TRANSPORTS } from "../patterns.js";
import { FASTIFY_MCP_PLUGINS, FASTMCP_DEFAULT_ENDPOINT } from "./libraries.js";
import type { AppSite, FastmcpStart, RouteSite, SourceFile } from "./types.js";
import { constInit, objectProperty, resolveModule, resolveString } from "./values.js";

/** Top-level values made by an MCP handler factory or transport (`const mcp = toNodeHandler(...)`). */
export function mcpValues(file: SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of file.ast.program.body) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type === "VariableDeclaration") {
      for (const d of declaration.declarations)
        if (d.id.type === "Identifier" && d.init && servesMcp(d.init, new Set())) names.add(d.id.name);
    }
    if (declaration?.type === "FunctionDeclaration" && declaration.id && servesMcp(declaration.body, new Set()))
      names.add(declaration.id.name);
  }
  return names;
}

function servesMcp(root: t.Node, values: Set<string>): boolean {
  let found = false;
  walk(root, (node) => {
    if (found) return false;
    if (node.type === "NewExpression" && node.callee.type === "Identifier" && MCP_TRANSPORTS.has(node.callee.name)) found = true;
    else if (
      node.type === "CallExpression" &&
      node.callee.type === "Identifier" &&
      (MCP_HANDLER_FACTORIES.has(node.callee.name) || values.has(node.callee.name))
    )
      found = true;
    else if (
      node.type === "CallExpression" &&
      node.callee.type === "MemberExpression" &&
      node.callee.property.type === "Identifier" &&
      node.callee.property.name === "handleRequest"
    )
      found = true;
    else if (node.type === "Identifier" && values.has(node.name)) found = true;
    return !found;
  });
  return found;
}

function usesSse(root: t.Node): boolean {
  let found = false;
  walk(root, (node) => {
    if (node.type === "NewExpression" && node.callee.type === "Identifier" && SSE_TRANSPORTS.has(node.callee.name)) found = true;
  });
  return found;
}

/**
 * The routes on the app, and on what it mounts: Express routers
 * (`app.use("/api", router)`, also from another file or a factory), Hono
 * sub-apps (`app.route("/api", sub)`), Fastify plugins (`app.register(fn,
 * { prefix })`), and the Fastify MCP plugins that serve a path of their own.
 */
export function findRoutes(app: AppSite, pattern: AddPattern, files: SourceFile[] = [app.file]): RouteSite[] {
  return collectRoutes(app.file, app.file.ast.program, new Set([app.name]), "", pattern, files, 0);
}

/** Calls that mount a router, sub-app or plugin (each framework has some of them). */
const MOUNTS = new Set(["use", "route", "register"]);

function joinPath(prefix: string, rest: string): string {
  if (!prefix) return rest;
  const tail = rest === "/" || rest === "" ? "" : rest.startsWith("/") ? rest : `/${rest}`;
  return `${prefix.replace(/\/+$/, "")}${tail}` || "/";
}

function collectRoutes(
  file: SourceFile,
  scope: t.Node,
  names: Set<string>,
  prefix: string,
  pattern: AddPattern,
  files: SourceFile[],
  depth: number,
): RouteSite[] {
  const values = mcpValues(file);
  const routes: RouteSite[] = [];
  walk(scope, (node) => {
    if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression" || node.callee.property.type !== "Identifier") return;
    const method = node.callee.property.name;
    let object: t.Node = node.callee.object;
    let routePath: t.Node | undefined = node.arguments[0];
    // Express `app.route("/mcp").post(handler)`
    if (
      object.type === "CallExpression" &&
      object.callee.type === "MemberExpression" &&
      names.has(memberPath(object.callee.object) ?? "") &&
      memberPath(object.callee)?.endsWith(".route")
    ) {
      routePath = object.arguments[0];
      object = object.callee.object;
    } else if (!pattern.routeMethods.includes(method) && !MOUNTS.has(method)) {
      return;
    }
    // `app.post(...)`, or `this.app.post(...)` for an app built in a class.
    const objectName = memberPath(object);
    if (!objectName || !names.has(objectName) || (object.type !== "Identifier" && !objectName.startsWith("this."))) return;
    const line = lineOf(node);
    if (method === "register") {
      routes.push(...registered(file, node, prefix, pattern, files, depth, line));
      return;
    }
    // A mount: `app.use("/api", router)`, `app.route("/api", sub)`.
    const mountPath =
      (method === "use" || method === "route") && node.arguments.length >= 2
        ? resolveString(file, routePath, files)
        : method === "use" && node.arguments.length === 1
          ? { value: "" }
          : undefined;
    if (mountPath && depth < 4) {
      for (const argument of node.arguments.slice(mountPath.value === "" && node.arguments.length === 1 ? 0 : 1)) {
        const target = routerTarget(file, argument as t.Node, files);
        if (target)
          routes.push(
            ...collectRoutes(target.file, target.scope, target.names, joinPath(prefix, mountPath.value), pattern, files, depth + 1),
          );
      }
    }
    // Not a route method of this framework: only a mount.
    if (!pattern.routeMethods.includes(method)) return;
    let handlers: t.Node[] = node.arguments.slice(1) as t.Node[];
    // Fastify `app.route({ method, url, handler })`
    if (method === "route" && routePath?.type === "ObjectExpression") {
      const props = routePath.properties.filter((p): p is t.ObjectProperty => p.type === "ObjectProperty");
      const url = props.find((p) => p.key.type === "Identifier" && p.key.name === "url");
      handlers = props.filter((p) => p.key.type === "Identifier" && ["handler", "preHandler"].includes(p.key.name)).map((p) => p.value);
      routePath = url?.value as t.Node | undefined;
    }
    if (method === "use" && routePath && resolveString(file, routePath, files) === undefined) {
      handlers = node.arguments as t.Node[];
      routePath = undefined;
    }
    const handlerNodes = handlers.map((h) => (h.type === "Identifier" ? (resolveFunction(file, h.name) ?? h) : h));
    const resolved = resolveString(file, routePath, files);
    routes.push({
      file,
      line,
      method,
      path: resolved === undefined ? undefined : joinPath(prefix, resolved.value),
      ...(resolved?.env ? { env: resolved.env } : {}),
      ...(prefix ? { prefix } : {}),
      ...(routePath && !prefix ? { pathNode: routePath } : {}),
      mcp: handlerNodes.some((h) => servesMcp(h, values)),
      sse: handlerNodes.some((h) => usesSse(h)),
      handlers: handlerNodes,
    });
  });
  return routes;
}

/** `app.register(plugin, options)`: a Fastify MCP plugin's path, or the routes of a plugin function under its prefix. */
function registered(
  file: SourceFile,
  call: t.CallExpression,
  prefix: string,
  pattern: AddPattern,
  files: SourceFile[],
  depth: number,
  line: number,
): RouteSite[] {
  const plugin = call.arguments[0] ? unwrap(call.arguments[0]) : undefined;
  const optionsNode = call.arguments[1] ? unwrap(call.arguments[1]) : undefined;
  const options =
    optionsNode?.type === "ObjectExpression"
      ? optionsNode
      : optionsNode?.type === "Identifier"
        ? (() => {
            const init = constInit(file, optionsNode.name, optionsNode);
            return init && unwrap(init).type === "ObjectExpression" ? (unwrap(init) as t.ObjectExpression) : undefined;
          })()
        : undefined;
  const own = options ? resolveString(file, objectProperty(options, "prefix"), files) : undefined;
  const base = joinPath(prefix, own?.value ?? "");
  if (!plugin) return [];
  if (plugin.type === "Identifier" || plugin.type === "MemberExpression") {
    const name = plugin.type === "Identifier" ? plugin.name : undefined;
    const binding = name ? file.imports.get(name) : undefined;
    const known = binding && FASTIFY_MCP_PLUGINS.find((p) => p.source === binding.source && p.imported === binding.imported);
    if (known) {
      const optionNode = options ? objectProperty(options, known.option) : undefined;
      const given = resolveString(file, optionNode, files);
      return [
        {
          file,
          line,
          method: "register",
          path: joinPath(base, given?.value ?? known.path),
          ...(given?.env ? { env: given.env } : {}),
          ...(!given ? { library: `${known.source} serves ${known.path} by default` } : {}),
          mcp: true,
          sse: false,
          handlers: [],
        },
      ];
    }
  }
  if (depth >= 4) return [];
  const fn =
    plugin.type === "ArrowFunctionExpression" || plugin.type === "FunctionExpression"
      ? { file, node: plugin as t.Function }
      : plugin.type === "Identifier"
        ? functionNamed(file, plugin.name, files)
        : undefined;
  const param = fn?.node.params[0];
  if (!fn || param?.type !== "Identifier") return [];
  return collectRoutes(fn.file, fn.node.body, new Set([param.name]), base, pattern, files, depth + 1);
}

/** A function declared in the file, or imported from a project file (named or default export). */
function functionNamed(file: SourceFile, name: string, files: SourceFile[]): { file: SourceFile; node: t.Function } | undefined {
  const local = resolveFunction(file, name);
  if (local && (local.type === "FunctionDeclaration" || local.type === "ArrowFunctionExpression" || local.type === "FunctionExpression"))
    return { file, node: local };
  const binding = file.imports.get(name);
  const target = binding ? resolveModule(file, binding.source, files) : undefined;
  if (!binding || !target) return undefined;
  for (const statement of target.ast.program.body) {
    if (statement.type === "ExportDefaultDeclaration" && binding.imported === "default") {
      const d = statement.declaration;
      if (d.type === "FunctionDeclaration" || d.type === "ArrowFunctionExpression" || d.type === "FunctionExpression")
        return { file: target, node: d };
      if (d.type === "Identifier") return functionNamed(target, d.name, files);
    }
    if (statement.type === "ExportNamedDeclaration" && binding.imported !== "default") {
      const found = resolveFunction(target, binding.imported);
      if (found && found.type !== "Identifier") return { file: target, node: found as t.Function };
    }
  }
  return undefined;
}

/** Express `Router()` / `express.Router()`, Hono `new Hono()`. */
function isRouterCreation(node: t.Node | null | undefined): boolean {
  if (!node) return false;
  const n = unwrap(node);
  if (n.type === "CallExpression") return memberPath(n.callee) === "Router" || Boolean(memberPath(n.callee)?.endsWith(".Router"));
  if (n.type === "NewExpression") return memberPath(n.callee) === "Hono" || memberPath(n.callee) === "OpenAPIHono";
  return false;
}

function routerNames(scope: t.Node): Set<string> {
  const names = new Set<string>();
  walk(scope, (node) => {
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier" && isRouterCreation(node.init)) names.add(node.id.name);
  });
  return names;
}

/** What a mount's argument is: a router of this file, a router exported by a project file, or one made by a factory. */
function routerTarget(
  file: SourceFile,
  argument: t.Node,
  files: SourceFile[],
): { file: SourceFile; scope: t.Node; names: Set<string> } | undefined {
  const node = unwrap(argument);
  if (node.type === "Identifier") {
    if (isRouterCreation(constInit(file, node.name, node))) return { file, scope: file.ast.program, names: new Set([node.name]) };
    const binding = file.imports.get(node.name);
    const target = binding ? resolveModule(file, binding.source, files) : undefined;
    if (target) {
      const names = routerNames(target.ast.program);
      return names.size > 0 ? { file: target, scope: target.ast.program, names } : undefined;
    }
    return undefined;
  }
  if (node.type === "CallExpression" && node.callee.type === "Identifier") {
    const fn = functionNamed(file, node.callee.name, files);
    if (!fn) return undefined;
    const names = routerNames(fn.node.body);
    return names.size > 0 ? { file: fn.file, scope: fn.node.body, names } : undefined;
  }
  return undefined;
}

function resolveFunction(file: SourceFile, name: string): t.Node | undefined {
  for (const statement of file.ast.program.body) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type === "FunctionDeclaration" && declaration.id?.name === name) return declaration;
    if (declaration?.type === "VariableDeclaration") {
      for (const d of declaration.declarations) {
        if (
          d.id.type === "Identifier" &&
          d.id.name === name &&
          d.init &&
          (d.init.type === "ArrowFunctionExpression" || d.init.type === "FunctionExpression")
        )
          return d.init;
      }
    }
  }
  return undefined;
}

/**
 * fastmcp's `server.start(...)`: in the file that creates the server, else in
 * a project file that imports it (`import { server } from "./server.js"`).
 */
export function findFastmcpStart(app: AppSite, files: SourceFile[] = [app.file]): FastmcpStart | undefined {
  const own = startIn(app.file, app.name);
  if (own) return own;
  for (const file of files) {
    if (file === app.file) continue;
    for (const [local, binding] of file.imports) {
      if ((binding.imported === app.name || binding.imported === "default") && resolveModule(file, binding.source, files) === app.file) {
        const found = startIn(file, local);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function startIn(file: SourceFile, name: string): FastmcpStart | undefined {
  let found: FastmcpStart | undefined;
  walk(file.ast.program, (node) => {
    if (found || node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return;
    if (node.callee.property.type !== "Identifier" || node.callee.property.name !== "start") return;
    // `server.start(...)`, or `mcpAuth(server).start(...)` once wired.
    const object = node.callee.object;
    const wrapped =
      object.type === "CallExpression" &&
      object.callee.type === "Identifier" &&
      object.arguments[0]?.type === "Identifier" &&
      object.arguments[0].name === name;
    if (!(object.type === "Identifier" && object.name === name) && !wrapped) return;
    const given = node.arguments[0] ? unwrap(node.arguments[0]) : undefined;
    const init = given?.type === "Identifier" ? constInit(file, given.name, given) : undefined;
    const options = init && unwrap(init).type === "ObjectExpression" ? unwrap(init) : given;
    let transport: FastmcpStart["transport"] = options ? "unknown" : "stdio";
    let endpoint = FASTMCP_DEFAULT_ENDPOINT;
    let basePath = "";
    let env: string | undefined;
    if (options?.type === "ObjectExpression") {
      const value = resolveString(file, objectProperty(options, "transportType"))?.value;
      if (value !== undefined) transport = value === "stdio" ? "stdio" : value === "httpStream" ? "httpStream" : "unknown";
      const http = objectProperty(options, "httpStream");
      if (http?.type === "ObjectExpression") {
        const e = resolveString(file, objectProperty(http, "endpoint"));
        endpoint = e?.value ?? endpoint;
        env = e?.env;
        basePath = resolveString(file, objectProperty(http, "basePath"))?.value ?? basePath;
      }
    }
    const joined = `${basePath.replace(/\/+$/, "")}/${endpoint.replace(/^\/+/, "")}`;
    found = {
      file: file,
      line: lineOf(node),
      call: node,
      callee: node.callee.object,
      transport,
      endpoint: joined,
      ...(env ? { env } : {}),
    };
  });
  return found;
}
