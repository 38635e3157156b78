/**
 * The auth core `add` writes into a project (and so into every project
 * `create` makes), rendered at run time from templates/typescript/auth/src/
 * overlaid with templates/typescript/auth/providers/<provider>/src/, plus the glue of src/add/glue/
 * (the framework adapter), in the project's language and module system:
 * TypeScript as it is, JavaScript with the types cut out, CommonJS with
 * `require`. Only the core files the glue needs are written (so not
 * Scalekit's management API client, scalekit.ts). The core imports no MCP
 * SDK, so it is the same for SDK v1 and v2 projects. So `add` follows every
 * change to the templates.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import MagicString from "magic-string";
import { usageError } from "../core/errors.js";
import { tsKey, tsString } from "../core/literals.js";
import { createRenderer } from "../core/template-engine.js";
import { templatesRoot } from "../create/render.js";
import { parseModule, type t } from "./ast.js";
import { toCommonJs } from "./commonjs.js";
import { stripTypes } from "./strip-types.js";

export interface CoreTarget {
  language: "ts" | "js";
  module: "esm" | "cjs";
  /** Extension of the files written: .ts, .mts, .cts, .js, .mjs or .cjs. */
  extension: string;
  /** Extension in relative import specifiers: .js (TypeScript's convention), .mjs, .cjs, or .ts. */
  specifierExtension: string;
  framework: string;
  provider: string;
}

export interface ScopeMap {
  serverName: string;
  /** Tool name -> scopes it needs; tools not listed need only a valid token. */
  toolScopes: Record<string, string[]>;
}

export type CoreRole = "core" | "glue" | "scopes";

export interface CoreFile {
  /** File name inside the auth folder, with the target's extension. */
  name: string;
  content: string;
  role: CoreRole;
}

export interface Dependency {
  name: string;
  version: string;
  dev: boolean;
}

export interface RenderedCore {
  files: CoreFile[];
  /** Packages the written files import, with the templates' versions. */
  dependencies: Dependency[];
}

/** Names the auth core may import from "../tools.js" (the generated project's tool file); add writes them to tool-scopes. */
const TOOL_EXPORTS = new Set(["toolScopes", "scopeHierarchy", "serverName"]);
export const SCOPES_MODULE = "tool-scopes";
export const SHARED_GLUE = "mcp-auth";
export const TEST_HELPER = "testing";

interface SourceFile {
  /** Name without extension, e.g. "config". */
  base: string;
  code: string;
  role: CoreRole;
}

/** src/add/glue when running from source, dist/add-glue in the package (copied there by the build). */
export function glueRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, "glue"), path.join(here, "..", "add-glue"), path.join(here, "add-glue")]) {
    if (existsSync(path.join(candidate, `${SHARED_GLUE}.ts`))) return candidate;
  }
  throw new Error("create-mcp-auth: the add glue folder is missing from this installation");
}

