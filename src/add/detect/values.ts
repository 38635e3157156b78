/**
 * What a string in the code is worth without running it: a literal, a
 * `const` holding one (in this file or imported from another of the
 * project's files), an env value with a default (`process.env.MCP_PATH ||
 * "/mcp"`, `envs.HTTP_PATH ?? "/mcp"`: the default), a property of a const
 * object, a member of a string enum (TypeScript or compiled). Used for endpoints and tool names.
 */
import path from "node:path";
import { end, memberPath, start, stringValue, type t, unwrap, walk } from "../ast.js";
import type { SourceFile } from "./types.js";

export interface Resolved {
  value: string;
  /** Set when the value came from the environment with this default: the env expression, for messages. */
  env?: string;
}

const MAX_DEPTH = 6;

/** The string `node` evaluates to when nothing is set in the environment, if the code says. */
export function resolveString(
  file: SourceFile,
  node: t.Node | null | undefined,
  files: SourceFile[] = [],
  depth = 0,
): Resolved | undefined {
  if (!node || depth > MAX_DEPTH) return undefined;
  const n = unwrap(node);
  const literal = stringValue(n);
  if (literal !== undefined) return { value: literal };
  // `process.env.MCP_PATH || "/mcp"`, `envs.HTTP_PATH ?? "/mcp"`: the default.
  if (n.type === "LogicalExpression" && (n.operator === "||" || n.operator === "??")) {
    const fallback = resolveString(file, n.right, files, depth + 1);
    if (fallback) return { value: fallback.value, env: file.code.slice(start(n.left), end(n.left)) };
    return undefined;
  }
  if (n.type === "Identifier") {
    const init = constInit(file, n.name, n);
    if (init) return resolveString(file, init, files, depth + 1);
    const imported = importedConst(file, n.name, files);
    if (imported) return resolveString(imported.file, imported.node, files, depth + 1);
    // `function start(createServer, endpoint = "/mcp", port = 1122)`: the parameter's default.
    const fallback = parameterDefault(file, n.name, n);
    if (fallback) {
      const value = resolveString(file, fallback, files, depth + 1);
      if (value) return { value: value.value, env: value.env ?? `the parameter ${n.name}` };
    }
    return undefined;
  }
  // `CONFIG.mcpPath`, where `const CONFIG = { mcpPath: "/mcp" }`; `Routes.MCP` / `Routes["MCP"]` of an enum
  if ((n.type === "MemberExpression" || n.type === "OptionalMemberExpression") && memberName(n) !== undefined) {
    const object = unwrap(n.object);
    if (object.type !== "Identifier") return undefined;
    const key = memberName(n) as string;
    const member = enumMember(file, object.name, key);
    if (member) return resolveString(file, member, files, depth + 1);
    const importedEnum = importedEnumMember(file, object.name, key, files);
    if (importedEnum) return resolveString(importedEnum.file, importedEnum.node, files, depth + 1);
    if (n.computed) return undefined;
    const local = constInit(file, object.name, object);
    const imported = local ? undefined : importedConst(file, object.name, files);
    const init = local ?? imported?.node;
    const owner = imported?.file ?? file;
    const value = init ? unwrap(init) : undefined;
    if (value?.type !== "ObjectExpression") return undefined;
    const property = objectProperty(value, key);
    return property ? resolveString(owner, property, files, depth + 1) : undefined;
  }
  return undefined;
}

/** `a.b` or `a["b"]`: the member's name, when written plainly. */
function memberName(n: t.MemberExpression | t.OptionalMemberExpression): string | undefined {
  if (!n.computed) return n.property.type === "Identifier" ? n.property.name : undefined;
  return stringValue(n.property);
}

/**
 * A member of a string enum declared at the top of `file`: in TypeScript
 * (`enum Routes { MCP = "/mcp" }`, also `export`/`const enum`) or as tsc
 * compiles one (`var Routes; (function (Routes) { Routes["MCP"] = "/mcp"; })(Routes || (Routes = {}));`).
 */
