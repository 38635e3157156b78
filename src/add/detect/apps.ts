/** Where the app is created (`const app = express()`), per framework of the pattern table. */
import { end, lineOf, memberPath, start, type t, unwrap, walk } from "../ast.js";
import { ADD_PATTERNS, type AddPattern } from "../patterns.js";
import { calleeBinding, requireSource } from "./sources.js";
import type { AppSite, SourceFile } from "./types.js";

function matchesCreator(file: SourceFile, pattern: AddPattern, expression: t.Node): boolean {
  const node = unwrap(expression);
  if (node.type !== "CallExpression" && node.type !== "NewExpression") return false;
  // `require("fastify")(options)`
  const direct = requireSource(node.callee);
  if (direct && node.type === "CallExpression")
    return pattern.creators.some((c) => c.source === direct && c.kind === "call" && c.imported === "default");
  const binding = calleeBinding(file, node.callee);
  if (!binding) return false;
  return pattern.creators.some(
    (c) =>
      c.source === binding.source &&
      c.kind === (node.type === "NewExpression" ? "new" : "call") &&
      (c.imported === binding.imported || (binding.imported === "*" && c.imported === "default" && file.language === "js")),
  );
}

/** `const app = express()` (also `express().use(...)`, exported, or inside a function; `this.app = express()` in a class), per framework. */
export function findApps(file: SourceFile): AppSite[] {
  const found: AppSite[] = [];
  walk(file.ast.program, (node, ancestors) => {
    // `this.app = express()` in a class's constructor or method: the app is `this.app`.
    if (node.type === "ExpressionStatement" && node.expression.type === "AssignmentExpression" && node.expression.operator === "=") {
      const { left, right } = node.expression;
      const name = left.type === "MemberExpression" && left.object.type === "ThisExpression" ? memberPath(left) : undefined;
      const container = ancestors[ancestors.length - 1];
      if (!name || container?.type !== "BlockStatement") return;
      for (const pattern of ADD_PATTERNS) {
        if (!matchesCreator(file, pattern, right)) continue;
        found.push({
          framework: pattern.framework,
          file,
          name,
          line: lineOf(node),
          statement: node,
          text: file.code.slice(start(node), end(node)).split("\n", 1)[0]?.replace(/;$/, "") ?? "",
        });
      }
      return;
    }
    if (node.type !== "VariableDeclaration") return;
    for (const declarator of node.declarations) {
      if (declarator.id.type !== "Identifier" || !declarator.init) continue;
      let root: t.Node = unwrap(declarator.init);
      // `express().use(x)`: the creation is the innermost call of the chain.
      while (
        root.type === "CallExpression" &&
        root.callee.type === "MemberExpression" &&
        (root.callee.object.type === "CallExpression" || root.callee.object.type === "NewExpression")
      ) {
        root = root.callee.object;
      }
      for (const pattern of ADD_PATTERNS) {
        if (!matchesCreator(file, pattern, root)) continue;
        const parent = ancestors[ancestors.length - 1];
        const statement = (parent?.type === "ExportNamedDeclaration" ? parent : node) as t.Statement;
        const container = parent?.type === "ExportNamedDeclaration" ? ancestors[ancestors.length - 2] : parent;
        if (!container || (container.type !== "Program" && container.type !== "BlockStatement")) continue;
        found.push({
          framework: pattern.framework,
          file,
          name: declarator.id.name,
          line: lineOf(node),
          statement,
          text: file.code.slice(start(node), end(node)).split("\n", 1)[0]?.replace(/;$/, "") ?? "",
        });
      }
    }
  });
  return found;
}

/**
 * The apps that are not mounted on another app of the same file
 * (`app.route("/mcp", mcp)` with both `new Hono()`): the sub-app is a router,
 * the outer one is the app. Every app, when none is mounted.
 */
export function outerApps(apps: AppSite[]): AppSite[] {
  const mounted = new Set<AppSite>();
  for (const app of apps) {
    walk(app.file.ast.program, (node) => {
      if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return;
      const object = node.callee.object;
      if (object.type !== "Identifier" || !["route", "use", "mount", "register"].includes((node.callee.property as t.Identifier).name))
        return;
      for (const argument of node.arguments) {
        const inner = apps.find((a) => a !== app && a.file === app.file && argument.type === "Identifier" && argument.name === a.name);
        if (inner && object.name === app.name) mounted.add(inner);
      }
    });
  }
  const outer = apps.filter((a) => !mounted.has(a));
  return outer.length > 0 ? outer : apps;
}
