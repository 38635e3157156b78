/**
 * What add must fix or refuse: one McpServer reused across requests, a
 * handleRequest that would lose the body the auth step read, a stdio-only server.
 */
import { end, lineOf, memberPath, start, stringValue, type t, unwrap, walk } from "../ast.js";
import { MCP_SERVER_CLASSES, MCP_TRANSPORTS, SDK_V1, SDK_V2 } from "../patterns.js";
import { mcpValues } from "./routes.js";
import type { BodylessCall, ReusedServer, RouteSite, SourceFile } from "./types.js";
import { resolveModule } from "./values.js";

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

export function findReusedServers(file: SourceFile, files: SourceFile[] = [file]): ReusedServer[] {
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
    if (!handler) {
      // Passed to a function of another module whose request handler connects it to a new transport per request.
      const passed = passedToHandler(file, name, files);
      if (passed) found.push(acrossModules(file, statement, declaration.kind, index, name, passed, files));
      return;
    }

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
  found.push(...reusedInFunctions(file));
  return found;
}

/** `const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })`: its name and `new` expression. */
function statelessTransport(statement: t.Statement): { name: string; init: t.NewExpression; declarator: t.VariableDeclarator } | undefined {
  if (statement.type !== "VariableDeclaration" || statement.declarations.length !== 1) return undefined;
  const [declarator] = statement.declarations;
  const init = declarator?.init && unwrap(declarator.init);
  if (declarator?.id.type !== "Identifier" || init?.type !== "NewExpression") return undefined;
  // `new StreamableHTTPServerTransport(...)`, or as tsc compiles it to CommonJS: `new streamableHttp_js_1.StreamableHTTPServerTransport(...)`.
  const callee =
    init.callee.type === "Identifier"
      ? init.callee.name
      : init.callee.type === "MemberExpression" && !init.callee.computed && init.callee.property.type === "Identifier"
        ? init.callee.property.name
        : undefined;
  if (!callee || !MCP_TRANSPORTS.has(callee)) return undefined;
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
  return stateless ? { name: declarator.id.name, init, declarator } : undefined;
}

/**
 * The shape of mcp-server-code-runner (dist/streamableHttp.js): inside the
 * function that sets up the app, a server (from a factory call or `new
 * McpServer`) and one stateless transport are made and connected once, and
 * a request handler nested in that function sends every request to that one
 * transport: `const server = createServer(); const transport = new
 * StreamableHTTPServerTransport({ sessionIdGenerator: undefined }); await
 * server.connect(transport); app.post("/mcp", async (req, res) => { await
 * transport.handleRequest(req, res, req.body) })`. The SDK refuses the second
 * request. The fix moves the three statements into the handler.
 */
