/** The project's source files, read and parsed (never matched with regular expressions), with what each imports. */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { type Language, parseModule, stringValue, type t } from "../ast.js";
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
const MAX_FILE_BYTES = 1024 * 1024;

export async function readSources(root: string, parseErrors: string[]): Promise<SourceFile[]> {
  const rels: string[] = [];
  const visit = async (dir: string, prefix: string) => {
    if (rels.length >= MAX_FILES) return;
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith(".")) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await visit(path.join(dir, entry.name), rel);
      } else if (entry.isFile() && isSourceName(entry.name)) {
        rels.push(rel);
      }
    }
  };
  await visit(root, "");
  const files: SourceFile[] = [];
  for (const rel of rels.slice(0, MAX_FILES)) {
    const abs = path.join(root, rel);
    if ((await stat(abs)).size > MAX_FILE_BYTES) continue;
    const code = await readFile(abs, "utf8");
    const language: Language = /\.[mc]?ts$/.test(rel) ? "ts" : "js";
    try {
      const ast = parseModule(code, language, rel);
      files.push({ rel, language, code, ast, imports: importBindings(ast) });
    } catch (error) {
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
