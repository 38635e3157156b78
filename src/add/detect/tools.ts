/**
 * The tools a project registers, by name: `server.tool` / `registerTool`
 * (the name a literal, a constant, or the `name` of each entry of an array
 * the call is looped over), fastmcp's `addTool`, and the low-level
 * `setRequestHandler(ListToolsRequestSchema, ...)` listing them.
 */
import { lineOf, memberPath, type t, unwrap, walk } from "../ast.js";
import type { SourceFile, ToolSite } from "./types.js";
import { constInit, objectProperty, resolveModule, resolveString } from "./values.js";

export function findTools(file: SourceFile, files: SourceFile[] = [file]): ToolSite[] {
  const tools: ToolSite[] = [];
  const add = (names: string[], node: t.Node) => {
    for (const name of names) tools.push({ name, file: file.rel, line: lineOf(node) });
  };
  walk(file.ast.program, (node, ancestors) => {
    if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression" || node.callee.property.type !== "Identifier") return;
    const method = node.callee.property.name;
    const first = node.arguments[0] as t.Node | undefined;
    if (method === "tool" || method === "registerTool") {
      const name = resolveString(file, first, files);
      if (name) add([name.value], node);
      else if (first)
        add(
          loopedNames(file, first, ancestors, files, (entry) => nameOf(file, entry, files)),
          node,
        );
    } else if (method === "addTool" && first) {
      const own = nameOf(file, first, files);
      if (own.length > 0) add(own, node);
      else
        add(
          loopedNames(file, first, ancestors, files, (entry) => nameOf(file, entry, files)),
          node,
        );
    } else if (method === "setRequestHandler" && first && memberPath(first)?.split(".").pop() === "ListToolsRequestSchema") {
      const handler = node.arguments[1];
      if (handler) add(listedTools(file, handler, files), node);
    }
  });
  return tools;
}

/** The `name` of a tool object: written inline, or a const holding it. */
function nameOf(file: SourceFile, node: t.Node, files: SourceFile[]): string[] {
  const object = objectOf(file, node, files);
  if (!object) return [];
  const name = resolveString(object.file, objectProperty(object.node, "name"), files);
  return name ? [name.value] : [];
}

function objectOf(file: SourceFile, node: t.Node, files: SourceFile[]): { file: SourceFile; node: t.ObjectExpression } | undefined {
  const n = unwrap(node);
  if (n.type === "ObjectExpression") return { file, node: n };
  if (n.type === "Identifier") {
    const init = constInit(file, n.name, n);
    if (init) return objectOf(file, init, files);
    const imported = importedInit(file, n.name, files);
    if (imported) return objectOf(imported.file, imported.node, files);
  }
  // `defineTool({ name, ... })`, `tool({ ... })`: a helper around the object.
  if (n.type === "CallExpression" && n.arguments.length === 1 && n.arguments[0]) return objectOf(file, n.arguments[0] as t.Node, files);
  return undefined;
}

/** The entries of an array: inline, a const, or imported from a project file. */
function arrayEntries(file: SourceFile, node: t.Node, files: SourceFile[], depth = 0): { file: SourceFile; node: t.Node }[] | undefined {
  if (depth > 4) return undefined;
  const n = unwrap(node);
  if (n.type === "ArrayExpression") {
    const entries: { file: SourceFile; node: t.Node }[] = [];
    for (const element of n.elements) {
      if (!element) continue;
      if (element.type === "SpreadElement") entries.push(...(arrayEntries(file, element.argument, files, depth + 1) ?? []));
      else entries.push({ file, node: element });
    }
    return entries;
  }
  if (n.type === "Identifier") {
    const init = constInit(file, n.name, n);
    if (init) return arrayEntries(file, init, files, depth + 1);
    const imported = importedInit(file, n.name, files);
    if (imported) return arrayEntries(imported.file, imported.node, files, depth + 1);
  }
  // `Object.values(TOOLS)`, where TOOLS is an object of tool objects.
  if (n.type === "CallExpression" && memberPath(n.callee) === "Object.values" && n.arguments[0]) {
    const object = objectOf(file, n.arguments[0] as t.Node, files);
    if (object)
      return object.node.properties.flatMap((p) => (p.type === "ObjectProperty" ? [{ file: object.file, node: p.value as t.Node }] : []));
  }
  // `TOOLS.map((t) => ({ ... }))`: the entries of TOOLS.
  if (n.type === "CallExpression" && n.callee.type === "MemberExpression" && memberPath(n.callee)?.endsWith(".map"))
    return arrayEntries(file, n.callee.object, files, depth + 1);
  return undefined;
}