export async function renderCore(
  target: CoreTarget,
  scopes: ScopeMap,
  roots = { templates: templatesRoot(), glue: glueRoot() },
): Promise<RenderedCore> {
  const layers = authLayers(roots.templates, target.provider);

  const sources = new Map<string, SourceFile>();
  const render = createRenderer();
  for (const layer of layers) {
    const dir = path.join(layer, "src");
    if (!existsSync(dir)) continue;
    for (const entry of (await readdir(dir)).sort()) {
      const raw = await readFile(path.join(dir, entry), "utf8");
      const templatePath = `${path.relative(roots.templates, dir).split(path.sep).join("/")}/${entry}`;
      const name = entry.endsWith(".hbs") ? entry.slice(0, -".hbs".length) : entry;
      if (!name.endsWith(".ts")) continue;
      const code = entry.endsWith(".hbs") ? render(templatePath, raw, renderContext(target, scopes)) : raw;
      sources.set(name.slice(0, -3), { base: name.slice(0, -3), code, role: "core" });
    }
  }
  if (sources.size === 0) throw new Error(`create-mcp-auth: no auth core in ${layers.join(", ")}`);

  // testing: tokens for the project's own tests (startTestAuth), against an authorization server of its own.
  const glueFiles = [SHARED_GLUE, target.framework, TEST_HELPER];
  for (const base of glueFiles) {
    if (sources.has(base)) throw new Error(`create-mcp-auth: the auth core has a file ${base}.ts, which add's glue also writes`);
    sources.set(base, { base, code: await readFile(path.join(roots.glue, `${base}.ts`), "utf8"), role: "glue" });
  }
  sources.set(SCOPES_MODULE, { base: SCOPES_MODULE, code: scopesModule(scopes), role: "scopes" });

  // Each source is parsed once: the import graph, the specifier rewrite and (for JavaScript) the type strip
  // all read that tree and splice the same original text.
  const trees = new Map<string, t.File>();
  const treeOf = (base: string): t.File => {
    let tree = trees.get(base);
    if (!tree) {
      tree = parseModule(sources.get(base)!.code, "ts", `${base}.ts`);
      trees.set(base, tree);
    }
    return tree;
  };

  const files: CoreFile[] = [];
  const imports = new Map<string, { typeOnly: boolean }>();
  const graph = new Map<string, string[]>();
  for (const base of [...needed(sources, glueFiles, treeOf)].sort()) {
    const source = sources.get(base)!;
    const file = `${source.base}.ts`;
    const tree = treeOf(base);
    const edits = new MagicString(source.code);
    const renamed = rewriteSpecifiers(source.code, tree, edits, file, target, new Set(sources.keys()));
    let code: string;
    let found: FoundImport[];
    if (target.language === "js") {
      code = stripTypes(source.code, file, { ast: tree, edits });
      if (target.module === "cjs") code = toCommonJs(code, file);
      // What the JavaScript imports once the types are out (type-only imports are gone), read from its own text.
      found = importsOf(parseModule(code, "js", file));
    } else {
      code = edits.toString();
      found = importsOf(tree, renamed);
    }
    graph.set(
      source.base,
      found.filter((i) => i.specifier.startsWith("./")).map((i) => i.specifier.slice(2).replace(/\.[^.]+$/, "")),
    );
    for (const { specifier, typeOnly } of found) {
      if (specifier.startsWith(".") || specifier.startsWith("node:") || isBuiltin(specifier)) continue;
      const name = packageName(specifier);
      const seen = imports.get(name);
      imports.set(name, { typeOnly: (seen?.typeOnly ?? true) && typeOnly });
    }
    files.push({ name: `${source.base}${target.extension}`, content: code, role: source.role });
  }
  if (target.module === "cjs") assertNoCycle(graph);

  // The plain templates' versions too (the auth core's win): a glue may import a package only that framework's projects use.
  const plain = [path.join(roots.templates, "typescript/common"), path.join(roots.templates, "typescript", target.framework)];
  const versions = await templateVersions([...plain, ...layers]);
  const dependencies: Dependency[] = [];
  for (const [name, { typeOnly }] of [...imports].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const version = versions.get(name) ?? frameworkPackage(name);
    if (!version) throw new Error(`create-mcp-auth: the auth core imports ${name}, which no deps.json of the templates names`);
    dependencies.push({ name, version, dev: typeOnly });
  }
  if (target.language === "ts" && versions.has("@types/node")) {
    dependencies.push({ name: "@types/node", version: versions.get("@types/node")!, dev: true });
  }
  return { files, dependencies };
}

/** The folder of the TypeScript auth core: its files, tests, docs and deps.json. */
export const AUTH_TEMPLATE = "typescript/auth";

