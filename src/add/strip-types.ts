/**
 * TypeScript -> JavaScript for the auth core `add` writes into JavaScript
 * projects: the types are cut out of the source text and nothing else moves,
 * so comments, blank lines, quotes and layout stay as the template has them
 * (a compiler's printer would drop comments and blank lines). Parameter
 * properties become assignments. Anything this cannot strip faithfully (enum,
 * namespace, `import x = require()`, decorators) is refused by name, so a
 * template change that needs more shows up in the tests at once.
 */
import MagicString from "magic-string";
import { children, end, parseModule, start, type t } from "./ast.js";

export class StripError extends Error {
  constructor(file: string, node: t.Node, what: string) {
    super(`${file}:${node.loc?.start.line ?? "?"}: cannot turn ${what} into JavaScript`);
    this.name = "StripError";
  }
}

const TYPE_ONLY_DECLARATIONS = new Set(["TSInterfaceDeclaration", "TSTypeAliasDeclaration", "TSDeclareFunction"]);
const REFUSED: Record<string, string> = {
  TSEnumDeclaration: "an enum",
  TSModuleDeclaration: "a namespace",
  TSImportEqualsDeclaration: "import = require()",
  TSExportAssignment: "export =",
  Decorator: "a decorator",
  TSParameterProperty: "a parameter property outside a constructor",
};
const MEMBER_MODIFIERS = /\b(?:private|public|protected|readonly|override|declare)\s+/g;

/**
 * `code` without its types. `parsed` gives its tree when the caller has it, and a splice of `code` to make the
 * cuts in (it may hold the caller's own edits already, none of them inside a type).
 */
