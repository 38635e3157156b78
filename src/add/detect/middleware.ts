/**
 * The project's own middleware in front of its MCP route: security and
 * infrastructure (helmet, CORS, rate limits, request ids, body limits), which
 * the auth step goes after, and auth of its own (a bearer check, passport,
 * express-jwt...), which add names and keeps or replaces.
 */
import { end, lineOf, memberPath, start, type t, unwrap, walk } from "../ast.js";
import { type AddPattern, AUTH_MIDDLEWARE, INFRA_MIDDLEWARE } from "../patterns.js";
import type { AppSite, ExistingAuthSite, InfraSite, OptOut, SourceFile } from "./types.js";
import { constInit, resolveString } from "./values.js";

export interface RouteMiddleware {
  infra: InfraSite[];
  existingAuth: ExistingAuthSite[];
}

type Kind =
  | { kind: "infra"; name: string }
  | {
      kind: "auth";
      name: string;
      switch?: string;
      declaration?: t.Statement;
      imported?: string;
      own?: boolean;
      local?: string;
      lines?: [number, number];
    };

/** The statement list holding `statement` (a Program's or a block's body). */
function containingBody(file: SourceFile, statement: t.Statement): t.Statement[] | undefined {
  let found: t.Statement[] | undefined;
  walk(file.ast.program, (node) => {
    if (found) return false;
    if ((node.type === "Program" || node.type === "BlockStatement") && node.body.includes(statement)) found = node.body;
  });
  return found;
}

/** The package a middleware expression comes from: `helmet()`, `rateLimit({...})`, `passport.authenticate("bearer")`, `cors`. */
function packageOf(file: SourceFile, node: t.Node): string | undefined {
  const n = unwrap(node);
  let callee = n.type === "CallExpression" ? n.callee : n;
  // tsc's CommonJS output calls an import as `(0, cors_1.default)()`.
  if (callee.type === "SequenceExpression") callee = callee.expressions[callee.expressions.length - 1] ?? callee;
  const root = memberPath(callee)?.split(".")[0];
  return root ? file.imports.get(root)?.source : undefined;
}

/** `process.env.NAME` (or `process.env["NAME"]`) read anywhere in `node`: the first name that reads like an auth switch. */
function authSwitch(file: SourceFile, node: t.Node): string | undefined {
  let found: string | undefined;
  walk(node, (n) => {
    if (found || (n.type !== "MemberExpression" && n.type !== "OptionalMemberExpression")) return !found;
    if (memberPath(n.object) !== "process.env") return;
    const name = n.computed ? resolveString(file, n.property)?.value : n.property.type === "Identifier" ? n.property.name : undefined;
    if (name && /AUTH|API_?KEY|TOKEN/i.test(name)) found = name;
  });
  return found;
}

/** Whether a function reads the Authorization header (`req.headers.authorization`, `req.get("Authorization")`, `c.req.header("authorization")`). */
function readsAuthorization(node: t.Node): boolean {
  let found = false;
  walk(node, (n) => {
    if (found) return false;
    if (n.type === "Identifier" && n.name.toLowerCase() === "authorization") found = true;
    if (n.type === "StringLiteral" && n.value.toLowerCase() === "authorization") found = true;
  });
  return found;
}

function isFunctionNode(node: t.Node): node is t.Function {
  return node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression" || node.type === "FunctionDeclaration";
}

/** The top-level statement declaring `name` as a function (or a const holding one). */
function functionDeclaration(file: SourceFile, name: string): { statement: t.Statement; fn: t.Function } | undefined {
  for (const statement of file.ast.program.body) {
    const inner = statement.type === "ExportNamedDeclaration" && statement.declaration ? statement.declaration : statement;
    if (inner.type === "FunctionDeclaration" && inner.id?.name === name) return { statement, fn: inner };
    if (inner.type === "VariableDeclaration" && inner.declarations.length === 1) {
      const [declarator] = inner.declarations;
      const init = declarator?.init && unwrap(declarator.init);
      if (declarator?.id.type === "Identifier" && declarator.id.name === name && init && isFunctionNode(init))
        return { statement, fn: init };
    }
  }
  return undefined;
}

/** The `const name = <fn>` statement whose initializer is `fn`, in any block of the file. */
function localFunction(file: SourceFile, fn: t.Node): { statement: t.Statement; fn: t.Function } | undefined {
  if (!isFunctionNode(fn)) return undefined;
  let found: { statement: t.Statement; fn: t.Function } | undefined;
  walk(file.ast.program, (node) => {
    if (found) return false;
    if (node.type === "VariableDeclaration" && node.declarations.length === 1 && node.declarations[0]?.init === fn)
      found = { statement: node, fn };
  });
  return found;
}