/** The auth core's layers: the provider-neutral files, then the provider's. */
export function authLayers(templates: string, provider: string): string[] {
  const providerDir = path.join(templates, AUTH_TEMPLATE, "providers", provider);
  if (!existsSync(providerDir)) throw usageError(`unknown provider "${provider}"`);
  return [path.join(templates, AUTH_TEMPLATE), providerDir];
}

/** The adapters import the project's own framework: a package it has already. */
function frameworkPackage(name: string): string | undefined {
  return ["express", "fastify", "hono", "fastmcp"].includes(name) ? "*" : undefined;
}

/**
 * The files the glue imports, directly or through other core files: what a
 * project needs. The tool-scope map comes in where the core imports ../tools.js.
 */
function needed(sources: Map<string, SourceFile>, roots: string[], treeOf: (base: string) => t.File): Set<string> {
  const found = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const base = pending.pop()!;
    if (found.has(base)) continue;
    found.add(base);
    for (const { specifier } of importsOf(treeOf(base))) {
      if (specifier === "../tools.js") pending.push(SCOPES_MODULE);
      else if (specifier.startsWith("./")) {
        const next = specifier.slice(2).replace(/\.(js|ts)$/, "");
        if (!sources.has(next)) throw new Error(`create-mcp-auth: ${base}.ts imports ${specifier}, which is not part of the auth core`);
        pending.push(next);
      }
    }
  }
  return found;
}

function renderContext(target: CoreTarget, scopes: ScopeMap): object {
  return {
    projectName: scopes.serverName,
    framework: { name: target.framework, display: target.framework, note: "" },
    provider: { name: target.provider, display: target.provider, readme: "" },
    scopes: [...new Set(Object.values(scopes.toolScopes).flat())],
    tools: [],
  };
}

/** The tool-to-scope map (tool-scopes.ts), written once and then the user's: the core imports it. */
export function scopesModule(scopes: ScopeMap): string {
  const entries = Object.entries(scopes.toolScopes);
  const key = tsKey;
  const map =
    entries.length === 0
      ? "{}"
      : `{\n${entries.map(([tool, list]) => `  ${key(tool)}: [${list.map(tsString).join(", ")}],`).join("\n")}\n}`;
  return [
    "// Written by `create-mcp-auth add`, and yours to edit: the auth core reads",
    "// these (add never rewrites this file).",
    "",
    "/** The name this server gives in its protected resource metadata. */",
    `export const serverName = ${tsString(scopes.serverName)};`,
    "",
    "/**",
    " * The scopes each MCP tool needs: a `tools/call` of a tool listed here by a",
    " * token without all of its scopes gets 403 insufficient_scope. A tool that is",
    " * not listed needs only a valid access token.",
    " */",
    `export const toolScopes: Readonly<Record<string, readonly string[]>> = ${map};`,
    "",
    "/**",
    " * Broader scopes and the narrower scopes each one implies: a token with a",
    " * broader scope may call every tool that needs one it implies. Broader scopes",
    ' * are advertised too. For example: { "todo:admin": ["todo:read", "todo:write"] }',
    " */",
    "export const scopeHierarchy: Readonly<Record<string, readonly string[]>> = {};",
    "",
  ].join("\n");
}

/**
 * Points the core's imports at the files as written: tool-scopes for ../tools.js, the target's extension. The
 * edits go into `edits` (a splice of `code`, whose tree is `ast`); returns each rewritten specifier's new text.
 */