function reusedInFunctions(file: SourceFile): ReusedServer[] {
  const found: ReusedServer[] = [];
  walk(file.ast.program, (fn) => {
    if (!isFunction(fn) || fn.body.type !== "BlockStatement") return;
    const top = fn.body;
    // The function's own statements, and those of the blocks nested in it (an `if (mode === "http") { ... }`),
    // not those of functions nested in it.
    const blocks: t.Statement[][] = [top.body];
    walk(top, (node) => {
      if (node !== top && isFunction(node)) return false;
      if (node !== top && node.type === "BlockStatement") blocks.push(node.body);
    });
    for (const [body, statement] of blocks.flatMap((block) => block.map((each) => [block, each] as const))) {
      const transport = statelessTransport(statement);
      if (!transport) continue;
      // `await server.connect(transport)` in the same block, `server` declared there before it.
      let connect: t.ExpressionStatement | undefined;
      let server: string | undefined;
      for (const s of body) {
        if (s.type !== "ExpressionStatement") continue;
        const call = unwrap(s.expression);
        if (call.type !== "CallExpression" || call.arguments.length !== 1) continue;
        const argument = call.arguments[0];
        const path = memberPath(call.callee);
        if (argument?.type !== "Identifier" || argument.name !== transport.name || !path?.endsWith(".connect")) continue;
        const object = path.slice(0, -".connect".length);
        if (/^[A-Za-z_$][\w$]*$/.test(object)) {
          connect = s;
          server = object;
          break;
        }
      }
      if (!connect || !server) continue;
      const serverStatement = body.find(
        (s): s is t.VariableDeclaration =>
          s.type === "VariableDeclaration" &&
          s.declarations.length === 1 &&
          s.declarations[0]?.id.type === "Identifier" &&
          s.declarations[0].id.name === server &&
          s.declarations[0].init != null &&
          start(s) < start(connect!),
      );
      const serverInit = serverStatement?.declarations[0]?.init && unwrap(serverStatement.declarations[0].init);
      const nested = body !== top.body;
      const made = nested || !serverStatement ? madeBefore(fn, statement, server) : undefined;
      if (!nested && !made && (!serverStatement || (serverInit?.type !== "CallExpression" && serverInit?.type !== "NewExpression")))
        continue;
      // The request handlers nested in this function that hand requests to that transport.
      const handlers: t.Function[] = [];
      walk(fn.body, (node) => {
        if (node === fn || !isFunction(node) || declaresName(node, transport.name)) return;
        let handles = false;
        walk(node.body, (inner) => {
          if (inner !== node && isFunction(inner)) return false;
          if (inner.type === "CallExpression" && memberPath(inner.callee) === `${transport.name}.handleRequest`) handles = true;
        });
        if (handles) handlers.push(node);
      });
      const [handler] = handlers;
      if (!handler) continue;
      const shared = { name: transport.name, statement, connect, creation: file.code.slice(start(transport.init), end(transport.init)) };
      if (made) {
        // Made (or assigned) before, in this block or one enclosing it (`serverInstance = new McpServer(...)` at the top
        // of the function, the transport in its `else` block): fixed with a factory where that is safe.
        const site = factorySite(file, fn, made, server, shared, handlers);
        // One factory per creation: a second shared transport connected to the same server is named, not fixed.
        const first = found.find((f) => f.fix?.factory && f.fix.run[0] === made.made);
        if (site.fix && first) {
          delete site.fix;
          site.reason = `${server} is connected to another shared transport too (${first.transport!.name}, line ${lineOf(first.transport!.statement)}), fixed there only`;
        }
        found.push(site);
        continue;
      }
      if (nested || !serverStatement) {
        // The server made elsewhere (in another function, or a parameter): reported, not fixed.
        found.push({
          file,
          name: server,
          line: lineOf(statement),
          handlerLine: lineOf(handler),
          transport: shared,
          reason: `${server} is made outside the block that connects it to ${transport.name}`,
        });
        continue;
      }
      const site: ReusedServer = {
        file,
        name: server,
        line: lineOf(serverStatement),
        handlerLine: lineOf(handler),
        transport: { name: transport.name, statement, connect, creation: file.code.slice(start(transport.init), end(transport.init)) },
      };
      const setup = new Set<t.Node>([serverStatement, statement, connect]);
      const outside = (name: string) => body.some((s) => !setup.has(s) && referencesOutside(s, handlers, name));
      // Names the moved statements read must mean the same inside the handler.
      const read = new Set<string>();
      for (const s of setup) walk(s, (node) => void (node.type === "Identifier" && read.add(node.name)));
      const shadowed = [...read].find((name) => name !== server && name !== transport.name && handlers.some((h) => declaresName(h, name)));
      if (serverStatement.kind !== "const") site.reason = `${server} is not a const`;
      else if (statement.type === "VariableDeclaration" && statement.kind !== "const") site.reason = `${transport.name} is not a const`;
      else if (outside(server)) site.reason = `${server} is used outside the request handler and its setup`;
      else if (outside(transport.name)) site.reason = `${transport.name} is used outside the request handler`;
      else if (handlers.some((h) => h.body.type !== "BlockStatement")) site.reason = "the request handler has no block body";
      else if (shadowed) site.reason = `the request handler declares ${shadowed}, which the setup of ${server} reads`;
      else site.fix = { run: [serverStatement], handlers, inFunction: true };
      found.push(site);
    }
  });
  return found;
}

/** Where a server is made before the block that connects it: the block, its creation statement and what follows. */
interface MadeBefore {
  /** The block's statements, the creation (`serverInstance = new McpServer(...)` or `const server = ...`) among them. */
  block: t.Statement[];
  made: t.Statement;
  /** The statement of `block` that holds the transport (the transport's own statement when it is in `block`). */
  holder: t.Statement;
  /** The blocks from the one holding the transport out to `block`, each with its statement on the way to the transport. */
  path: { body: t.Statement[]; child: t.Statement }[];
}

/** The server's creation, as a statement: `name = new McpServer(...)` (or a call), or `const name = ...`. */
export function creationOf(statement: t.Statement, name: string): t.Expression | undefined {
  if (statement.type === "ExpressionStatement") {
    const e = statement.expression;
    if (e.type !== "AssignmentExpression" || e.operator !== "=" || e.left.type !== "Identifier" || e.left.name !== name) return undefined;
    const init = unwrap(e.right);
    return init.type === "NewExpression" || init.type === "CallExpression" ? e.right : undefined;
  }
  if (statement.type !== "VariableDeclaration" || statement.declarations.length !== 1) return undefined;
  const [d] = statement.declarations;
  if (d?.id.type !== "Identifier" || d.id.name !== name || !d.init) return undefined;
  const init = unwrap(d.init);
  return init.type === "NewExpression" || init.type === "CallExpression" ? d.init : undefined;
}

/**
 * The nearest creation of `server` before `transport` in the transport's block or a block enclosing it, within `fn`
 * (the shape of @aashari/mcp-server-atlassian-jira: `serverInstance = new McpServer(...)` at the top of startServer,
 * the stateless transport in its `else` block).
 */
function madeBefore(fn: t.Function, transport: t.Statement, server: string): MadeBefore | undefined {
  let chain: t.Node[] | undefined;
  walk(fn.body, (node, ancestors) => {
    if (chain) return false;
    if (node === transport) {
      chain = [...ancestors];
      return false;
    }
    if (isFunction(node)) return false;
  });
  if (!chain) return undefined;
  const path: MadeBefore["path"] = [];
  for (let i = chain.length - 1; i >= 0; i--) {
    const node = chain[i]!;
    if (node.type !== "BlockStatement") continue;
    const child = (chain[i + 1] ?? transport) as t.Statement;
    path.push({ body: node.body, child });
    const before = node.body.slice(0, node.body.indexOf(child));
    const made = before.reverse().find((s) => creationOf(s, server) !== undefined);
    if (made) return { block: node.body, made, holder: child, path };
  }
  return undefined;
}