/** What a middleware expression is, when add knows: infrastructure, auth, or neither. */
function classify(file: SourceFile, node: t.Node): Kind | undefined {
  const n = unwrap(node);
  const source = packageOf(file, n);
  if (source && INFRA_MIDDLEWARE[source]) return { kind: "infra", name: nameFor(INFRA_MIDDLEWARE[source], source) };
  if (source && AUTH_MIDDLEWARE[source]) {
    const local = memberPath(n.type === "CallExpression" ? n.callee : n)?.split(".")[0];
    return { kind: "auth", name: AUTH_MIDDLEWARE[source], ...(local ? { imported: local } : {}) };
  }
  if (n.type === "Identifier" && !source) {
    const init = constInit(file, n.name, n);
    if (init && !isFunctionNode(unwrap(init))) return classify(file, init);
    // A function const of the enclosing block (`const authenticateToken = (req, res, next) => {...}` inside a start function).
    const declared = functionDeclaration(file, n.name) ?? (init ? localFunction(file, unwrap(init)) : undefined);
    if (declared && readsAuthorization(declared.fn.body)) {
      const on = authSwitch(file, declared.fn.body);
      return {
        kind: "auth",
        name: `${n.name} (a bearer check of this project)`,
        ...(on ? { switch: on } : {}),
        declaration: declared.statement,
        own: true,
        local: n.name,
        lines: [lineOf(declared.fn), declared.fn.loc?.end.line ?? lineOf(declared.fn)],
      };
    }
  }
  if (isFunctionNode(n) && readsAuthorization(n.body)) {
    const on = authSwitch(file, n.body);
    return {
      kind: "auth",
      name: "an inline bearer check",
      ...(on ? { switch: on } : {}),
      own: true,
      lines: [lineOf(n), n.loc?.end.line ?? lineOf(n)],
    };
  }
  return undefined;
}

function nameFor(what: string, source: string): string {
  return what === source ? what : `${what} (${source})`;
}

/** Whether middleware mounted at `mount` runs for `endpoint`: `"*"`, `"/"`, the endpoint, a prefix of it, `"/mcp/*"`. */
function covers(mount: string, endpoint: string): boolean {
  const base = mount.replace(/\/?\*$/, "").replace(/\/+$/, "");
  return base === "" || endpoint === base || endpoint.startsWith(`${base}/`);
}

/** The registration a statement holds: `app.use(...)`, `await app.register(...)`, on the app itself. */
function registration(statement: t.Statement, app: string): t.CallExpression | undefined {
  if (statement.type !== "ExpressionStatement") return undefined;
  const call = unwrap(statement.expression);
  if (call.type !== "CallExpression" || call.callee.type !== "MemberExpression") return undefined;
  const method = call.callee.property.type === "Identifier" ? call.callee.property.name : undefined;
  if (!method || !["use", "register"].includes(method) || memberPath(call.callee.object) !== app) return undefined;
  return call;
}

/**
 * The range of a whole statement with its own comment above it and its lines
 * (indentation and line break), when it is alone on them; a blank line left
 * doubled by the removal goes too.
 */
function statementRange(code: string, node: t.Node): [number, number] {
  const comment = node.leadingComments?.[0];
  const from = comment?.end != null && code.slice(comment.end, start(node)).trim() === "" ? (comment.start ?? start(node)) : start(node);
  const lineStart = code.lastIndexOf("\n", from - 1) + 1;
  const newline = code.indexOf("\n", end(node));
  const lineEnd = newline === -1 ? code.length : newline + 1;
  if (code.slice(lineStart, from).trim() !== "" || code.slice(end(node), lineEnd).trim() !== "") return [start(node), end(node)];
  const blankBefore = /\n[ \t]*\r?\n$/.test(code.slice(0, lineStart));
  const blankAfter = /^[ \t]*\r?\n/.exec(code.slice(lineEnd));
  return [lineStart, blankBefore && blankAfter ? lineEnd + blankAfter[0].length : lineEnd];
}

/**
 * The middleware in front of the MCP route of `app`: app-level registrations
 * after the app is created (on every path, or on the endpoint's), also inside
 * an `if` on an environment switch, and the middleware arguments of the
 * endpoint's own routes.
 */