export function stripTypes(code: string, file = "file.ts", parsed?: { ast: t.File; edits: MagicString }): string {
  const ast = parsed?.ast ?? parseModule(code, "ts", file);
  const s = parsed?.edits ?? new MagicString(code);
  const removedStatements: t.Node[] = [];
  const constructors: t.ClassMethod[] = [];

  /**
   * Removes a whole statement, and for a declaration its own doc comment lines
   * directly above it (an import's comments stay: they may be the file's header).
   */
  const removeStatement = (node: t.Node) => {
    removedStatements.push(node);
    let from = start(node);
    const isImport = node.type === "ImportDeclaration" || (node.type === "ExportNamedDeclaration" && !node.declaration);
    for (const comment of isImport ? [] : [...(node.leadingComments ?? [])].reverse()) {
      const between = code.slice(comment.end, from);
      if (/^[ \t]*\r?\n?[ \t]*$/.test(between)) from = comment.start ?? from;
      else break;
    }
    const lineStart = code.lastIndexOf("\n", from - 1) + 1;
    const before = code.slice(lineStart, from);
    let to = end(node);
    const newline = code.indexOf("\n", to);
    const after = code.slice(to, newline === -1 ? code.length : newline);
    if (/^[ \t]*$/.test(before) && /^[ \t]*(\/\/.*)?$/.test(after)) {
      from = lineStart;
      to = newline === -1 ? code.length : newline + 1;
    }
    s.remove(from, to);
  };

  const removeRange = (from: number, to: number) => {
    if (to > from) s.remove(from, to);
  };

  /** Removes a list item (import/export specifier) with the comma that joins it to its neighbours. */
  const removeListItem = (items: t.Node[], index: number) => {
    const item = items[index]!;
    const next = items[index + 1];
    const previous = items[index - 1];
    if (next) removeRange(start(item), start(next));
    else if (previous) removeRange(end(previous), end(item));
    else removeRange(start(item), end(item));
  };

  const visit = (node: t.Node, parent: t.Node | undefined): void => {
    const refused = REFUSED[node.type];
    if (refused && !(node.type === "TSParameterProperty" && parent?.type === "ClassMethod")) {
      throw new StripError(file, node, refused);
    }

    switch (node.type) {
      case "ImportDeclaration": {
        if (node.importKind === "type") {
          removeStatement(node);
          return;
        }
        const typeSpecifiers = node.specifiers.filter((sp) => sp.type === "ImportSpecifier" && sp.importKind === "type");
        if (typeSpecifiers.length > 0 && typeSpecifiers.length === node.specifiers.length) {
          removeStatement(node);
          return;
        }
        removeSpecifiers(node.specifiers, (sp) => sp.type === "ImportSpecifier" && sp.importKind === "type");
        return;
      }
      case "ExportNamedDeclaration": {
        if (node.exportKind === "type") {
          removeStatement(node);
          return;
        }
        if (node.declaration && (TYPE_ONLY_DECLARATIONS.has(node.declaration.type) || isDeclare(node.declaration))) {
          removeStatement(node);
          return;
        }
        if (!node.declaration) {
          const typeSpecifiers = node.specifiers.filter((sp) => sp.type === "ExportSpecifier" && sp.exportKind === "type");
          if (typeSpecifiers.length > 0 && typeSpecifiers.length === node.specifiers.length) {
            removeStatement(node);
            return;
          }
          removeSpecifiers(node.specifiers, (sp) => sp.type === "ExportSpecifier" && sp.exportKind === "type");
          return;
        }
        break;
      }
      case "TSInterfaceDeclaration":
      case "TSTypeAliasDeclaration":
      case "TSDeclareFunction":
        removeStatement(node);
        return;
      case "VariableDeclaration":
        if (node.declare) {
          removeStatement(node);
          return;
        }
        break;
      case "ClassDeclaration":
      case "ClassExpression": {
        if (node.type === "ClassDeclaration" && node.declare) {
          removeStatement(node);
          return;
        }
        if ("abstract" in node && node.abstract) {
          const keyword = /^abstract\s+/.exec(code.slice(start(node)));
          if (keyword) removeRange(start(node), start(node) + keyword[0].length);
        }
        if (node.implements && node.implements.length > 0) {
          const before = node.superTypeParameters ?? node.superClass ?? node.typeParameters ?? node.id;
          removeRange(before ? end(before) : start(node), end(node.implements[node.implements.length - 1]!));
        }
        break;
      }
      case "ClassProperty":
      case "ClassMethod":
      case "ClassPrivateProperty":
      case "TSDeclareMethod":
      case "ClassAccessorProperty": {
        if (node.type === "TSDeclareMethod" || ("abstract" in node && node.abstract) || ("declare" in node && node.declare)) {
          removeStatement(node);
          return;
        }
        if (node.type === "ClassProperty" && node.definite) {
          const bang = code.indexOf("!", end(node.key));
          if (bang !== -1) removeRange(bang, bang + 1);
        }
        const keyStart =
          node.type === "ClassPrivateProperty" ? start(node.key) : start(node.key) - ("computed" in node && node.computed ? 1 : 0);
        const head = code.slice(start(node), keyStart);
        for (const match of head.matchAll(MEMBER_MODIFIERS)) {
          removeRange(start(node) + match.index, start(node) + match.index + match[0].length);
        }
        if ("optional" in node && node.optional && node.type !== "ClassMethod") removeQuestionMark(end(node.key));
        if (node.type === "ClassMethod" && node.optional) removeQuestionMark(end(node.key));
        if (node.type === "ClassMethod" && node.kind === "constructor") convertParameterProperties(node);
        break;
      }
      case "TSAsExpression":
      case "TSSatisfiesExpression":
      case "TSNonNullExpression":
        // `(a) as T`: the parentheses around the expression stay.
        removeRange(afterClosingParens(end(node.expression), end(node)), end(node));
        visit(node.expression, node);
        return;
      case "TSTypeAssertion":
        removeRange(start(node), parenStart(node.expression));
        visit(node.expression, node);
        return;
      case "TSInstantiationExpression":
        removeRange(end(node.expression), end(node));
        visit(node.expression, node);
        return;
      case "Identifier": {
        if (node.optional) removeQuestionMark(start(node) + node.name.length);
        if (node.typeAnnotation) removeAnnotation(node.typeAnnotation);
        return;
      }
      default:
        break;
    }

    for (const { key, node: child } of children(node)) {
      if (key === "typeAnnotation" && child.type === "TSTypeAnnotation") {
        removeAnnotation(child);
        continue;
      }
      if (
        key === "returnType" ||
        key === "typeParameters" ||
        key === "typeArguments" ||
        key === "superTypeParameters" ||
        key === "implements"
      ) {
        if (key !== "implements") removeRange(start(child), end(child));
        continue;
      }
      if (key === "predicate") continue;
      if (child.type === "Identifier" && child.name === "this" && key === "params") {
        removeThisParam(node, child);
        continue;
      }
      visit(child, node);
    }
  };

  /** After the `)`s (with spaces and comments between) that follow `from`, up to `limit`: they close parentheses the expression opened. */
  function afterClosingParens(from: number, limit: number): number {
    const token = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|\)/y;
    let at = from;
    let after = from;
    while (at < limit) {
      token.lastIndex = at;
      const match = token.exec(code);
      if (!match) break;
      at = token.lastIndex;
      if (match[0] === ")") after = at;
    }
    return Math.min(after, limit);
  }

  /** Where a parenthesized expression's opening parenthesis is (babel records it), else where it starts. */
  function parenStart(node: t.Node): number {
    const extra = node.extra as { parenthesized?: boolean; parenStart?: number } | undefined;
    return extra?.parenthesized && typeof extra.parenStart === "number" ? extra.parenStart : start(node);
  }

  function isDeclare(node: t.Node): boolean {
    return "declare" in node && Boolean((node as { declare?: boolean }).declare);
  }

  function removeAnnotation(annotation: t.Node) {
    removeRange(start(annotation), end(annotation));
  }

  function removeQuestionMark(from: number) {
    const at = code.indexOf("?", from);
    if (at !== -1 && /^\s*$/.test(code.slice(from, at))) removeRange(at, at + 1);
  }

  function removeThisParam(fn: t.Node, param: t.Node) {
    const params = (fn as { params: t.Node[] }).params;
    removeListItem(params, params.indexOf(param));
  }

  function removeSpecifiers(specifiers: t.Node[], isType: (sp: t.Node) => boolean) {
    // Right to left, so each removal sees its neighbours still in place.
    for (let i = specifiers.length - 1; i >= 0; i--) {
      if (!isType(specifiers[i]!)) continue;
      const kept = specifiers.filter((sp, j) => j <= i || !isType(sp));
      removeListItem(kept, kept.indexOf(specifiers[i]!));
    }
  }

  /** `constructor(private readonly config: Config)` -> `constructor(config) { this.config = config; ... }` */
  function convertParameterProperties(ctor: t.ClassMethod) {
    const assignments: string[] = [];
    for (const param of ctor.params) {
      if (param.type !== "TSParameterProperty") continue;
      const inner = param.parameter;
      const name = inner.type === "AssignmentPattern" ? (inner.left as t.Identifier).name : inner.name;
      removeRange(start(param), start(inner));
      assignments.push(`this.${name} = ${name};`);
    }
    if (assignments.length === 0) return;
    constructors.push(ctor);
    const body = ctor.body.body;
    const superCall = body.find(
      (statement) =>
        statement.type === "ExpressionStatement" &&
        statement.expression.type === "CallExpression" &&
        statement.expression.callee.type === "Super",
    );
    const first = body[0];
    const indent = first ? indentationAt(code, start(first)) : `${indentationAt(code, start(ctor))}  `;
    const text = assignments.map((line) => `\n${indent}${line}`).join("");
    s.appendLeft(superCall ? end(superCall) : start(ctor.body) + 1, text);
  }

  for (const statement of ast.program.body) visit(statement, ast.program);
  for (const ctor of constructors) joinParameterLines(ctor);
  void removedStatements;
  return tidy(s.toString());

  /** Parameters that were one per line only because of their modifiers go back on one line. */
  function joinParameterLines(ctor: t.ClassMethod) {
    const open = code.indexOf("(", end(ctor.key));
    const close = code.lastIndexOf(")", start(ctor.body));
    if (open === -1 || close <= open) return;
    const list = s.slice(open + 1, close);
    if (!list.includes("\n") || /\/[/*]/.test(list)) return;
    const joined = list
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .join(" ")
      .replace(/,$/, "");
    if (indentationAt(code, start(ctor)).length + joined.length + "constructor() {".length <= 100) s.overwrite(open + 1, close, joined);
  }
}

function indentationAt(code: string, position: number): string {
  const lineStart = code.lastIndexOf("\n", position - 1) + 1;
  return /^[ \t]*/.exec(code.slice(lineStart))![0];
}

/** Blank lines left where declarations were: at most one in a row, none at the top or before a closing brace. */
function tidy(code: string): string {
  return code
    .replace(/^(?:[ \t]*\r?\n)+/, "")
    .replace(/(\r?\n)(?:[ \t]*\r?\n){2,}/g, "$1$1")
    .replace(/\{(\r?\n)(?:[ \t]*\r?\n)+/g, "{$1")
    .replace(/(\r?\n)(?:[ \t]*\r?\n)+([ \t]*\})/g, "$1$2");
}

export { children };