/** Identifiers read in `root`: not property names, not object keys (a shorthand `{ x }` reads x). */
function namesRead(root: t.Node): Set<string> {
  const names = new Set<string>();
  walk(root, (node, ancestors) => {
    if (node.type !== "Identifier") return;
    const parent = ancestors[ancestors.length - 1];
    if (
      parent &&
      (parent.type === "MemberExpression" || parent.type === "OptionalMemberExpression") &&
      parent.property === node &&
      !parent.computed
    )
      return;
    if (parent && (parent.type === "ObjectProperty" || parent.type === "ObjectMethod") && parent.key === node && !parent.computed) {
      if (!(parent.type === "ObjectProperty" && parent.shorthand)) return;
    }
    names.add(node.name);
  });
  return names;
}

/** Names assigned in `root` (`x = ...`, `x++`, `[x] = ...`, `for (x of ...)`), each with the function it is in (within `root`). */
function assignments(root: t.Node): { name: string; node: t.Node; fn: t.Function | undefined }[] {
  const found: { name: string; node: t.Node; fn: t.Function | undefined }[] = [];
  const targets = (pattern: t.Node, node: t.Node, fn: t.Function | undefined) =>
    walk(pattern, (p, ancestors) => {
      if (p.type === "MemberExpression" || p.type === "OptionalMemberExpression") return false;
      const parent = ancestors[ancestors.length - 1];
      if (parent?.type === "ObjectProperty" && parent.key === p && !parent.shorthand) return;
      if (p.type === "Identifier") found.push({ name: p.name, node, fn });
    });
  walk(root, (node, ancestors) => {
    const fn = [...ancestors].reverse().find((a): a is t.Function => isFunction(a));
    if (node.type === "AssignmentExpression") targets(node.left, node, fn);
    if (node.type === "UpdateExpression") targets(node.argument, node, fn);
    if ((node.type === "ForOfStatement" || node.type === "ForInStatement") && node.left.type !== "VariableDeclaration")
      targets(node.left, node, fn);
  });
  return found;
}

/** `this`, `arguments`, `super` or `new.target` in `root`, outside functions that bind their own. */
function usesOwnContext(root: t.Node): boolean {
  let found = false;
  walk(root, (node) => {
    if (found) return false;
    if (isFunction(node) && node.type !== "ArrowFunctionExpression") return false;
    if (node.type === "ThisExpression" || node.type === "Super" || node.type === "MetaProperty") found = true;
    if (node.type === "Identifier" && node.name === "arguments") found = true;
  });
  return found;
}

/** Whether a statement sits on lines of its own (only whitespace before it on its first line, nothing but a comment after it). */
function ownLines(code: string, statement: t.Node): boolean {
  const lineStart = code.lastIndexOf("\n", start(statement) - 1) + 1;
  const newline = code.indexOf("\n", end(statement));
  const rest = code.slice(end(statement), newline === -1 ? code.length : newline).replace(/\r$/, "");
  return code.slice(lineStart, start(statement)).trim() === "" && /^[ \t]*(;[ \t]*)?(\/\/.*)?$/.test(rest);
}

/** `x`, `x != null`, `x !== null`, `x !== undefined`: a test that `name` is set. */
function checksSet(test: t.Node, name: string): boolean {
  const e = unwrap(test);
  if (e.type === "Identifier") return e.name === name;
  if (e.type === "BinaryExpression" && (e.operator === "!=" || e.operator === "!==")) {
    const [a, b] = [unwrap(e.left), unwrap(e.right as t.Node)];
    const unset = (n: t.Node) => n.type === "NullLiteral" || (n.type === "Identifier" && n.name === "undefined");
    return (a.type === "Identifier" && a.name === name && unset(b)) || (b.type === "Identifier" && b.name === name && unset(a));
  }
  return false;
}

/** The operands of an `&&` chain, left to right. */
function conjuncts(test: t.Node): t.Node[] {
  const e = unwrap(test);
  return e.type === "LogicalExpression" && e.operator === "&&" ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

const within = (inner: t.Node, outer: t.Node) => start(outer) <= start(inner) && end(inner) <= end(outer);

/**
 * Where `name` is read with no check that it is set: not `if (name ...) { ... }`, `name && ...`, `name?.x`, nor after
 * `name = <value>` earlier in the same block (or a block around it, in the same function). Assignments to it are not
 * reads; `except` are statements left out (those the fix removes).
 */
function uncheckedRead(program: t.Node, name: string, except: t.Node[]): t.Node | undefined {
  let found: t.Node | undefined;
  walk(program, (node, ancestors) => {
    if (found || except.includes(node)) return false;
    if (node.type !== "Identifier" || node.name !== name) return;
    const parent = ancestors[ancestors.length - 1];
    if ((parent?.type === "AssignmentExpression" && parent.left === node) || (parent?.type === "VariableDeclarator" && parent.id === node))
      return;
    if (
      (parent?.type === "MemberExpression" || parent?.type === "OptionalMemberExpression") &&
      parent.property === node &&
      !parent.computed
    )
      return;
    if ((parent?.type === "OptionalMemberExpression" || parent?.type === "OptionalCallExpression") && parent.optional) return;
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const a = ancestors[i]!;
      const child = ancestors[i + 1] ?? node;
      if (a.type === "IfStatement" || a.type === "ConditionalExpression" || (a.type === "LogicalExpression" && a.operator === "&&")) {
        const test = a.type === "LogicalExpression" ? a.left : a.test;
        const list = conjuncts(test);
        if (within(node, test)) {
          // In the test: a check itself, or after one in the chain.
          const at = list.findIndex((c) => within(node, c));
          if (at >= 0 && list.slice(0, at + 1).some((c) => checksSet(c, name))) return;
        } else if (a.type !== "IfStatement" || child === a.consequent) {
          if (list.some((c) => checksSet(c, name)) && !(a.type === "ConditionalExpression" && child === a.alternate)) return;
        }
      }
      if (a.type === "BlockStatement" || a.type === "Program") {
        const index = a.body.indexOf(child as t.Statement);
        const set = a.body.slice(0, Math.max(index, 0)).some((s) => {
          if (s.type !== "ExpressionStatement" || s.expression.type !== "AssignmentExpression") return false;
          const e = s.expression;
          const value = unwrap(e.right);
          return (
            e.left.type === "Identifier" &&
            e.left.name === name &&
            value.type !== "NullLiteral" &&
            !(value.type === "Identifier" && value.name === "undefined")
          );
        });
        if (set) return;
      }
      if (isFunction(a)) break;
    }
    found = node;
  });
  return found;
}

