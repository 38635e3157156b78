/** The port the server listens on: from PORT (and its fallback), or a literal. */
import { memberPath, stringValue, type t, unwrap, walk } from "../ast.js";
import { detectPortSwitch } from "./start.js";
import type { Detection, FastmcpStart, SourceFile } from "./types.js";
import { constInit, objectProperty } from "./values.js";

/**
 * The port a value holds when nothing is set in the environment: a number,
 * a numeric string, a const holding one, the default of `x || 3333` /
 * `x ?? 3333`, `Number(...)` / `parseInt(...)` of one, a const object's property.
 */
export function portValue(file: SourceFile, node: t.Node | null | undefined, depth = 0): number | undefined {
  if (!node || depth > 6) return undefined;
  const n = unwrap(node);
  if (n.type === "NumericLiteral") return n.value;
  const text = stringValue(n);
  if (text !== undefined) return /^\d+$/.test(text) ? Number(text) : undefined;
  if (n.type === "LogicalExpression" && (n.operator === "||" || n.operator === "??")) return portValue(file, n.right, depth + 1);
  if (n.type === "Identifier") return portValue(file, constInit(file, n.name, n), depth + 1);
  if (n.type === "CallExpression" && ["Number", "parseInt", "Number.parseInt"].includes(memberPath(n.callee) ?? ""))
    return portValue(file, n.arguments[0] as t.Node | undefined, depth + 1);
  if ((n.type === "MemberExpression" || n.type === "OptionalMemberExpression") && !n.computed && n.property.type === "Identifier") {
    const object = unwrap(n.object);
    const init = object.type === "Identifier" ? constInit(file, object.name, object) : undefined;
    const value = init ? unwrap(init) : undefined;
    return value?.type === "ObjectExpression" ? portValue(file, objectProperty(value, n.property.name), depth + 1) : undefined;
  }
  return undefined;
}

/** Does the server take its port from PORT, and which port does it use without it? */
export function detectPort(files: SourceFile[], fastmcpStart: FastmcpStart | undefined): Detection["port"] {
  let fromEnv = false;
  let fallback: number | undefined;
  // A file that never says PORT (or listen, below) has nothing to find: its tree is not walked.
  for (const file of files) {
    if (!file.code.includes("PORT")) continue;
    walk(file.ast.program, (node, ancestors) => {
      if (
        memberPath(node) !== "process.env.PORT" &&
        !(node.type === "MemberExpression" && memberPath(node.object) === "process.env" && stringValue(node.property) === "PORT")
      )
        return;
      fromEnv = true;
      // `process.env.PORT || 3000`, `Number(process.env.PORT ?? 3000)`
      for (const ancestor of [...ancestors].reverse().slice(0, 3)) {
        if (ancestor.type === "LogicalExpression") fallback ??= portValue(file, ancestor.right);
      }
    });
  }
  let literal: number | undefined;
  if (!fromEnv && fastmcpStart) {
    walk(fastmcpStart.call, (node) => {
      if (node.type === "ObjectProperty" && node.key.type === "Identifier" && node.key.name === "port")
        literal ??= portValue(fastmcpStart.file, node.value as t.Node);
    });
  }
  if (!fromEnv && literal === undefined) {
    for (const file of files) {
      if (!file.code.includes("listen")) continue;
      walk(file.ast.program, (node) => {
        if (literal !== undefined || node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return;
        if (node.callee.property.type !== "Identifier" || node.callee.property.name !== "listen") return;
        const arg = node.arguments[0] ? unwrap(node.arguments[0]) : undefined;
        const value = arg?.type === "ObjectExpression" ? portValue(file, objectProperty(arg, "port")) : portValue(file, arg);
        // listen(0) is a port the system picks (a test server's), never where the server is found.
        if (value !== 0) literal = value;
      });
    }
  }
  // A port taken from a command-line option or a function argument: its default, held in a constant
  // named for it (`const DEFAULT_PORT = 3000`), is where the server listens when started as it is.
  if (!fromEnv && literal === undefined) {
    for (const file of files) {
      for (const statement of file.ast.program.body) {
        const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
        if (declaration?.type !== "VariableDeclaration" || declaration.kind !== "const") continue;
        for (const d of declaration.declarations) {
          if (d.id.type !== "Identifier" || !/^(DEFAULT_)?(HTTP_|SERVER_)?PORT$/i.test(d.id.name)) continue;
          const value = d.init?.type === "NumericLiteral" ? d.init.value : undefined;
          if (value !== undefined && value > 0 && value < 65536) literal ??= value;
        }
      }
    }
  }
  // Read from another variable (MCP_HTTP_PORT) or a --port option: the self-check sets it to the port it picks.
  let own: { env?: string; arg?: string; fallback?: number } = fromEnv ? {} : detectPortSwitch(files);
  if (!fromEnv && literal === undefined && !own.env && !own.arg) {
    const helper = portFromEnvHelper(files);
    if (helper?.env) own = helper;
    else if (helper) {
      fromEnv = true;
      fallback = helper.fallback;
    }
  }
  return {
    fromEnv,
    fallback: fallback ?? own.fallback ?? literal ?? 3000,
    literal,
    ...(own.env ? { env: own.env } : {}),
    ...(own.arg ? { arg: own.arg } : {}),
  };
}

/**
 * A port read through a helper that takes variable names, with a default
 * beside it: `pick(argv.port, fromEnv("FRAMELINK_PORT", "PORT"), 3333)`
 * (figma-developer-mcp). The first name other than PORT is the one to set
 * (the helper reads it first); PORT alone is an ordinary PORT.
 */
function portFromEnvHelper(files: SourceFile[]): { env?: string; fallback: number } | undefined {
  let found: { env?: string; fallback: number } | undefined;
  for (const file of files) {
    if (!file.code.includes("PORT")) continue;
    walk(file.ast.program, (node) => {
      if (found) return false;
      if (node.type !== "CallExpression") return;
      for (const argument of node.arguments) {
        const inner = unwrap(argument as t.Node);
        if (inner.type !== "CallExpression" || inner.arguments.length === 0) continue;
        const names = inner.arguments.map((a) => stringValue(a as t.Node));
        if (names.some((n) => n === undefined || !/^(?:[A-Z][A-Z0-9]*_)*PORT$/.test(n))) continue;
        const fallback = node.arguments
          .filter((a) => a !== argument)
          .map((a) => unwrap(a as t.Node))
          .find((a): a is t.NumericLiteral => a.type === "NumericLiteral" && a.value > 0 && a.value < 65536);
        if (!fallback) continue;
        const env = (names as string[]).find((n) => n !== "PORT");
        found = { ...(env ? { env } : {}), fallback: fallback.value };
      }
    });
    if (found) return found;
  }
  return undefined;
}