export function enumMember(file: SourceFile, name: string, key: string): t.Node | undefined {
  for (const statement of file.ast.program.body) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type === "TSEnumDeclaration" && declaration.id.name === name) {
      for (const member of declaration.members) {
        const id = member.id.type === "Identifier" ? member.id.name : member.id.value;
        if (id === key) return member.initializer ?? undefined;
      }
      return undefined;
    }
    const compiled = compiledEnumBody(statement, name);
    if (!compiled) continue;
    for (const inner of compiled.body) {
      if (inner.type !== "ExpressionStatement" || inner.expression.type !== "AssignmentExpression") continue;
      const { left, right } = inner.expression;
      if (left.type !== "MemberExpression" || left.object.type !== "Identifier" || left.object.name !== compiled.param) continue;
      if (memberName(left) === key) return right;
    }
  }
  return undefined;
}

/** `(function (Routes) { ... })(Routes || (Routes = {}))`: the function's body and its parameter's name. */
function compiledEnumBody(statement: t.Statement, name: string): { body: t.Statement[]; param: string } | undefined {
  if (statement.type !== "ExpressionStatement") return undefined;
  const call = unwrap(statement.expression);
  if (call.type !== "CallExpression" || call.arguments.length !== 1) return undefined;
  const fn = unwrap(call.callee);
  if ((fn.type !== "FunctionExpression" && fn.type !== "ArrowFunctionExpression") || fn.body.type !== "BlockStatement") return undefined;
  const param = fn.params[0];
  const argument = call.arguments[0] ? unwrap(call.arguments[0] as t.Node) : undefined;
  if (param?.type !== "Identifier" || argument?.type !== "LogicalExpression" || argument.operator !== "||") return undefined;
  const target = unwrap(argument.left);
  if (target.type !== "Identifier" || target.name !== name) return undefined;
  return { body: fn.body.body, param: param.name };
}

/** `import { Routes } from "./const.js"` and `Routes.MCP`: the member's initializer in that file. */
function importedEnumMember(
  file: SourceFile,
  name: string,
  key: string,
  files: SourceFile[],
): { file: SourceFile; node: t.Node } | undefined {
  const binding = file.imports.get(name);
  if (!binding || binding.imported === "*" || binding.imported === "default") return undefined;
  const target = resolveModule(file, binding.source, files);
  const node = target ? enumMember(target, binding.imported, key) : undefined;
  return target && node ? { file: target, node } : undefined;
}

/** The value of `key` in an object literal (`key: value`), if written plainly. */
export function objectProperty(object: t.ObjectExpression, key: string): t.Node | undefined {
  for (const p of object.properties) {
    if (p.type !== "ObjectProperty" || p.computed) continue;
    const name = p.key.type === "Identifier" ? p.key.name : stringValue(p.key);
    if (name === key) return p.value;
  }
  return undefined;
}

/**
 * The initializer of the `const` called `name` that is visible at `use`: the
 * nearest one in an enclosing block, else at the top of the file. A name
 * declared twice in one scope or with `let` is not trusted.
 */
export function constInit(file: SourceFile, name: string, use?: t.Node): t.Node | undefined {
  const candidates: { init: t.Node; scope: t.Node }[] = [];
  walk(file.ast.program, (node, ancestors) => {
    if (node.type !== "VariableDeclaration" || node.kind !== "const") return;
    for (const d of node.declarations) {
      if (d.id.type === "Identifier" && d.id.name === name && d.init) {
        const parent = ancestors[ancestors.length - 1];
        const scope = parent?.type === "ExportNamedDeclaration" ? ancestors[ancestors.length - 2] : parent;
        if (scope) candidates.push({ init: d.init, scope });
      }
    }
  });
  if (candidates.length === 0) return undefined;
  if (!use) return candidates.length === 1 ? candidates[0]?.init : undefined;
  const at = start(use);
  // Innermost enclosing scope first: the one with the latest start that contains the use.
  const visible = candidates
    .filter((c) => c.scope.type === "Program" || (start(c.scope) <= at && at <= end(c.scope)))
    .sort((a, b) => start(b.scope) - start(a.scope));
  return visible[0]?.init;
}