/**
 * The fix of a server made before the block that connects it to one stateless transport (the shape of
 * @aashari/mcp-server-atlassian-jira@3.3.0, dist/index.js, and of its src/index.ts): `run` is its creation and the
 * statements after it that set it up (those that reference it; the others, logger lines, stay where they are). Safe,
 * and so fixed, when all of these hold (else the reason is reported and nothing moves):
 * - every statement between the creation and the block holding the transport that references the server is a plain
 *   expression statement on lines of its own, which neither assigns the server nor awaits (it moves into a factory
 *   that runs at the creation's place, then once per request);
 * - the creation and its setup read no `this`/`arguments`, no name declared after the creation in that block, and no
 *   name assigned anywhere but before the creation in the same function (a server made per request must be made from
 *   the same values), nor a multi-line template literal (the moved lines are re-indented); the statements that stay
 *   between the creation and the last setup statement (they now run after the setup) neither await nor use a name the
 *   setup reads;
 * - in the blocks from the creation's down to the transport's, the server is used only by the connect and by
 *   `return server` (setup done there would not reach the per-request servers); the request handler does not use the
 *   server itself, only the transport; it has a block body, is not a generator, and names its response parameter;
 * - the transport is a const used only by the connect, the handlers and statements `alias = transport`: each alias is
 *   a plain name that is read nowhere without a check that it is set (it stays unset once the transport is made per
 *   request; the per-request transports are closed when their response closes).
 */
