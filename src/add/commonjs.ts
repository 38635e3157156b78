/**
 * ESM -> CommonJS for the auth core `add` writes into CommonJS projects,
 * written the way a person would: `const { a, b } = require("./x.js");` for
 * each import, declarations without `export`, and one `module.exports = {...}`
 * at the end. Only what the core uses is supported (named imports and
 * exports, namespace and side-effect imports); a default export, `export *`,
 * `import.meta` or top-level await is refused by name.
 */
import MagicString from "magic-string";
import { end, parseModule, start, type t, walk } from "./ast.js";

export class CommonJsError extends Error {
  constructor(file: string, node: t.Node, what: string) {
    super(`${file}:${node.loc?.start.line ?? "?"}: cannot turn ${what} into CommonJS`);
    this.name = "CommonJsError";
  }
}

export function toCommonJs(code: string, file = "file.js"): string {
  const ast = parseModule(code, "js", file);
  const s = new MagicString(code);
  const exported: [exportedName: string, local: string][] = [];
  const raw = (node: t.Node) => code.slice(start(node), end(node));

  walk(ast.program, (node, ancestors) => {
    if (node.type === "MetaProperty" && node.meta.name === "import") throw new CommonJsError(file, node, "import.meta");
    if (node.type === "AwaitExpression" && !ancestors.some(isFunction)) throw new CommonJsError(file, node, "a top-level await");
    if (node.type === "ImportExpression" || (node.type === "CallExpression" && node.callee.type === "Import")) {
      throw new CommonJsError(file, node, "a dynamic import()");
    }
  });

  for (const statement of ast.program.body) {
    switch (statement.type) {
      case "ImportDeclaration": {
        const source = raw(statement.source);
        const named = statement.specifiers.filter((sp): sp is t.ImportSpecifier => sp.type === "ImportSpecifier");
        const namespace = statement.specifiers.find((sp) => sp.type === "ImportNamespaceSpecifier");
        const fallback = statement.specifiers.find((sp) => sp.type === "ImportDefaultSpecifier");
        if (fallback) throw new CommonJsError(file, fallback, "a default import (its CommonJS meaning depends on the package)");
        let text: string;
        if (namespace) text = `const ${namespace.local.name} = require(${source});`;
        else if (named.length === 0) text = `require(${source});`;
        else {
          const open = code.indexOf("{", start(statement));
          const close = code.lastIndexOf("}", start(statement.source));
          // Keep the specifier list as written (one line or several); `a as b` becomes `a: b`.
          const m = new MagicString(code.slice(open, close + 1));
          for (const sp of named) {
            const imported = sp.imported.type === "Identifier" ? sp.imported.name : sp.imported.value;
            if (imported !== sp.local.name) m.overwrite(start(sp) - open, end(sp) - open, `${imported}: ${sp.local.name}`);
          }
          text = `const ${m.toString()} = require(${source});`;
        }
        s.overwrite(start(statement), end(statement), text);
        break;
      }
      case "ExportNamedDeclaration": {
        if (statement.source) throw new CommonJsError(file, statement, "a re-export (export ... from)");
        if (statement.declaration) {
          s.remove(start(statement), start(statement.declaration));
          for (const name of declaredNames(statement.declaration)) exported.push([name, name]);
        } else {
          for (const sp of statement.specifiers) {
            if (sp.type !== "ExportSpecifier") throw new CommonJsError(file, sp, "this export form");
            const name = sp.exported.type === "Identifier" ? sp.exported.name : sp.exported.value;
            exported.push([name, sp.local.name]);
          }
          removeLine(s, code, statement);
        }
        break;
      }
      case "ExportDefaultDeclaration":
        throw new CommonJsError(file, statement, "a default export");
      case "ExportAllDeclaration":
        throw new CommonJsError(file, statement, "export *");
      default:
        break;
    }
  }

  if (exported.length > 0) {
    const members = exported.map(([name, local]) => (name === local ? name : `${name}: ${local}`));
    const oneLine = `module.exports = { ${members.join(", ")} };`;
    const text = oneLine.length <= 100 ? oneLine : `module.exports = {\n${members.map((m) => `  ${m},`).join("\n")}\n};`;
    s.append(`${code.endsWith("\n") ? "" : "\n"}\n${text}\n`);
  }
  return s.toString();
}

function isFunction(node: t.Node): boolean {
  return (
    node.type === "FunctionDeclaration" ||
    node.type === "FunctionExpression" ||
    node.type === "ArrowFunctionExpression" ||
    node.type === "ObjectMethod" ||
    node.type === "ClassMethod" ||
    node.type === "ClassPrivateMethod"
  );
}

function declaredNames(declaration: t.Declaration): string[] {
  if (declaration.type === "FunctionDeclaration" || declaration.type === "ClassDeclaration") {
    return declaration.id ? [declaration.id.name] : [];
  }
  if (declaration.type === "VariableDeclaration") {
    return declaration.declarations.flatMap((d) => patternNames(d.id));
  }
  return [];
}

function patternNames(pattern: t.Node): string[] {
  switch (pattern.type) {
    case "Identifier":
      return [pattern.name];
    case "ObjectPattern":
      return pattern.properties.flatMap((p) => (p.type === "RestElement" ? patternNames(p.argument) : patternNames(p.value)));
    case "ArrayPattern":
      return pattern.elements.flatMap((e) => (e ? patternNames(e) : []));
    case "AssignmentPattern":
      return patternNames(pattern.left);
    case "RestElement":
      return patternNames(pattern.argument);
    default:
      return [];
  }
}

function removeLine(s: MagicString, code: string, node: t.Node): void {
  const lineStart = code.lastIndexOf("\n", start(node) - 1) + 1;
  const newline = code.indexOf("\n", end(node));
  const lineEnd = newline === -1 ? code.length : newline + 1;
  if (/^[ \t]*$/.test(code.slice(lineStart, start(node))) && /^[ \t]*$/.test(code.slice(end(node), lineEnd).trimEnd())) {
    s.remove(lineStart, lineEnd);
  } else {
    s.remove(start(node), end(node));
  }
}