function rewriteSpecifiers(
  code: string,
  ast: t.File,
  edits: MagicString,
  file: string,
  target: CoreTarget,
  local: Set<string>,
): Map<t.StringLiteral, string> {
  const renamed = new Map<t.StringLiteral, string>();
  for (const statement of ast.program.body) {
    if (statement.type !== "ImportDeclaration" && statement.type !== "ExportNamedDeclaration" && statement.type !== "ExportAllDeclaration")
      continue;
    const source = statement.source;
    if (!source) continue;
    const specifier = source.value;
    let next: string | undefined;
    if (specifier === "../tools.js" || specifier === `./${SCOPES_MODULE}.js`) {
      const names = statement.type === "ImportDeclaration" ? statement.specifiers.map((sp) => sp.local.name) : [];
      const unknown = names.filter((n) => !TOOL_EXPORTS.has(n));
      if (statement.type !== "ImportDeclaration" || unknown.length > 0) {
        throw new Error(
          `create-mcp-auth: ${file} imports ${unknown.join(", ") || "something"} from ${specifier}, which add does not provide`,
        );
      }
      next = `./${SCOPES_MODULE}${target.specifierExtension}`;
    } else if (specifier.startsWith("./")) {
      const base = specifier.slice(2).replace(/\.(js|ts)$/, "");
      if (!local.has(base)) throw new Error(`create-mcp-auth: ${file} imports ${specifier}, which is not part of the auth core`);
      next = `./${base}${target.specifierExtension}`;
    } else if (specifier.startsWith(".")) {
      throw new Error(`create-mcp-auth: ${file} imports ${specifier} from outside the auth folder`);
    }
    if (next !== undefined && next !== specifier) {
      const quote = code[source.start!] ?? '"';
      edits.overwrite(source.start!, source.end!, `${quote}${next}${quote}`);
      renamed.set(source, next);
    }
  }
  return renamed;
}

interface FoundImport {
  specifier: string;
  typeOnly: boolean;
}

/** The modules a file imports; `renamed` gives the specifiers rewritten since `file` was parsed. */
function importsOf(file: t.File, renamed?: Map<t.StringLiteral, string>): FoundImport[] {
  const found: FoundImport[] = [];
  for (const statement of file.program.body) {
    if (statement.type === "ImportDeclaration") {
      const typeOnly =
        statement.importKind === "type" ||
        (statement.specifiers.length > 0 && statement.specifiers.every((sp) => sp.type === "ImportSpecifier" && sp.importKind === "type"));
      found.push({ specifier: renamed?.get(statement.source) ?? statement.source.value, typeOnly });
    } else if ((statement.type === "ExportNamedDeclaration" || statement.type === "ExportAllDeclaration") && statement.source) {
      found.push({ specifier: renamed?.get(statement.source) ?? statement.source.value, typeOnly: statement.exportKind === "type" });
    } else if (statement.type === "VariableDeclaration") {
      for (const declarator of statement.declarations) {
        const init = declarator.init;
        if (init?.type === "CallExpression" && init.callee.type === "Identifier" && init.callee.name === "require") {
          const arg = init.arguments[0];
          if (arg?.type === "StringLiteral") found.push({ specifier: arg.value, typeOnly: false });
        }
      }
    } else if (statement.type === "ExpressionStatement") {
      const call = statement.expression;
      if (
        call.type === "CallExpression" &&
        call.callee.type === "Identifier" &&
        call.callee.name === "require" &&
        call.arguments[0]?.type === "StringLiteral"
      ) {
        found.push({ specifier: call.arguments[0].value, typeOnly: false });
      }
    }
  }
  return found;
}

export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

function assertNoCycle(graph: Map<string, string[]>): void {
  const state = new Map<string, "open" | "done">();
  const visit = (node: string, trail: string[]) => {
    if (state.get(node) === "done") return;
    if (state.get(node) === "open")
      throw new Error(`create-mcp-auth: the auth core has an import cycle (${[...trail, node].join(" -> ")}), which CommonJS cannot load`);
    state.set(node, "open");
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
    state.set(node, "done");
  };
  for (const node of graph.keys()) visit(node, []);
}

async function templateVersions(layers: string[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const layer of layers) {
    const file = path.join(layer, "deps.json");
    if (!existsSync(file)) continue;
    const deps = JSON.parse(await readFile(file, "utf8")) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    for (const [name, version] of Object.entries({ ...deps.devDependencies, ...deps.dependencies })) versions.set(name, version);
  }
  return versions;
}