function factorySite(
  file: SourceFile,
  fn: t.Function,
  made: MadeBefore,
  server: string,
  transport: NonNullable<ReusedServer["transport"]>,
  handlers: t.Function[],
): ReusedServer {
  const site: ReusedServer = { file, name: server, line: lineOf(made.made), handlerLine: lineOf(handlers[0]!), transport };
  const program = file.ast.program;
  const from = made.block.indexOf(made.made);
  const between = made.block.slice(from + 1, made.block.indexOf(made.holder));
  const setup = between.filter((s) => references(s, server));
  const run = [made.made, ...setup];
  const plain = setup.find((s) => s.type !== "ExpressionStatement" || !ownLines(file.code, s));
  const reassigns = setup.find((s) => assignments(s).some((a) => a.name === server && !a.fn));
  const awaits = run.find((s) => hasTopLevelAwait(s));
  const read = new Set<string>();
  for (const s of run) for (const name of namesRead(s === made.made ? creationOf(s, server)! : s)) read.add(name);
  read.delete(server);
  // Names the setup would read before they exist, once it runs at the creation's place.
  const declaredAfter = new Set<string>();
  for (const s of between) {
    if (s.type === "VariableDeclaration") for (const d of s.declarations) for (const name of namesRead(d.id)) declaredAfter.add(name);
    if (s.type === "ClassDeclaration" && s.id) declaredAfter.add(s.id.name);
  }
  const early = [...read].find((name) => declaredAfter.has(name));
  // The statements that stay between the creation and the last setup statement (logger lines) now run after the setup:
  // none may await, nor use a name the setup reads (`config.load()` before a setup that reads config).
  const last = setup[setup.length - 1];
  const passed = last ? between.slice(0, between.indexOf(last)).filter((s) => !setup.includes(s)) : [];
  const overtaken = passed
    .map((s) => ({ s, name: hasTopLevelAwait(s) ? undefined : [...namesRead(s)].find((name) => read.has(name)) }))
    .find(({ s, name }) => name !== undefined || hasTopLevelAwait(s));
  // Assigned anywhere but in this function's own statements before the creation: per request it could read another value.
  const changed = assignments(program).find((a) => read.has(a.name) && !(a.fn === fn && end(a.node) <= start(made.made)));
  const transportName = transport.name;
  // In the blocks from the creation's down to the transport's: the server only connected or returned.
  const allowed = new Set<t.Node>([transport.connect]);
  const onPath = made.path.flatMap(({ body, child }) =>
    body !== made.block ? body.filter((s) => s !== child) : body === made.path[0]!.body ? body.slice(body.indexOf(child) + 1) : [],
  );
  const usedOnPath = onPath.find(
    (s) =>
      !allowed.has(s) &&
      !(s.type === "ReturnStatement" && s.argument?.type === "Identifier" && s.argument.name === server) &&
      referencesOutside(s, handlers, server),
  );
  // The transport: used by its connect, the handlers, and `alias = transport` statements of its block.
  const block = made.path[0]!.body;
  const aliases = block.filter(
    (s): s is t.ExpressionStatement =>
      s.type === "ExpressionStatement" &&
      s.expression.type === "AssignmentExpression" &&
      s.expression.operator === "=" &&
      s.expression.right.type === "Identifier" &&
      s.expression.right.name === transportName,
  );
  const badAlias = aliases.find((s) => (s.expression as t.AssignmentExpression).left.type !== "Identifier" || !ownLines(file.code, s));
  const transportElsewhere = block.find(
    (s) =>
      s !== transport.statement &&
      s !== transport.connect &&
      !aliases.includes(s as t.ExpressionStatement) &&
      referencesOutside(s, handlers, transportName),
  );
  let unchecked: { alias: string; statement: t.Statement; read: t.Node } | undefined;
  for (const s of aliases) {
    const left = (s.expression as t.AssignmentExpression).left;
    if (left.type !== "Identifier") continue;
    const node = uncheckedRead(program, left.name, aliases);
    if (node) {
      unchecked = { alias: left.name, statement: s, read: node };
      break;
    }
  }
  // What each handler hands handleRequest as the response (`res`, `reply.raw`): a node ServerResponse, closed per request.
  const response = handlers.map((h) => {
    let path: string | undefined;
    walk(h.body, (node) => {
      if (path !== undefined || node.type !== "CallExpression" || memberPath(node.callee) !== `${transportName}.handleRequest`) return;
      path = memberPath(node.arguments[1]) ?? "";
    });
    const root = path?.split(".")[0];
    return path && h.params.some((p) => p.type === "Identifier" && p.name === root) && !assignments(h.body).some((a) => a.name === root)
      ? path
      : undefined;
  });
  // A function in the setup that declares the server's name itself (the setup's references are renamed in the factory).
  const ownName = run.some((s) => {
    let found = false;
    walk(s, (node) => {
      if (found) return false;
      if (isFunction(node) && declaresName(node, server)) found = true;
      if (node.type === "ClassDeclaration" || node.type === "ClassExpression") found ||= references(node, server);
    });
    return found;
  });
  const handlerOutside = handlers.find((h) => !block.some((s) => s !== transport.statement && within(h, s)));
  const handlerUses = handlers.find((h) => referencesOutside(h.body, [], server));
  if (transport.statement.type === "VariableDeclaration" && transport.statement.kind !== "const")
    site.reason = `${transportName} is not a const`;
  else if (plain)
    site.reason = `line ${lineOf(plain)} uses ${server} between its creation and the connect, and is not a statement on lines of its own that can move into a factory`;
  else if (reassigns) site.reason = `line ${lineOf(reassigns)} assigns ${server} in its setup`;
  else if (awaits) site.reason = `the setup of ${server} awaits (line ${lineOf(awaits)})`;
  else if (run.some((s) => usesOwnContext(s))) site.reason = `the setup of ${server} uses this or arguments`;
  else if (run.some((s) => hasMultilineTemplate(s)) || hasMultilineTemplate(transport.statement))
    site.reason = `the setup of ${server} or ${transportName} has a multi-line template literal`;
  else if (early) site.reason = `the setup of ${server} reads ${early}, which is declared after ${server} is made`;
  else if (overtaken)
    site.reason = overtaken.name
      ? `line ${lineOf(overtaken.s)}, between the creation of ${server} and its setup, uses ${overtaken.name}, which the setup reads: the setup would run before it`
      : `line ${lineOf(overtaken.s)}, between the creation of ${server} and its setup, awaits: the setup would run before it`;
  else if (changed)
    site.reason = `the setup of ${server} reads ${changed.name}, which is assigned at line ${lineOf(changed.node)}: a server made per request could be made from another value`;
  else if (usedOnPath)
    site.reason = `${server} is used at line ${lineOf(usedOnPath)}, in the block that connects it, other than by connect and return`;
  else if (handlerOutside) site.reason = `the request handler of line ${lineOf(handlerOutside)} is outside the block of ${transportName}`;
  else if (handlerUses) site.reason = `the request handler uses ${server} itself, not only through ${transportName}`;
  else if (transportElsewhere) site.reason = `${transportName} is used outside the request handler (line ${lineOf(transportElsewhere)})`;
  else if (badAlias) site.reason = `line ${lineOf(badAlias)} keeps ${transportName} somewhere other than a plain name`;
  else if (unchecked)
    site.reason = `${unchecked.alias} (set to ${transportName} at line ${lineOf(unchecked.statement)}) is read at line ${lineOf(unchecked.read)} without a check that it is set: with a transport per request it stays unset`;
  else if (handlers.some((h) => h.body.type !== "BlockStatement")) site.reason = "the request handler has no block body";
  else if (handlers.some((h) => h.generator)) site.reason = "the request handler is a generator";
  else if (response.some((p) => p === undefined))
    site.reason = `the request handler does not hand ${transportName}.handleRequest its response parameter (or a property of it) by name`;
  else if (ownName) site.reason = `a function or class in the setup of ${server} has a ${server} of its own`;
  else if (![made.made, transport.statement, transport.connect].every((s) => ownLines(file.code, s)))
    site.reason = `the creation of ${server} or ${transportName} shares its lines with other statements`;
  else
    site.fix = {
      run,
      handlers,
      factory: { aliases, response: response as string[] },
    };
  return site;
}