export function findRouteMiddleware(
  app: AppSite,
  pattern: AddPattern,
  endpoint: string | undefined,
  files: readonly SourceFile[],
): RouteMiddleware {
  const infra: InfraSite[] = [];
  const existingAuth: ExistingAuthSite[] = [];
  if (!endpoint || pattern.framework === "fastmcp") return { infra, existingAuth };
  const { file } = app;
  const code = file.code;
  const body = containingBody(file, app.statement) ?? [];
  const after = body.slice(body.indexOf(app.statement) + 1);
  const declarations = new Set<t.Statement>();
  /** Local names of auth packages' imports, with the sites using them. */
  const imports = new Map<string, ExistingAuthSite[]>();

  /** `guard.node`: the whole `if` holding only this registration (removed with it); absent for a registration inside a larger if. */
  const onStatement = (
    statement: t.Statement,
    guard?: { node?: t.IfStatement; switch?: string | undefined; optOut?: string | undefined },
  ) => {
    const call = registration(statement, app.name);
    if (!call) return;
    const mount = call.arguments.length >= 2 ? resolveString(file, call.arguments[0]) : undefined;
    if (mount && !covers(mount.value, endpoint)) return;
    const middleware = (mount ? call.arguments.slice(1) : call.arguments) as t.Node[];
    const kinds = middleware.map((m) => classify(file, m));
    for (const [i, kind] of kinds.entries()) {
      if (!kind) continue;
      const line = lineOf(middleware[i]!);
      if (kind.kind === "infra") {
        infra.push({ file, line, name: kind.name, statement: guard?.node ?? statement });
        continue;
      }
      const only = kinds.filter((k) => k?.kind === "auth").length === kinds.length && kinds.length > 0;
      const whole = guard?.node ?? statement;
      const removal: [number, number][] | undefined = only
        ? [statementRange(code, whole)]
        : kinds.length > 1
          ? [[start(middleware[i]!), i + 1 < middleware.length ? start(middleware[i + 1]!) : end(middleware[i]!)]]
          : undefined;
      const site: ExistingAuthSite = { file, line, name: kind.name };
      const on = kind.switch ?? guard?.switch;
      if (on) site.switch = on;
      else if (guard?.optOut) site.optOut = optOutSwitch(files, guard.optOut);
      if (kind.own) site.own = true;
      if (kind.local) site.local = kind.local;
      if (kind.lines) site.lines = kind.lines;
      if (removal && !(i + 1 === middleware.length && !only)) site.removal = removal;
      else site.reason = "it shares its registration with other middleware";
      if (kind.declaration) declarations.add(kind.declaration);
      if (kind.imported) imports.set(kind.imported, [...(imports.get(kind.imported) ?? []), site]);
      existingAuth.push(site);
    }
  };

  // Up to the MCP route (or a router that may hold it): the auth step must go before those.
  for (const statement of after) {
    if (holdsRoute(file, statement, app.name, pattern, endpoint)) break;
    if (statement.type === "IfStatement" && !statement.alternate) {
      const inner = statement.consequent.type === "BlockStatement" ? statement.consequent.body : [statement.consequent];
      const guard = ifGuard(file, statement.test);
      if (inner.length === 1) onStatement(inner[0]!, { node: statement, ...guard });
      else for (const s of inner) onStatement(s, guard);
      continue;
    }
    // `if (!options.disableAuth) { app.use("/mcp", check) } else { console.warn(...) }`: the if and its else stay; the
    // registration alone goes, and a comment takes its place when it was all the block held (no empty block).
    if (statement.type === "IfStatement") {
      const block = statement.consequent.type === "BlockStatement" ? statement.consequent : undefined;
      const inner = block ? block.body : [statement.consequent];
      const count = existingAuth.length;
      for (const s of inner) onStatement(s, ifGuard(file, statement.test));
      for (const site of existingAuth.slice(count)) {
        if (!block) {
          delete site.removal;
          site.reason = `it is the whole branch of an if with an else (line ${lineOf(statement)})`;
        } else if (site.removal && inner.length === 1 && site.removal[0]![0] <= start(inner[0]!) && site.removal[0]![1] >= end(inner[0]!)) {
          site.removal[0] = [start(inner[0]!), end(inner[0]!)];
          site.replacement = `// ${site.local ?? "the project's bearer check"}: replaced on the MCP route by OAuth (create-mcp-auth add --existing-auth replace)`;
        }
      }
      continue;
    }
    onStatement(statement);
  }

  // Middleware on the endpoint's own routes: `app.post("/mcp", limiter, requireKey, handler)`.
  const methods = pattern.routeMethods.filter((m) => m !== "use");
  walk(file.ast.program, (node) => {
    if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return;
    const method = node.callee.property.type === "Identifier" ? node.callee.property.name : "";
    if (!methods.includes(method) || memberPath(node.callee.object) !== app.name || node.arguments.length < 3) return;
    if (resolveString(file, node.arguments[0])?.value !== endpoint) return;
    const middleware = node.arguments.slice(1, -1) as t.Node[];
    for (const [i, m] of middleware.entries()) {
      const kind = classify(file, m);
      if (!kind) continue;
      const line = lineOf(m);
      if (kind.kind === "infra") {
        infra.push({ file, line, name: kind.name });
        continue;
      }
      const next = node.arguments[i + 2]!;
      const site: ExistingAuthSite = { file, line, name: kind.name, removal: [[start(m), start(next)]] };
      if (kind.switch) site.switch = kind.switch;
      if (kind.declaration) declarations.add(kind.declaration);
      if (kind.imported) imports.set(kind.imported, [...(imports.get(kind.imported) ?? []), site]);
      existingAuth.push(site);
    }
  });

  // A bearer check of the project's own goes with its registrations when nothing else uses it.
  for (const declaration of declarations) {
    const name = declaredName(declaration);
    const sites = existingAuth.filter((s) => s.name.startsWith(`${name} `));
    if (!name || sites.some((s) => !s.removal) || references(file, name) !== sites.length + 1) continue;
    sites[0]!.removal!.push(statementRange(code, declaration));
  }
  // An auth package's import goes too when its only specifier is used there alone (strict projects refuse unused imports).
  for (const [local, sites] of imports) {
    const declaration = file.ast.program.body.find(
      (st): st is t.ImportDeclaration => st.type === "ImportDeclaration" && st.specifiers.some((sp) => sp.local.name === local),
    );
    if (declaration?.specifiers.length !== 1 || sites.some((site) => !site.removal)) continue;
    if (references(file, local, declaration) !== sites.length) continue;
    sites[0]!.removal!.push(statementRange(code, declaration));
  }
  return { infra, existingAuth };
}

