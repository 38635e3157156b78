/**
 * What add must fix or refuse: one McpServer reused across requests, a
 * handleRequest that would lose the body the auth step read, a stdio-only server.
 */
import { end, lineOf, memberPath, start, type t, unwrap, walk } from "../ast.js";
import { MCP_SERVER_CLASSES, MCP_TRANSPORTS, SDK_V1, SDK_V2 } from "../patterns.js";
import { mcpValues } from "./routes.js";
import type { BodylessCall, ReusedServer, RouteSite, SourceFile } from "./types.js";

function isFunction(node: t.Node): node is t.Function {
  return (
    node.type === "FunctionDeclaration" ||
    node.type === "FunctionExpression" ||
    node.type === "ArrowFunctionExpression" ||
    node.type === "ObjectMethod" ||
    node.type === "ClassMethod"
  );
}

function references(root: t.Node, name: string): boolean {
  let found = false;
  walk(root, (node) => {
    if (node.type === "Identifier" && node.name === name) found = true;
    return !found;
  });
  return found;
}

/** Names a function declares itself (parameters and variables), which shadow outer ones. */
function declaresName(fn: t.Function, name: string): boolean {
  if (fn.params.some((p) => p.type === "Identifier" && p.name === name)) return true;
  let found = false;
  walk(fn.body, (node) => {
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier" && node.id.name === name) found = true;
    return !found;
  });
  return found;
}

export function findReusedServers(file: SourceFile): ReusedServer[] {
  const found: ReusedServer[] = [];
  const body = file.ast.program.body;
  body.forEach((statement, index) => {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type !== "VariableDeclaration" || declaration.declarations.length !== 1) return;
    const [declarator] = declaration.declarations;
    if (!declarator) return;
    const init = declarator.init && unwrap(declarator.init);
    if (
      declarator.id.type !== "Identifier" ||
      init?.type !== "NewExpression" ||
      init.callee.type !== "Identifier" ||
      !MCP_SERVER_CLASSES.has(init.callee.name)
    )
      return;
    const binding = file.imports.get(init.callee.name);
    if (!binding || !(binding.source.startsWith(SDK_V1) || SDK_V2.includes(binding.source))) return;
    const name = declarator.id.name;

    // Functions that build a new transport and connect this (outer) server to it.
    const handlers: t.Function[] = [];
    walk(file.ast.program, (node) => {
      if (!isFunction(node) || declaresName(node, name)) return;
      let transport = false;
      let connects = false;
      walk(node.body, (inner) => {
        if (inner !== node && isFunction(inner)) return false;
        if (inner.type === "NewExpression" && inner.callee.type === "Identifier" && MCP_TRANSPORTS.has(inner.callee.name)) transport = true;
        if (inner.type === "CallExpression" && memberPath(inner.callee) === `${name}.connect`) connects = true;
      });
      if (transport && connects) handlers.push(node);
    });
    const shared = handlers.length === 0 ? sharedTransport(file, name) : undefined;
    if (shared) handlers.push(...shared.handlers);
    const [handler] = handlers;
    if (!handler) return;

    const site: ReusedServer = { file, name, line: lineOf(statement), handlerLine: lineOf(handler) };
    if (shared) site.transport = shared.transport;
    // The fix moves the creation and the statements right after it that set the server up into a factory.
    const run: t.Statement[] = [statement];
    for (const next of body.slice(index + 1)) {
      if (
        next.type !== "ExpressionStatement" ||
        next === shared?.transport.connect ||
        !references(next, name) ||
        handlers.some((h) => start(h) >= start(next) && end(h) <= end(next))
      )
        break;
      run.push(next);
    }
    const inRun = new Set<t.Node>(shared ? [...run, shared.transport.connect] : run);
    const elsewhere = body.some((s) => !inRun.has(s) && referencesOutside(s, handlers, name));
    const awaits = run.some((s) => hasTopLevelAwait(s));
    const multiline = run.some((s) => hasMultilineTemplate(s));
    if (declaration.kind === "var") site.reason = `${name} is declared with var`;
    else if (statement.type === "ExportNamedDeclaration") site.reason = `${name} is exported`;
    else if (elsewhere) site.reason = `${name} is used outside the request handler and its setup`;
    else if (awaits) site.reason = `the setup of ${name} awaits at the top level`;
    else if (multiline) site.reason = `the setup of ${name} has a multi-line template literal`;
    else if (handlers.some((h) => h.body.type !== "BlockStatement")) site.reason = "the request handler has no block body";
    else if (shared?.reason) site.reason = shared.reason;
    else site.fix = { run, handlers };
    found.push(site);
  });
  return found;
}