/**
 * The fix of a server handed to another module's request handler: the
 * server's creation and every statement after it up to the statement that
 * hands it over move into a factory (the top-level name stays, made by the
 * factory, for its other uses: stdio, signals); the factory is passed along
 * as a new last argument, and the request handler builds its server from it.
 * Safe only when the statements moved are setup (they reference the server or
 * declare names only they use), the function is called from that one place,
 * and the call passes every parameter it declares.
 */
function acrossModules(
  file: SourceFile,
  statement: t.Statement,
  kind: string,
  index: number,
  name: string,
  passed: NonNullable<ReturnType<typeof passedToHandler>>,
  files: SourceFile[],
): ReusedServer {
  const site: ReusedServer = {
    file,
    name,
    line: lineOf(statement),
    handlerLine: passed.handlerLine,
    across: { call: passed.call, argument: passed.argument, file: passed.file, fn: passed.fn, handler: passed.handler },
  };
  const body = file.ast.program.body;
  const until = body.findIndex((s, i) => i > index && start(s) <= start(passed.call) && end(passed.call) <= end(s));
  const run = until > index ? body.slice(index, until) : [];
  const declared = new Set<string>();
  for (const s of run.slice(1))
    if (s.type === "VariableDeclaration") for (const d of s.declarations) if (d.id.type === "Identifier") declared.add(d.id.name);
  const setup = run
    .slice(1)
    .every(
      (s) =>
        (s.type === "ExpressionStatement" && (references(s, name) || [...declared].some((d) => references(s, d)))) ||
        (s.type === "VariableDeclaration" && s.kind === "const" && s.declarations.every((d) => d.id.type === "Identifier")),
    );
  const usedAfter = [...declared].some((d) => body.slice(until).some((s) => references(s, d)));
  const calls = files.reduce((n, f) => n + countCalls(f, passed.file, passed.callee), 0);
  const where = `${name} is passed to ${passed.callee}() (${file.rel}:${lineOf(passed.call)}), whose request handler at ${passed.file.rel}:${passed.handlerLine} connects it to a new transport per request`;
  const reason =
    kind !== "const"
      ? `${name} is not a const`
      : run.length === 0
        ? `${where}, and the call is not at the top level of ${file.rel}`
        : !setup
          ? `${where}, and statements between its creation and that call are not only its setup`
          : usedAfter
            ? `${where}, and names its setup declares are used after that call`
            : run.some((s) => hasTopLevelAwait(s))
              ? `the setup of ${name} awaits at the top level`
              : run.some((s) => hasMultilineTemplate(s))
                ? `the setup of ${name} has a multi-line template literal`
                : calls !== 1
                  ? `${where}, and ${passed.callee}() is called from ${calls} places`
                  : passed.fn.params.length !== passed.call.arguments.length || passed.fn.params.some((p) => p.type !== "Identifier")
                    ? `${where}, and the call does not pass every parameter ${passed.callee}() declares`
                    : passed.handler.body.type !== "BlockStatement"
                      ? "the request handler has no block body"
                      : undefined;
  if (reason) site.reason = reason;
  else site.fix = { run, handlers: [passed.handler] };
  return site;
}

/** Calls of `callee` (imported from `target`) in `file`. */
function countCalls(file: SourceFile, target: SourceFile, callee: string): number {
  let n = 0;
  walk(file.ast.program, (node) => {
    if (node.type !== "CallExpression" || node.callee.type !== "Identifier") return;
    const binding = file.imports.get(node.callee.name);
    if (binding?.imported === callee && resolveModule(file, binding.source, [target]) === target) n++;
    else if (file === target && node.callee.name === callee) n++;
  });
  return n;
}

/**
 * `startHttp(server)` where `startHttp` is a function of another of the
 * project's modules (`export function startHttp(server) { app.post("/mcp",
 * async (req, res) => { const transport = new StreamableHTTPServerTransport(...);
 * await server.connect(transport); ... }) }`): one server, a new transport per request.
 */
function passedToHandler(
  file: SourceFile,
  name: string,
  files: SourceFile[],
):
  | { callee: string; call: t.CallExpression; argument: number; file: SourceFile; fn: t.Function; handler: t.Function; handlerLine: number }
  | undefined {
  let result: ReturnType<typeof passedToHandler>;
  walk(file.ast.program, (node) => {
    if (result) return false;
    if (node.type !== "CallExpression" || node.callee.type !== "Identifier") return;
    const index = node.arguments.findIndex((a) => a.type === "Identifier" && a.name === name);
    if (index < 0) return;
    const callee = node.callee.name;
    const binding = file.imports.get(callee);
    const target =
      binding && binding.imported !== "*" && binding.imported !== "default" ? resolveModule(file, binding.source, files) : undefined;
    const fn = target && exportedFunction(target, binding?.imported ?? "");
    const param = fn?.params[index];
    if (!target || !fn || param?.type !== "Identifier") return;
    const handler = connectsPerRequest(fn, param.name);
    if (handler && binding)
      result = { callee: binding.imported, call: node, argument: index, file: target, fn, handler, handlerLine: lineOf(handler) };
  });
  return result;
}