function importedInit(file: SourceFile, name: string, files: SourceFile[]): { file: SourceFile; node: t.Node } | undefined {
  const binding = file.imports.get(name);
  if (!binding || binding.imported === "*" || binding.imported === "default") return undefined;
  const target = resolveModule(file, binding.source, files);
  if (!target) return undefined;
  for (const statement of target.ast.program.body) {
    if (statement.type !== "ExportNamedDeclaration" || statement.declaration?.type !== "VariableDeclaration") continue;
    for (const d of statement.declaration.declarations)
      if (d.id.type === "Identifier" && d.id.name === binding.imported && d.init) return { file: target, node: d.init };
  }
  return undefined;
}

/**
 * `for (const tool of TOOLS) server.tool(tool.name, ...)`, `TOOLS.forEach((t) => server.addTool(t))`:
 * the names of the entries of the array looped over.
 */
function loopedNames(
  file: SourceFile,
  argument: t.Node,
  ancestors: readonly t.Node[],
  files: SourceFile[],
  name: (entry: t.Node) => string[],
): string[] {
  const arg = unwrap(argument);
  // The loop variable: `tool` in `tool.name`, or `tool` itself.
  const variable =
    arg.type === "Identifier"
      ? arg.name
      : (arg.type === "MemberExpression" || arg.type === "OptionalMemberExpression") && arg.object.type === "Identifier"
        ? arg.object.name
        : undefined;
  if (!variable) return [];
  const viaName = arg.type !== "Identifier";
  for (const ancestor of [...ancestors].reverse()) {
    let iterable: t.Node | undefined;
    if (
      ancestor.type === "ForOfStatement" &&
      ancestor.left.type === "VariableDeclaration" &&
      ancestor.left.declarations[0]?.id.type === "Identifier" &&
      ancestor.left.declarations[0].id.name === variable
    )
      iterable = ancestor.right;
    if (
      ancestor.type === "CallExpression" &&
      ancestor.callee.type === "MemberExpression" &&
      ancestor.callee.property.type === "Identifier" &&
      ["forEach", "map"].includes(ancestor.callee.property.name)
    ) {
      const fn = ancestor.arguments[0];
      const param = fn && (fn.type === "ArrowFunctionExpression" || fn.type === "FunctionExpression") ? fn.params[0] : undefined;
      if (param?.type === "Identifier" && param.name === variable) iterable = ancestor.callee.object;
    }
    if (!iterable) continue;
    const entries = arrayEntries(file, iterable, files) ?? [];
    return entries.flatMap((entry) =>
      viaName ? nameOf(entry.file, entry.node, files) : entry.file === file ? name(entry.node) : nameOf(entry.file, entry.node, files),
    );
  }
  return [];
}

/** The names in the `tools` array a ListTools handler returns. */
function listedTools(file: SourceFile, handler: t.Node, files: SourceFile[]): string[] {
  const names: string[] = [];
  let fn = unwrap(handler);
  if (fn.type === "Identifier") fn = constInit(file, fn.name, fn) ?? fn;
  walk(fn, (node) => {
    if (node.type !== "ObjectProperty" || node.computed) return;
    const key = node.key.type === "Identifier" ? node.key.name : undefined;
    if (key !== "tools") return;
    const value = node.shorthand ? node.key : (node.value as t.Node);
    const entries = arrayEntries(file, value, files) ?? [];
    for (const entry of entries) names.push(...nameOf(entry.file, entry.node, files));
    return false;
  });
  return names;
}