/**
 * The default of a parameter named `name` of the innermost function that encloses `use`
 * (`async (createServer, endpoint = "/mcp") => { app.post(endpoint, ...) }`), unless a name declared in between
 * (a `const` or `let` of the same name) shadows it.
 */
function parameterDefault(file: SourceFile, name: string, use: t.Node): t.Node | undefined {
  const at = start(use);
  let best: { fn: t.Node; init: t.Node } | undefined;
  walk(file.ast.program, (node) => {
    if (
      node.type !== "FunctionDeclaration" &&
      node.type !== "FunctionExpression" &&
      node.type !== "ArrowFunctionExpression" &&
      node.type !== "ObjectMethod" &&
      node.type !== "ClassMethod"
    )
      return;
    if (start(node) > at || at > end(node)) return;
    for (const param of node.params) {
      if (param.type === "Identifier" && param.name === name) best = undefined;
      if (param.type === "AssignmentPattern" && param.left.type === "Identifier" && param.left.name === name) {
        if (!best || start(node) >= start(best.fn)) best = { fn: node, init: param.right };
      }
    }
  });
  return best?.init;
}

/** `import { MCP_PATH } from "./config.js"`: the exported const's initializer in that file. */
function importedConst(file: SourceFile, name: string, files: SourceFile[]): { file: SourceFile; node: t.Node } | undefined {
  const binding = file.imports.get(name);
  if (!binding || binding.imported === "*" || binding.imported === "default") return undefined;
  const target = resolveModule(file, binding.source, files);
  if (!target) return undefined;
  const init = exportedConst(target, binding.imported);
  return init ? { file: target, node: init } : undefined;
}

function exportedConst(file: SourceFile, name: string): t.Node | undefined {
  for (const statement of file.ast.program.body) {
    if (statement.type === "ExportNamedDeclaration" && statement.declaration?.type === "VariableDeclaration") {
      for (const d of statement.declaration.declarations) if (d.id.type === "Identifier" && d.id.name === name && d.init) return d.init;
    }
    // `export { MCP_PATH }`, `module.exports = { MCP_PATH }`, `exports.MCP_PATH = ...`
    if (statement.type === "ExportNamedDeclaration" && !statement.source) {
      for (const sp of statement.specifiers) {
        if (sp.type !== "ExportSpecifier") continue;
        const exported = sp.exported.type === "Identifier" ? sp.exported.name : sp.exported.value;
        if (exported === name) return constInit(file, sp.local.name);
      }
    }
    if (statement.type === "ExpressionStatement" && statement.expression.type === "AssignmentExpression") {
      const { left, right } = statement.expression;
      if (memberPath(left) === `exports.${name}` || memberPath(left) === `module.exports.${name}`) return right;
      if (memberPath(left) === "module.exports" && right.type === "ObjectExpression") {
        const value = objectProperty(right, name);
        if (value?.type === "Identifier") return constInit(file, value.name);
        if (value) return value;
      }
    }
  }
  return undefined;
}

/** The project file a relative import names (`./config.js` may be `config.ts`), if it was read. */
export function resolveModule(from: SourceFile, source: string, files: SourceFile[]): SourceFile | undefined {
  if (!source.startsWith(".")) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from.rel), source));
  const stem = base.replace(/\.(m|c)?js$/, "");
  const tries = [base, ...[".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"].flatMap((ext) => [`${stem}${ext}`, `${base}/index${ext}`])];
  for (const rel of tries) {
    const file = files.find((f) => f.rel === rel);
    if (file) return file;
  }
  return undefined;
}