/**
 * A stateless transport made and connected to `server` once, at the top level,
 * and used by request handlers: `const transport = new
 * StreamableHTTPServerTransport({ sessionIdGenerator: undefined })`, `await
 * server.connect(transport)`, `transport.handleRequest(...)` in a route.
 */
function sharedTransport(
  file: SourceFile,
  server: string,
): { transport: NonNullable<ReusedServer["transport"]>; handlers: t.Function[]; reason?: string } | undefined {
  const body = file.ast.program.body;
  for (const statement of body) {
    if (statement.type !== "VariableDeclaration" || statement.declarations.length !== 1) continue;
    const [declarator] = statement.declarations;
    const init = declarator?.init && unwrap(declarator.init);
    if (declarator?.id.type !== "Identifier" || init?.type !== "NewExpression" || init.callee.type !== "Identifier") continue;
    if (!MCP_TRANSPORTS.has(init.callee.name)) continue;
    const options = init.arguments[0];
    const stateless =
      options?.type === "ObjectExpression" &&
      options.properties.some(
        (p) =>
          p.type === "ObjectProperty" &&
          p.key.type === "Identifier" &&
          p.key.name === "sessionIdGenerator" &&
          p.value.type === "Identifier" &&
          p.value.name === "undefined",
      );
    if (!stateless) continue;
    const name = declarator.id.name;
    const connect = body.find((s) => {
      if (s.type !== "ExpressionStatement") return false;
      const call = unwrap(s.expression);
      return (
        call.type === "CallExpression" &&
        memberPath(call.callee) === `${server}.connect` &&
        call.arguments[0]?.type === "Identifier" &&
        call.arguments[0].name === name
      );
    });
    if (!connect) continue;
    const handlers: t.Function[] = [];
    walk(file.ast.program, (node) => {
      if (!isFunction(node) || declaresName(node, name)) return;
      let handles = false;
      walk(node.body, (inner) => {
        if (inner !== node && isFunction(inner)) return false;
        if (inner.type === "CallExpression" && memberPath(inner.callee) === `${name}.handleRequest`) handles = true;
      });
      if (handles) handlers.push(node);
    });
    if (handlers.length === 0) continue;
    const transport = { name, statement, connect, creation: file.code.slice(start(init), end(init)) };
    const elsewhere = body.some((s) => s !== statement && s !== connect && referencesOutside(s, handlers, name));
    const reason =
      statement.kind !== "const" ? `${name} is not a const` : elsewhere ? `${name} is used outside the request handler` : undefined;
    return { transport, handlers, ...(reason ? { reason } : {}) };
  }
  return undefined;
}

/** Whether `statement` references `name` outside the given functions. */
function referencesOutside(statement: t.Node, functions: t.Node[], name: string): boolean {
  let found = false;
  walk(statement, (node) => {
    if (found || functions.includes(node)) return false;
    if (node.type === "Identifier" && node.name === name) found = true;
    return !found;
  });
  return found;
}

function hasTopLevelAwait(statement: t.Node): boolean {
  let found = false;
  walk(statement, (node) => {
    if (isFunction(node)) return false;
    if (node.type === "AwaitExpression") found = true;
    return !found;
  });
  return found;
}

function hasMultilineTemplate(statement: t.Node): boolean {
  let found = false;
  walk(statement, (node) => {
    if (node.type === "TemplateLiteral" && node.quasis.some((q) => q.value.raw.includes("\n"))) found = true;
  });
  return found;
}

/** `transport.handleRequest(req, res)` (or a v2 node handler called the same way) in an MCP route. */
export function findBodyless(route: RouteSite): BodylessCall[] {
  const values = mcpValues(route.file);
  const found: BodylessCall[] = [];
  for (const handler of route.handlers) {
    if (!isFunction(handler)) continue;
    const request = handler.params[0];
    if (request?.type !== "Identifier") continue;
    walk(handler.body, (node) => {
      if (node.type !== "CallExpression" || node.arguments.length !== 2) return;
      const first = node.arguments[0];
      if (first?.type !== "Identifier" || first.name !== request.name) return;
      const isHandleRequest =
        node.callee.type === "MemberExpression" &&
        node.callee.property.type === "Identifier" &&
        node.callee.property.name === "handleRequest";
      const isNodeHandler = node.callee.type === "Identifier" && values.has(node.callee.name);
      if (isHandleRequest || isNodeHandler) found.push({ file: route.file, call: node, request: request.name, line: lineOf(node) });
    });
  }
  return found;
}

export function findFirst(files: SourceFile[], test: (node: t.Node) => boolean): { file: SourceFile; node: t.Node } | undefined {
  for (const file of files) {
    let hit: t.Node | undefined;
    walk(file.ast.program, (node) => {
      if (hit) return false;
      if (test(node)) hit = node;
      return !hit;
    });
    if (hit) return { file, node: hit };
  }
  return undefined;
}
