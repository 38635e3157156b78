/** The project's source files, read and parsed (never matched with regular expressions), with what each imports. */
import path from "node:path";
import { usageError } from "../../core/errors.js";
import { type Language, parseModule, stringValue, type t } from "../ast.js";
import { readSourceTexts } from "../guard.js";
import type { Binding, SourceFile } from "./types.js";

const SKIP_DIRS = new Set([
  "node_modules",
  "dist",
  "build",
  "out",
  "coverage",
  "test",
  "tests",
  "__tests__",
  "spec",
  "fixtures",
  "examples",
  "docs",
]);
const SOURCE_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"]);
const MAX_FILES = 400;

export async function readSources(root: string, parseErrors: string[], skipped: string[], entry?: string): Promise<SourceFile[]> {
  const listing = readSourceTexts(root, { skipDirs: SKIP_DIRS, isSourceName, maxFiles: MAX_FILES, entry });
  skipped.push(...listing.skipped);
  const files: SourceFile[] = [];
  for (const { rel, code } of listing.texts) {
    const language: Language = /\.[mc]?ts$/.test(rel) ? "ts" : "js";
    try {
      const ast = parseModule(code, language, rel);
      files.push({ rel, language, code, ast, imports: importBindings(ast) });
    } catch (error) {
      if (rel === entry) throw usageError(`--entry ${rel} cannot be parsed: ${(error as Error).message}`);
      parseErrors.push((error as Error).message);
    }
  }
  return files;
}

function isSourceName(name: string): boolean {
  if (name.endsWith(".d.ts") || /\.(test|spec)\.[mc]?[jt]s$/.test(name) || /\.config\.[mc]?[jt]s$/.test(name)) return false;
  return SOURCE_EXTENSIONS.has(path.extname(name));
}

/** Local names bound by imports and top-level requires. */
export function importBindings(ast: t.File): Map<string, Binding> {
  const bindings = new Map<string, Binding>();
  for (const statement of ast.program.body) {
    if (statement.type === "ImportDeclaration") {
      for (const sp of statement.specifiers) {
        const imported =
          sp.type === "ImportDefaultSpecifier"
            ? "default"
            : sp.type === "ImportNamespaceSpecifier"
              ? "*"
              : sp.imported.type === "Identifier"
                ? sp.imported.name
                : sp.imported.value;
        bindings.set(sp.local.name, { source: statement.source.value, imported });
      }
    } else if (statement.type === "VariableDeclaration") {
      for (const declarator of statement.declarations) {
        const source = requireSource(declarator.init);
        if (!source) continue;
        if (declarator.id.type === "Identifier") bindings.set(declarator.id.name, { source, imported: "*" });
        else if (declarator.id.type === "ObjectPattern") {
          for (const property of declarator.id.properties) {
            if (property.type === "ObjectProperty" && property.key.type === "Identifier" && property.value.type === "Identifier") {
              bindings.set(property.value.name, { source, imported: property.key.name });
            }
          }
        }
      }
    }
  }
  return bindings;
}

/** `require("x")` -> "x". */
export function requireSource(node: t.Node | null | undefined): string | undefined {
  if (node?.type !== "CallExpression" || node.callee.type !== "Identifier" || node.callee.name !== "require") return undefined;
  return stringValue(node.arguments[0]);
}
