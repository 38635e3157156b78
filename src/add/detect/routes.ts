/** The app's routes, which of them serve MCP, and fastmcp's start call: where the MCP endpoint is. */
import { lineOf, memberPath, stringValue, type t, walk } from "../ast.js";
import { type AddPattern, MCP_HANDLER_FACTORIES, MCP_TRANSPORTS, SSE_TRANSPORTS } from "../patterns.js";
import type { AppSite, FastmcpStart, RouteSite, SourceFile } from "./types.js";

/** Resolves a path argument: a literal, or a top-level `const` holding one. */
function pathValue(file: SourceFile, node: t.Node | undefined): string | undefined {
  if (!node) return undefined;
  const literal = stringValue(node);
  if (literal !== undefined) return literal;
  if (node.type !== "Identifier") return undefined;
  for (const statement of file.ast.program.body) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type !== "VariableDeclaration" || declaration.kind !== "const") continue;
    for (const d of declaration.declarations) {
      if (d.id.type === "Identifier" && d.id.name === node.name) return stringValue(d.init);
    }
  }
  return undefined;
}

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

export function findRoutes(app: AppSite, pattern: AddPattern): RouteSite[] {
  const file = app.file;
  const values = mcpValues(file);
  const routes: RouteSite[] = [];
  walk(file.ast.program, (node) => {
    if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression" || node.callee.property.type !== "Identifier") return;
    const method = node.callee.property.name;
    let object: t.Node = node.callee.object;
    let routePath: t.Node | undefined = node.arguments[0];
    // Express `app.route("/mcp").post(handler)`
    if (
      object.type === "CallExpression" &&
      object.callee.type === "MemberExpression" &&
      memberPath(object.callee) === `${app.name}.route`
    ) {
      routePath = object.arguments[0];
      object = object.callee.object;
    } else if (!pattern.routeMethods.includes(method)) {
      return;
    }
    if (object.type !== "Identifier" || object.name !== app.name) return;
    let handlers: t.Node[] = node.arguments.slice(1) as t.Node[];
    // Fastify `app.route({ method, url, handler })`
    if (method === "route" && routePath?.type === "ObjectExpression") {
      const props = routePath.properties.filter((p): p is t.ObjectProperty => p.type === "ObjectProperty");
      const url = props.find((p) => p.key.type === "Identifier" && p.key.name === "url");
      handlers = props.filter((p) => p.key.type === "Identifier" && ["handler", "preHandler"].includes(p.key.name)).map((p) => p.value);
      routePath = url?.value as t.Node | undefined;
    }
    if (method === "use" && routePath && stringValue(routePath) === undefined && routePath.type !== "Identifier") {
      handlers = node.arguments as t.Node[];
      routePath = undefined;
    }
    const handlerNodes = handlers.map((h) => (h.type === "Identifier" ? (resolveFunction(file, h.name) ?? h) : h));
    routes.push({
      file,
      line: lineOf(node),
      method,
      path: pathValue(file, routePath),
      mcp: handlerNodes.some((h) => servesMcp(h, values)),
      sse: handlerNodes.some((h) => usesSse(h)),
      handlers: handlerNodes,
    });
  });
  return routes;
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

export function findFastmcpStart(app: AppSite): FastmcpStart | undefined {
  let found: FastmcpStart | undefined;
  walk(app.file.ast.program, (node) => {
    if (found || node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return;
    if (node.callee.property.type !== "Identifier" || node.callee.property.name !== "start") return;
    // `server.start(...)`, or `mcpAuth(server).start(...)` once wired.
    const object = node.callee.object;
    const wrapped =
      object.type === "CallExpression" &&
      object.callee.type === "Identifier" &&
      object.arguments[0]?.type === "Identifier" &&
      object.arguments[0].name === app.name;
    if (!(object.type === "Identifier" && object.name === app.name) && !wrapped) return;
    const options = node.arguments[0];
    let transport: FastmcpStart["transport"] = options ? "unknown" : "stdio";
    let endpoint = "/mcp";
    let basePath = "";
    if (options?.type === "ObjectExpression") {
      for (const p of options.properties) {
        if (p.type !== "ObjectProperty" || p.key.type !== "Identifier") continue;
        if (p.key.name === "transportType") {
          const value = stringValue(p.value);
          transport = value === "stdio" ? "stdio" : value === "httpStream" ? "httpStream" : "unknown";
        }
        if (p.key.name === "httpStream" && p.value.type === "ObjectExpression") {
          for (const q of p.value.properties) {
            if (q.type !== "ObjectProperty" || q.key.type !== "Identifier") continue;
            if (q.key.name === "endpoint") endpoint = stringValue(q.value) ?? endpoint;
            if (q.key.name === "basePath") basePath = stringValue(q.value) ?? basePath;
          }
        }
      }
    }
    const joined = `${basePath.replace(/\/+$/, "")}/${endpoint.replace(/^\/+/, "")}`;
    found = { file: app.file, line: lineOf(node), call: node, callee: node.callee.object, transport, endpoint: joined };
  });
  return found;
}
