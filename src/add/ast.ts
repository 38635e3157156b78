/**
 * The one parser `add` uses: @babel/parser, for TypeScript and JavaScript
 * (ESM and CommonJS). It only finds positions; every change is a splice of
 * the original text (magic-string), so bytes outside an edit never move.
 */
import { type ParserPlugin, parse, parseExpression } from "@babel/parser";
import type * as t from "@babel/types";

export type { t };

export type Language = "ts" | "js";

export function parseModule(code: string, language: Language, file = "file"): t.File {
  const plugins: ParserPlugin[] = language === "ts" ? ["typescript"] : ["jsx"];
  try {
    return parse(code, {
      sourceType: "unambiguous",
      plugins,
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowImportExportEverywhere: false,
      errorRecovery: false,
    });
  } catch (error) {
    const e = error as { message: string; loc?: { line: number; column: number } };
    throw new SyntaxError(`${file}: ${e.message}`);
  }
}

/** A JSON document as an expression, with positions (package.json edits). */
export function parseJsonExpression(code: string): t.Expression {
  return parseExpression(code, { sourceType: "script" });
}

const SKIP_KEYS = new Set([
  "loc",
  "start",
  "end",
  "leadingComments",
  "trailingComments",
  "innerComments",
  "extra",
  "range",
  "tokens",
  "comments",
]);

export function isNode(value: unknown): value is t.Node {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

/** A node's children, worked out once: add walks the same trees many times (each reader of a file walks it again). */
const childrenOf = new WeakMap<t.Node, readonly { key: string; node: t.Node }[]>();

/**
 * The child nodes of `node`, in source order, each with the key it sits under.
 * The list is shared between callers (and kept with the node): read it, never
 * change it, and do not change a node's children after it has been walked.
 */
export function children(node: t.Node): readonly { key: string; node: t.Node }[] {
  const known = childrenOf.get(node);
  if (known) return known;
  const out: { key: string; node: t.Node }[] = [];
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS.has(key)) continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push({ key, node: item });
    } else if (isNode(value)) {
      out.push({ key, node: value });
    }
  }
  out.sort((a, b) => (a.node.start ?? 0) - (b.node.start ?? 0));
  childrenOf.set(node, out);
  return out;
}

/**
 * Visits every node depth first. `visit` returns false (exactly) to skip a node's
 * children. `ancestors` is the path from the root to the node's parent.
 */
export function walk(root: t.Node, visit: (node: t.Node, ancestors: readonly t.Node[]) => unknown): void {
  const stack: t.Node[] = [];
  const go = (node: t.Node) => {
    if (visit(node, stack) === false) return;
    stack.push(node);
    for (const child of children(node)) go(child.node);
    stack.pop();
  };
  go(root);
}

export function findAll<T extends t.Node>(root: t.Node, test: (node: t.Node) => node is T): T[] {
  const found: T[] = [];
  walk(root, (node) => {
    if (test(node)) found.push(node);
  });
  return found;
}

export function start(node: t.Node): number {
  return node.start ?? 0;
}

export function end(node: t.Node): number {
  return node.end ?? 0;
}

export function lineOf(node: t.Node): number {
  return node.loc?.start.line ?? 0;
}

/** A string literal's value, or a template literal without expressions. */
export function stringValue(node: t.Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === "StringLiteral") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** `a.b` as "a.b", `a` as "a"; anything else undefined. */
export function memberPath(node: t.Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === "Identifier") return node.name;
  if (node.type === "ThisExpression") return "this";
  if ((node.type === "MemberExpression" || node.type === "OptionalMemberExpression") && !node.computed) {
    const object = memberPath(node.object);
    return object && node.property.type === "Identifier" ? `${object}.${node.property.name}` : undefined;
  }
  return undefined;
}

/** Strips TS wrappers and parentheses: `(x as Y)!` -> x. */
export function unwrap(node: t.Node): t.Node {
  let current = node;
  for (;;) {
    if (
      current.type === "TSAsExpression" ||
      current.type === "TSSatisfiesExpression" ||
      current.type === "TSNonNullExpression" ||
      current.type === "TSTypeAssertion" ||
      current.type === "ParenthesizedExpression"
    ) {
      current = current.expression;
    } else if (current.type === "AwaitExpression" && current.argument) {
      current = current.argument;
    } else {
      return current;
    }
  }
}

/** Every identifier name used in the file: new names must avoid them. */
export function usedNames(file: t.File): Set<string> {
  const names = new Set<string>();
  walk(file, (node) => {
    if (node.type === "Identifier") names.add(node.name);
  });
  return names;
}

export function freeName(preferred: string, taken: Set<string>): string {
  if (!taken.has(preferred)) return preferred;
  for (let n = 2; ; n++) if (!taken.has(`${preferred}${n}`)) return `${preferred}${n}`;
}