/** A route for `endpoint` on the app, or a mount of something add cannot tell is only middleware (a router, a plugin). */
function holdsRoute(file: SourceFile, statement: t.Statement, app: string, pattern: AddPattern, endpoint: string): boolean {
  let found = false;
  walk(statement, (node) => {
    if (found) return false;
    if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression" || node.callee.property.type !== "Identifier") return;
    const method = node.callee.property.name;
    if (memberPath(node.callee.object) !== app) return;
    if (["use", "register", "route"].includes(method)) {
      const first = node.arguments[0];
      const mount = node.arguments.length >= 2 ? resolveString(file, first) : undefined;
      if (mount && !covers(mount.value, endpoint)) return;
      const rest = (mount ? node.arguments.slice(1) : node.arguments) as t.Node[];
      if (method === "route" && first?.type === "ObjectExpression") found = true;
      else if (rest.some((m) => unwrap(m).type === "Identifier" && !classify(file, m))) found = true;
      return;
    }
    if (pattern.routeMethods.includes(method) && resolveString(file, node.arguments[0])?.value === endpoint) found = true;
  });
  return found;
}

function declaredName(statement: t.Statement): string | undefined {
  const inner = statement.type === "ExportNamedDeclaration" ? undefined : statement;
  if (inner?.type === "FunctionDeclaration") return inner.id?.name;
  if (inner?.type === "VariableDeclaration" && inner.declarations[0]?.id.type === "Identifier") return inner.declarations[0].id.name;
  return undefined;
}

/** Identifiers named `name` in the file, outside `skip`. */
function references(file: SourceFile, name: string, skip?: t.Node): number {
  let count = 0;
  walk(file.ast.program, (node) => {
    if (node === skip) return false;
    if (node.type === "Identifier" && node.name === name) count++;
  });
  return count;
}

/**
 * What an `if` around a registration says about when the auth is on: an environment switch that turns it on
 * (`if (process.env.AUTH_ENABLED)`), or a condition that turns it off (`if (!options.unsafeDisableAuth)`).
 */
function ifGuard(file: SourceFile, test: t.Node): { switch?: string; optOut?: string } {
  const n = unwrap(test);
  if (n.type === "UnaryExpression" && n.operator === "!") {
    const operand = unwrap(n.argument);
    return { optOut: file.code.slice(start(operand), end(operand)) };
  }
  const on = authSwitch(file, n);
  return on ? { switch: on } : {};
}

/**
 * The command-line switch behind an opt-out condition (`options.unsafeDisableAuth`): the string literal
 * `--unsafe-disable-auth` in the project's code, with where it is. An environment variable
 * (`process.env.DISABLE_AUTH`) is named as one.
 */
function optOutSwitch(files: readonly SourceFile[], optOut: string): OptOut {
  const env = /^process\.env(?:\.([A-Za-z_][\w]*)|\[["']([^"']+)["']\])$/.exec(optOut);
  if (env) return { text: `the environment variable ${env[1] ?? env[2]} is set` };
  const property = /([A-Za-z_$][\w$]*)$/.exec(optOut)?.[1];
  if (property) {
    const flag = `--${property.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()}`;
    for (const file of files) {
      let line: number | undefined;
      walk(file.ast.program, (node) => {
        if (line !== undefined) return false;
        if (node.type === "StringLiteral" && node.value === flag) line = lineOf(node);
      });
      if (line !== undefined) return { text: `the server is started with ${flag}`, flag, at: `${file.rel}:${line}` };
    }
  }
  return { text: `${optOut} holds` };
}