function exportedFunction(file: SourceFile, name: string): t.Function | undefined {
  for (const statement of file.ast.program.body) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : undefined;
    if (declaration?.type === "FunctionDeclaration" && declaration.id?.name === name) return declaration;
  }
  return undefined;
}

/** The function inside `fn` that makes a new MCP transport and connects `server` (not shadowed) to it. */
function connectsPerRequest(fn: t.Function, server: string): t.Function | undefined {
  let handler: t.Function | undefined;
  walk(fn.body, (node) => {
    if (handler) return false;
    if (!isFunction(node) || declaresName(node, server)) return;
    let transport = false;
    let connects = false;
    walk(node.body, (inner) => {
      if (inner !== node && isFunction(inner)) return false;
      if (inner.type === "NewExpression" && inner.callee.type === "Identifier" && MCP_TRANSPORTS.has(inner.callee.name)) transport = true;
      if (inner.type === "CallExpression" && memberPath(inner.callee) === `${server}.connect`) connects = true;
    });
    if (transport && connects) handler = node;
  });
  return handler;
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
    if (statement.type !== "VariableDeclaration") continue;
    const stateless = statelessTransport(statement);
    if (!stateless) continue;
    const { name, init } = stateless;
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

/** Names of an HTTP server or runner for MCP that a package exports (`StreamableHttpRunner`, `MCPHttpServer`). */
const HTTP_RUNNER_NAME = /^(?:[A-Z]\w*)?(?:StreamableHttp|Http)\w*(?:Runner|Server)$|^StreamableHttp\w*$/i;

/**
 * An MCP server over HTTP that lives in one of the project's dependencies
 * rather than in its own code: the project imports or re-exports an HTTP
 * runner or server from a package (`export { StreamableHttpRunner } from
 * "@mongodb-js/mcp-http-runners"`). add edits the project's code, not what is
 * in node_modules, so it can only name the package.
 */
export function findHttpFromDependency(files: SourceFile[]): { file: string; line: number; source: string; names: string[] } | undefined {
  for (const file of files) {
    for (const statement of file.ast.program.body) {
      if (statement.type !== "ImportDeclaration" && statement.type !== "ExportNamedDeclaration") continue;
      const source = statement.source?.value;
      if (!source || source.startsWith(".") || source.startsWith(SDK_V1) || SDK_V2.some((v2) => source.startsWith(v2))) continue;
      const names: string[] = [];
      for (const sp of statement.specifiers) {
        // What the package exports under that name: `imported` of an import, `local` of a re-export.
        const exported = sp.type === "ImportSpecifier" ? sp.imported : sp.type === "ExportSpecifier" ? sp.local : undefined;
        const name = exported ? (exported.type === "Identifier" ? exported.name : exported.value) : undefined;
        if (name && HTTP_RUNNER_NAME.test(name) && !MCP_TRANSPORTS.has(name)) names.push(name);
      }
      if (names.length > 0) return { file: file.rel, line: lineOf(statement), source, names };
    }
  }
  return undefined;
}

/** `req.headers.authorization`, `req.headers["authorization"]`, `req.get("authorization")`, `req.header("Authorization")`. */
function readsAuthorization(node: t.Node): boolean {
  if (node.type === "MemberExpression" || node.type === "OptionalMemberExpression") {
    const key = node.computed ? stringValue(node.property) : node.property.type === "Identifier" ? node.property.name : undefined;
    const object = unwrap(node.object);
    const onHeaders =
      (object.type === "MemberExpression" || object.type === "OptionalMemberExpression") &&
      !object.computed &&
      object.property.type === "Identifier" &&
      object.property.name === "headers";
    return onHeaders && key?.toLowerCase() === "authorization";
  }
  if (node.type === "CallExpression" && node.callee.type === "MemberExpression" && node.callee.property.type === "Identifier") {
    return (
      ["get", "header"].includes(node.callee.property.name) && stringValue(node.arguments[0] as t.Node)?.toLowerCase() === "authorization"
    );
  }
  return false;
}

/**
 * Where an MCP route's handler reads the Authorization header itself (in the
 * handler, or in a function of the same file it calls): the project takes the
 * bearer token as a credential of its own (an upstream API key or OAuth token).
 * Once add puts OAuth in front, that header carries the MCP access token.
 */
export function findAuthorizationReaders(routes: RouteSite[], endpoint?: string): { file: string; line: number }[] {
  const found = new Map<string, { file: string; line: number }>();
  for (const route of routes) {
    if (!route.mcp && (endpoint === undefined || route.path !== endpoint)) continue;
    const local = new Map<string, t.Function>();
    walk(route.file.ast.program, (node) => {
      if (node.type === "FunctionDeclaration" && node.id) local.set(node.id.name, node);
      if (node.type === "VariableDeclarator" && node.id.type === "Identifier" && node.init && isFunction(unwrap(node.init)))
        local.set(node.id.name, unwrap(node.init) as t.Function);
    });
    const seen = new Set<t.Node>();
    const visit = (root: t.Node, depth: number) => {
      if (seen.has(root) || depth > 2) return;
      seen.add(root);
      walk(root, (node) => {
        if (readsAuthorization(node)) {
          const line = lineOf(node);
          found.set(`${route.file.rel}:${line}`, { file: route.file.rel, line });
        }
        if (node.type === "CallExpression" && node.callee.type === "Identifier") {
          const fn = local.get(node.callee.name);
          if (fn) visit(fn, depth + 1);
        }
      });
    };
    for (const handler of route.handlers) visit(handler, 0);
  }
  return [...found.values()];
}

/** An Express app made by the MCP SDK's own helper (`createMcpExpressApp()`), with what add needs to say about it. */
export interface SdkExpressApp {
  file: string;
  line: number;
  app: string;
  /** Routes registered in a loop over a list of paths, one handler for all: `for (const p of ["/mcp", "/sse"]) app.post(p, handle)`. */
  loop?: { line: number; paths: string[] };
  /** Where the app's POST handler reads the Authorization header itself (the bearer token as a credential of its own). */
  bearer?: { line: number };
}

/**
 * The shape of figma-developer-mcp: `const app = createMcpExpressApp(...)`
 * (@modelcontextprotocol/sdk/server/express.js), routes registered on it in a
 * loop over "/mcp" and "/sse", and a POST handler that takes the request's
 * `Authorization: Bearer` token as the user's own upstream token. Handlers
 * named by an identifier are looked up in the function that registers them,
 * then at the top level; functions they call at the top level, two deep.
 */
export function findSdkExpressApp(files: SourceFile[]): SdkExpressApp | undefined {
  for (const file of files) {
    const creators = [...file.imports].filter(
      ([, b]) => b.imported === "createMcpExpressApp" && (b.source.startsWith(SDK_V1) || SDK_V2.some((v2) => b.source.startsWith(v2))),
    );
    if (creators.length === 0) continue;
    const names = new Set(creators.map(([local]) => local));
    let found: SdkExpressApp | undefined;
    walk(file.ast.program, (node, ancestors) => {
      if (found) return false;
      if (node.type !== "VariableDeclarator" || node.id.type !== "Identifier" || !node.init) return;
      const init = unwrap(node.init);
      if (init.type !== "CallExpression" || init.callee.type !== "Identifier" || !names.has(init.callee.name)) return;
      const app = node.id.name;
      const scope = [...ancestors].reverse().find((a) => isFunction(a)) ?? file.ast.program;
      const site: SdkExpressApp = { file: file.rel, line: lineOf(node), app };
      const postHandlers: t.Node[] = [];
      walk(scope, (inner) => {
        if (inner.type !== "ForOfStatement") return;
        const right = unwrap(inner.right);
        const left = inner.left.type === "VariableDeclaration" ? inner.left.declarations[0]?.id : inner.left;
        if (right.type !== "ArrayExpression" || left?.type !== "Identifier") return;
        const paths = right.elements.map((e) => (e ? stringValue(e) : undefined));
        if (paths.some((p) => p === undefined)) return;
        walk(inner.body, (call) => {
          if (call.type !== "CallExpression" || call.callee.type !== "MemberExpression") return;
          const method = memberPath(call.callee);
          const [first, ...rest] = call.arguments;
          if (first?.type !== "Identifier" || first.name !== left.name || !method?.startsWith(`${app}.`)) return;
          site.loop ??= { line: lineOf(inner), paths: paths as string[] };
          if (/\.(post|all)$/.test(method)) postHandlers.push(...(rest as t.Node[]));
        });
      });
      // Direct registrations too: app.post("/mcp", handler).
      walk(scope, (call) => {
        if (call.type !== "CallExpression" || !/\.(post|all)$/.test(memberPath(call.callee) ?? "")) return;
        if (memberPath(call.callee)?.split(".")[0] !== app || stringValue(call.arguments[0] as t.Node) === undefined) return;
        postHandlers.push(...(call.arguments.slice(1) as t.Node[]));
      });
      const resolve = (name: string): t.Node | undefined => {
        let fn: t.Node | undefined;
        const look = (root: t.Node) =>
          walk(root, (n) => {
            if (fn) return false;
            if (n.type === "FunctionDeclaration" && n.id?.name === name) fn = n;
            if (n.type === "VariableDeclarator" && n.id.type === "Identifier" && n.id.name === name && n.init && isFunction(unwrap(n.init)))
              fn = unwrap(n.init);
            // Names declared inside nested functions are not in scope here.
            if (n !== root && isFunction(n)) return false;
          });
        if (scope !== file.ast.program) look(isFunction(scope) ? scope.body : scope);
        if (!fn)
          for (const statement of file.ast.program.body) {
            const d = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
            if (d?.type === "FunctionDeclaration" && d.id?.name === name) fn = d;
            if (d?.type === "VariableDeclaration")
              for (const v of d.declarations)
                if (v.id.type === "Identifier" && v.id.name === name && v.init && isFunction(unwrap(v.init))) fn = unwrap(v.init);
          }
        return fn;
      };
      const seen = new Set<t.Node>();
      const visit = (root: t.Node | undefined, depth: number) => {
        if (!root || seen.has(root) || depth > 2 || site.bearer) return;
        seen.add(root);
        walk(root, (n) => {
          if (site.bearer) return false;
          if (readsAuthorization(n)) site.bearer = { line: lineOf(n) };
          if (n.type === "CallExpression" && n.callee.type === "Identifier") visit(resolve(n.callee.name), depth + 1);
        });
      };
      for (const handler of postHandlers) visit(handler.type === "Identifier" ? resolve(handler.name) : handler, 0);
      found = site;
    });
    if (found) return found;
  }
  return undefined;
}
