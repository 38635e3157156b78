/**
 * Detection: what `add` learns about a project before it changes anything,
 * from package.json and from the code (parsed, never matched with regular
 * expressions). Nothing here prompts or writes; what it cannot determine is
 * left undefined for the caller to ask about or take from a flag.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { PackageManager } from "../create/options.js";
import { usageError } from "../errors.js";
import { FRAMEWORKS } from "../frameworks.js";
import { end, type Language, lineOf, memberPath, parseModule, start, stringValue, type t, unwrap, walk } from "./ast.js";
import { loadPackageJson, readSourceTexts, readText } from "./guard.js";
import {
  ADD_PATTERNS,
  type AddPattern,
  MCP_HANDLER_FACTORIES,
  MCP_SERVER_CLASSES,
  MCP_TRANSPORTS,
  patternFor,
  SDK_V1,
  SDK_V2,
  SSE_TRANSPORTS,
  STDIO_TRANSPORTS,
} from "./patterns.js";

export interface PackageJson {
  path: string;
  text: string;
  data: {
    name?: string;
    type?: string;
    main?: string;
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    workspaces?: string[] | { packages?: string[] };
  };
}

export interface SourceFile {
  /** Path relative to the project root, `/`-separated. */
  rel: string;
  language: Language;
  code: string;
  ast: t.File;
  imports: Map<string, Binding>;
}

/** What a local name is bound to by an import or a require. */
export interface Binding {
  source: string;
  /** "default", "*" (a namespace, or a CommonJS module object) or the export's name. */
  imported: string;
}

export interface AppSite {
  framework: string;
  file: SourceFile;
  /** The variable bound to the app (fastmcp: to the FastMCP server). */
  name: string;
  line: number;
  /** The statement that creates it, directly in a Program or block body (the wiring goes after it). */
  statement: t.Statement;
  /** The source text of the creation, for messages: `const app = express()`. */
  text: string;
}

export interface RouteSite {
  file: SourceFile;
  line: number;
  method: string;
  path: string | undefined;
  /** The handler builds an MCP transport or calls an MCP handler. */
  mcp: boolean;
  sse: boolean;
  handlers: t.Node[];
}

export interface FastmcpStart {
  file: SourceFile;
  line: number;
  call: t.CallExpression;
  /** The `server` in `server.start(...)`: the wiring wraps it. */
  callee: t.Node;
  transport: "httpStream" | "stdio" | "unknown";
  endpoint: string;
}

export interface ToolSite {
  name: string;
  file: string;
  line: number;
}

/** One McpServer shared by every request, each with a new transport (the second request fails). */
export interface ReusedServer {
  file: SourceFile;
  name: string;
  line: number;
  handlerLine: number;
  /** Set when the fix (a server per request) can be made safely. */
  fix?: { run: t.Statement[]; handlers: t.Function[] };
  /** Why it cannot be fixed automatically. */
  reason?: string;
}

/** `transport.handleRequest(req, res)` without the parsed body: once the auth step has read the body, the body must be passed on. */
export interface BodylessCall {
  file: SourceFile;
  call: t.CallExpression;
  request: string;
  line: number;
}

export interface StartCommand {
  /** As shown to the user: `npm start`, `npm run build && npm start`, `node server.js`. */
  display: string;
  /** Run first, if the start script runs a build output. */
  build?: { file: string; args: string[] };
  file: string;
  args: string[];
}

export interface Detection {
  root: string;
  pkg: PackageJson;
  pm: PackageManager;
  /** Folder of the workspace this project is a member of, if any. */
  workspaceRoot: string | undefined;
  framework: { name: string; display: string; version: string | undefined; from: string } | undefined;
  /** Frameworks found in package.json, when more than one. */
  frameworkCandidates: string[];
  sdk: { generation: "v1" | "v2"; packages: string[] };
  language: Language;
  module: "esm" | "cjs";
  typescript: boolean;
  /** Folder of the entry, relative to the root ("." for the root). */
  sourceDir: string;
  files: SourceFile[];
  app: AppSite | undefined;
  appCandidates: AppSite[];
  endpoint: { path: string; from: string } | undefined;
  routes: RouteSite[];
  fastmcpStart: FastmcpStart | undefined;
  start: StartCommand | undefined;
  tools: ToolSite[];
  reused: ReusedServer[];
  bodyless: BodylessCall[];
  stdio: { file: string; line: number } | undefined;
  sseRoutes: RouteSite[];
  port: { fromEnv: boolean; fallback: number; literal: number | undefined };
  /** Extension of the files add writes, and in the imports that name them. */
  extension: string;
  specifierExtension: string;
  parseErrors: string[];
  /** Source files not read (too large, not UTF-8, beyond the file limit), one line per group. */
  skipped: string[];
}

export interface DetectFlags {
  framework?: string;
  entry?: string;
  endpoint?: string;
}

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

export async function readPackageJson(root: string): Promise<PackageJson | undefined> {
  return loadPackageJson(root);
}

export function allDependencies(pkg: PackageJson): Record<string, string> {
  const d = pkg.data;
  return { ...d.optionalDependencies, ...d.peerDependencies, ...d.devDependencies, ...d.dependencies };
}

export async function detect(root: string, pkg: PackageJson, flags: DetectFlags): Promise<Detection> {
  const deps = allDependencies(pkg);
  const { workspaceRoot, pm } = await findWorkspace(root);
  const parseErrors: string[] = [];
  const skipped: string[] = [];
  const files = await readSources(root, parseErrors, skipped, flags.entry === undefined ? undefined : toRel(root, flags.entry));

  const frameworkCandidates = ADD_PATTERNS.filter((p) => p.packages.some((name) => name in deps)).map((p) => p.framework);
  const appCandidates = files.flatMap((file) => findApps(file));

  let frameworkName = flags.framework;
  let from = "--framework";
  if (!frameworkName) {
    const inCode = [...new Set(appCandidates.map((a) => a.framework))].filter((f) => frameworkCandidates.includes(f));
    if (frameworkCandidates.length === 1) {
      frameworkName = frameworkCandidates[0];
      from = "package.json";
    } else if (inCode.length === 1) {
      frameworkName = inCode[0];
      from = "the code";
    }
  }
  const frameworkRow = frameworkName ? FRAMEWORKS.find((f) => f.name === frameworkName) : undefined;
  const pattern = frameworkRow ? patternFor(frameworkRow.name) : undefined;
  const frameworkPackage = pattern?.packages.find((name) => name in deps);
  const framework = frameworkRow
    ? { name: frameworkRow.name, display: frameworkRow.display, version: frameworkPackage ? deps[frameworkPackage] : undefined, from }
    : undefined;

  const apps = pattern ? appCandidates.filter((a) => a.framework === pattern.framework) : [];
  let app: AppSite | undefined;
  if (flags.entry) {
    const rel = toRel(root, flags.entry);
    app = apps.find((a) => a.file.rel === rel);
  } else if (apps.length === 1) {
    app = apps[0];
  }

  const entryFile = app?.file ?? (flags.entry ? files.find((f) => f.rel === toRel(root, flags.entry!)) : undefined);
  const routes = app && pattern ? findRoutes(app, pattern) : [];
  const fastmcpStart = app && pattern?.framework === "fastmcp" ? findFastmcpStart(app) : undefined;

  let endpoint: Detection["endpoint"];
  if (flags.endpoint) endpoint = { path: flags.endpoint, from: "--endpoint" };
  else if (fastmcpStart && fastmcpStart.transport !== "stdio")
    endpoint = { path: fastmcpStart.endpoint, from: `${fastmcpStart.file.rel}:${fastmcpStart.line}` };
  else {
    const mcpPaths = [...new Set(routes.filter((r) => r.mcp && r.path).map((r) => r.path!))];
    const named = [...new Set(routes.filter((r) => r.path && /(^|\/)mcp$/.test(r.path)).map((r) => r.path!))];
    const chosen = mcpPaths.length === 1 ? mcpPaths[0] : mcpPaths.length === 0 && named.length === 1 ? named[0] : undefined;
    const site = routes.find((r) => r.path === chosen);
    if (chosen && site) endpoint = { path: chosen, from: `${site.file.rel}:${site.line} ${site.method}` };
  }

  const v2 = SDK_V2.filter((name) => name in deps);
  const sdk = {
    generation:
      v2.length > 0 && !(SDK_V1 in deps) ? ("v2" as const) : v2.length > 0 && usesV2(entryFile) ? ("v2" as const) : ("v1" as const),
    packages: [...(SDK_V1 in deps ? [SDK_V1] : []), ...v2],
  };

  const typescript = existsSync(path.join(root, "tsconfig.json"));
  const entryExt = entryFile ? path.extname(entryFile.rel) : typescript ? ".ts" : ".js";
  const language: Language = [".ts", ".mts", ".cts"].includes(entryExt) ? "ts" : "js";
  const module = moduleSystem(entryFile, entryExt, pkg);
  const { extension, specifierExtension } = extensionsFor(entryExt, entryFile);

  const tools = files.flatMap(findTools);
  const reused = files.flatMap(findReusedServers);
  const bodyless = framework?.name === "express" ? routes.filter((r) => r.mcp).flatMap((r) => findBodyless(r)) : [];
  const stdio = findFirst(
    files,
    (node) => node.type === "NewExpression" && node.callee.type === "Identifier" && STDIO_TRANSPORTS.has(node.callee.name),
  );
  const sseRoutes = routes.filter((r) => r.sse);
  const port = detectPort(files, fastmcpStart);

  return {
    root,
    pkg,
    pm,
    workspaceRoot,
    framework,
    frameworkCandidates,
    sdk,
    language,
    module,
    typescript,
    sourceDir: entryFile ? path.posix.dirname(entryFile.rel) : ".",
    files,
    app,
    appCandidates: apps,
    endpoint,
    routes,
    fastmcpStart,
    start: startCommand(pkg, entryFile, language, pm, deps),
    tools,
    reused,
    bodyless,
    stdio: stdio && { file: stdio.file.rel, line: lineOf(stdio.node) },
    sseRoutes,
    port,
    extension,
    specifierExtension,
    parseErrors,
    skipped,
  };
}

function toRel(root: string, file: string): string {
  return path.relative(root, path.resolve(root, file)).split(path.sep).join("/");
}

function usesV2(file: SourceFile | undefined): boolean {
  return Boolean(
    file && [...file.imports.values()].some((b) => SDK_V2.some((name) => b.source === name || b.source.startsWith(`${name}/`))),
  );
}

function moduleSystem(file: SourceFile | undefined, ext: string, pkg: PackageJson): "esm" | "cjs" {
  if (ext === ".mjs" || ext === ".mts") return "esm";
  if (ext === ".cjs" || ext === ".cts") return "cjs";
  if (file && ext === ".js") {
    const body = file.ast.program.body;
    if (body.some((s) => s.type === "ImportDeclaration" || s.type === "ExportNamedDeclaration" || s.type === "ExportDefaultDeclaration"))
      return "esm";
    return "cjs";
  }
  return pkg.data.type === "module" ? "esm" : "cjs";
}

function extensionsFor(entryExt: string, file: SourceFile | undefined): { extension: string; specifierExtension: string } {
  switch (entryExt) {
    case ".mts":
      return { extension: ".mts", specifierExtension: ".mjs" };
    case ".cts":
      return { extension: ".cts", specifierExtension: ".cjs" };
    case ".ts": {
      // A project that runs TypeScript directly (Node's type stripping) imports `./x.ts`.
      const relative = file ? [...file.imports.values()].map((b) => b.source).filter((s) => s.startsWith(".")) : [];
      const tsStyle = relative.length > 0 && relative.every((s) => s.endsWith(".ts"));
      return { extension: ".ts", specifierExtension: tsStyle ? ".ts" : ".js" };
    }
    default:
      return { extension: entryExt, specifierExtension: entryExt };
  }
}

const LOCKFILES: [file: string, pm: PackageManager][] = [
  ["package-lock.json", "npm"],
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
];

function lockfileManager(dir: string): PackageManager | undefined {
  return LOCKFILES.find(([file]) => existsSync(path.join(dir, file)))?.[1];
}

/**
 * The package manager (from the lockfile), and the workspace this project
 * belongs to: the nearest folder above whose package.json (or
 * pnpm-workspace.yaml) lists it. A lockfile of a folder that is not its
 * workspace root says nothing about this project.
 */
async function findWorkspace(root: string): Promise<{ workspaceRoot: string | undefined; pm: PackageManager }> {
  const own = lockfileManager(root);
  let dir = path.dirname(root);
  while (!existsSync(path.join(root, ".git"))) {
    const globs = await workspaceGlobs(dir);
    if (globs?.some((glob) => globMatches(glob, path.relative(dir, root).split(path.sep).join("/")))) {
      return {
        workspaceRoot: dir,
        pm: own ?? lockfileManager(dir) ?? (existsSync(path.join(dir, "pnpm-workspace.yaml")) ? "pnpm" : "npm"),
      };
    }
    const parent = path.dirname(dir);
    if (parent === dir || existsSync(path.join(dir, ".git"))) break;
    dir = parent;
  }
  return { workspaceRoot: undefined, pm: own ?? "npm" };
}

async function workspaceGlobs(dir: string): Promise<string[] | undefined> {
  // Folders above the project: read safely, and what cannot be read says nothing.
  const read = (name: string) => {
    try {
      return readText(dir, name, 1024 * 1024);
    } catch {
      return undefined;
    }
  };
  const pnpm = read("pnpm-workspace.yaml");
  if (pnpm !== undefined) {
    // The `packages:` list of pnpm-workspace.yaml: "  - 'packages/*'" lines.
    return pnpm
      .split("\n")
      .map((line) => /^\s*-\s*['"]?([^'"#]+?)['"]?\s*(#.*)?$/.exec(line)?.[1])
      .filter((glob): glob is string => Boolean(glob));
  }
  const text = read("package.json");
  if (text === undefined) return undefined;
  try {
    const workspaces = (JSON.parse(text.replace(/^\uFEFF/, "")) as PackageJson["data"]).workspaces;
    return Array.isArray(workspaces) ? workspaces : workspaces?.packages;
  } catch {
    return undefined;
  }
}

/** npm workspace globs: `*` is one path segment, `**` any number. */
export function globMatches(glob: string, rel: string): boolean {
  const pattern = glob
    .replace(/^\.\//, "")
    .replace(/\/+$/, "")
    .split("/")
    .map((part) => (part === "**" ? ".*" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")))
    .join("/");
  return new RegExp(`^${pattern}$`).test(rel);
}

async function readSources(root: string, parseErrors: string[], skipped: string[], entry?: string): Promise<SourceFile[]> {
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

function matchesCreator(file: SourceFile, pattern: AddPattern, expression: t.Node): boolean {
  const node = unwrap(expression);
  if (node.type !== "CallExpression" && node.type !== "NewExpression") return false;
  // `require("fastify")(options)`
  const direct = requireSource(node.callee);
  if (direct && node.type === "CallExpression")
    return pattern.creators.some((c) => c.source === direct && c.kind === "call" && c.imported === "default");
  if (node.callee.type !== "Identifier") return false;
  const binding = file.imports.get(node.callee.name);
  if (!binding) return false;
  return pattern.creators.some(
    (c) =>
      c.source === binding.source &&
      c.kind === (node.type === "NewExpression" ? "new" : "call") &&
      (c.imported === binding.imported || (binding.imported === "*" && c.imported === "default" && file.language === "js")),
  );
}

/** `const app = express()` (also `express().use(...)`, exported, or inside a function), per framework. */
function findApps(file: SourceFile): AppSite[] {
  const found: AppSite[] = [];
  walk(file.ast.program, (node, ancestors) => {
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
          text: file.code.slice(start(node), end(node)).split("\n")[0]!.replace(/;$/, ""),
        });
      }
    }
  });
  return found;
}

/** Resolves a path argument: a literal, or a top-level `const` holding one. */
function pathValue(file: SourceFile, node: t.Node | undefined): string | undefined {
  if (!node) return undefined;
  const literal = stringValue(node);
  if (literal !== undefined) return literal;
  if (node.type !== "Identifier") return undefined;
  for (const statement of file.ast.program.body) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type !== "VariableDeclaration" || declaration.kind !== "const") continue;
    for (const d of declaration.declarations) {
      if (d.id.type === "Identifier" && d.id.name === node.name) return stringValue(d.init);
    }
  }
  return undefined;
}

/** Top-level values made by an MCP handler factory or transport (`const mcp = toNodeHandler(...)`). */
function mcpValues(file: SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of file.ast.program.body) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type === "VariableDeclaration") {
      for (const d of declaration.declarations)
        if (d.id.type === "Identifier" && d.init && servesMcp(d.init, new Set())) names.add(d.id.name);
    }
    if (declaration?.type === "FunctionDeclaration" && declaration.id && servesMcp(declaration.body, new Set()))
      names.add(declaration.id.name);
  }
  return names;
}

function servesMcp(root: t.Node, values: Set<string>): boolean {
  let found = false;
  walk(root, (node) => {
    if (found) return false;
    if (node.type === "NewExpression" && node.callee.type === "Identifier" && MCP_TRANSPORTS.has(node.callee.name)) found = true;
    else if (
      node.type === "CallExpression" &&
      node.callee.type === "Identifier" &&
      (MCP_HANDLER_FACTORIES.has(node.callee.name) || values.has(node.callee.name))
    )
      found = true;
    else if (
      node.type === "CallExpression" &&
      node.callee.type === "MemberExpression" &&
      node.callee.property.type === "Identifier" &&
      node.callee.property.name === "handleRequest"
    )
      found = true;
    else if (node.type === "Identifier" && values.has(node.name)) found = true;
    return !found;
  });
  return found;
}

function usesSse(root: t.Node): boolean {
  let found = false;
  walk(root, (node) => {
    if (node.type === "NewExpression" && node.callee.type === "Identifier" && SSE_TRANSPORTS.has(node.callee.name)) found = true;
  });
  return found;
}

function findRoutes(app: AppSite, pattern: AddPattern): RouteSite[] {
  const file = app.file;
  const values = mcpValues(file);
  const routes: RouteSite[] = [];
  walk(file.ast.program, (node) => {
    if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression" || node.callee.property.type !== "Identifier") return;
    const method = node.callee.property.name;
    let object: t.Node = node.callee.object;
    let routePath: t.Node | undefined = node.arguments[0];
    // Express `app.route("/mcp").post(handler)`
    if (
      object.type === "CallExpression" &&
      object.callee.type === "MemberExpression" &&
      memberPath(object.callee) === `${app.name}.route`
    ) {
      routePath = object.arguments[0];
      object = object.callee.object;
    } else if (!pattern.routeMethods.includes(method)) {
      return;
    }
    if (object.type !== "Identifier" || object.name !== app.name) return;
    let handlers: t.Node[] = node.arguments.slice(1) as t.Node[];
    // Fastify `app.route({ method, url, handler })`
    if (method === "route" && routePath?.type === "ObjectExpression") {
      const props = routePath.properties.filter((p): p is t.ObjectProperty => p.type === "ObjectProperty");
      const url = props.find((p) => p.key.type === "Identifier" && p.key.name === "url");
      handlers = props.filter((p) => p.key.type === "Identifier" && ["handler", "preHandler"].includes(p.key.name)).map((p) => p.value);
      routePath = url?.value as t.Node | undefined;
    }
    if (method === "use" && routePath && stringValue(routePath) === undefined && routePath.type !== "Identifier") {
      handlers = node.arguments as t.Node[];
      routePath = undefined;
    }
    const handlerNodes = handlers.map((h) => (h.type === "Identifier" ? (resolveFunction(file, h.name) ?? h) : h));
    routes.push({
      file,
      line: lineOf(node),
      method,
      path: pathValue(file, routePath),
      mcp: handlerNodes.some((h) => servesMcp(h, values)),
      sse: handlerNodes.some((h) => usesSse(h)),
      handlers: handlerNodes,
    });
  });
  return routes;
}

function resolveFunction(file: SourceFile, name: string): t.Node | undefined {
  for (const statement of file.ast.program.body) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type === "FunctionDeclaration" && declaration.id?.name === name) return declaration;
    if (declaration?.type === "VariableDeclaration") {
      for (const d of declaration.declarations) {
        if (
          d.id.type === "Identifier" &&
          d.id.name === name &&
          d.init &&
          (d.init.type === "ArrowFunctionExpression" || d.init.type === "FunctionExpression")
        )
          return d.init;
      }
    }
  }
  return undefined;
}

function findFastmcpStart(app: AppSite): FastmcpStart | undefined {
  let found: FastmcpStart | undefined;
  walk(app.file.ast.program, (node) => {
    if (found || node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return;
    if (node.callee.property.type !== "Identifier" || node.callee.property.name !== "start") return;
    // `server.start(...)`, or `mcpAuth(server).start(...)` once wired.
    const object = node.callee.object;
    const wrapped =
      object.type === "CallExpression" &&
      object.callee.type === "Identifier" &&
      object.arguments[0]?.type === "Identifier" &&
      object.arguments[0].name === app.name;
    if (!(object.type === "Identifier" && object.name === app.name) && !wrapped) return;
    const options = node.arguments[0];
    let transport: FastmcpStart["transport"] = options ? "unknown" : "stdio";
    let endpoint = "/mcp";
    let basePath = "";
    if (options?.type === "ObjectExpression") {
      for (const p of options.properties) {
        if (p.type !== "ObjectProperty" || p.key.type !== "Identifier") continue;
        if (p.key.name === "transportType") {
          const value = stringValue(p.value);
          transport = value === "stdio" ? "stdio" : value === "httpStream" ? "httpStream" : "unknown";
        }
        if (p.key.name === "httpStream" && p.value.type === "ObjectExpression") {
          for (const q of p.value.properties) {
            if (q.type !== "ObjectProperty" || q.key.type !== "Identifier") continue;
            if (q.key.name === "endpoint") endpoint = stringValue(q.value) ?? endpoint;
            if (q.key.name === "basePath") basePath = stringValue(q.value) ?? basePath;
          }
        }
      }
    }
    const joined = `${basePath.replace(/\/+$/, "")}/${endpoint.replace(/^\/+/, "")}`;
    found = { file: app.file, line: lineOf(node), call: node, callee: node.callee.object, transport, endpoint: joined };
  });
  return found;
}

function findTools(file: SourceFile): ToolSite[] {
  const tools: ToolSite[] = [];
  walk(file.ast.program, (node) => {
    if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression" || node.callee.property.type !== "Identifier") return;
    const method = node.callee.property.name;
    if (method === "tool" || method === "registerTool") {
      const name = stringValue(node.arguments[0]);
      if (name !== undefined) tools.push({ name, file: file.rel, line: lineOf(node) });
    } else if (method === "addTool" && node.arguments[0]?.type === "ObjectExpression") {
      for (const p of node.arguments[0].properties) {
        if (p.type === "ObjectProperty" && p.key.type === "Identifier" && p.key.name === "name") {
          const name = stringValue(p.value);
          if (name !== undefined) tools.push({ name, file: file.rel, line: lineOf(node) });
        }
      }
    }
  });
  return tools;
}

function isFunction(node: t.Node): node is t.Function {
  return (
    node.type === "FunctionDeclaration" ||
    node.type === "FunctionExpression" ||
    node.type === "ArrowFunctionExpression" ||
    node.type === "ObjectMethod" ||
    node.type === "ClassMethod"
  );
}

function references(root: t.Node, name: string): boolean {
  let found = false;
  walk(root, (node) => {
    if (node.type === "Identifier" && node.name === name) found = true;
    return !found;
  });
  return found;
}

/** Names a function declares itself (parameters and variables), which shadow outer ones. */
function declaresName(fn: t.Function, name: string): boolean {
  if (fn.params.some((p) => p.type === "Identifier" && p.name === name)) return true;
  let found = false;
  walk(fn.body, (node) => {
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier" && node.id.name === name) found = true;
    return !found;
  });
  return found;
}

function findReusedServers(file: SourceFile): ReusedServer[] {
  const found: ReusedServer[] = [];
  const body = file.ast.program.body;
  body.forEach((statement, index) => {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type !== "VariableDeclaration" || declaration.declarations.length !== 1) return;
    const declarator = declaration.declarations[0]!;
    const init = declarator.init && unwrap(declarator.init);
    if (
      declarator.id.type !== "Identifier" ||
      init?.type !== "NewExpression" ||
      init.callee.type !== "Identifier" ||
      !MCP_SERVER_CLASSES.has(init.callee.name)
    )
      return;
    const binding = file.imports.get(init.callee.name);
    if (!binding || !(binding.source.startsWith(SDK_V1) || SDK_V2.includes(binding.source))) return;
    const name = declarator.id.name;

    // Functions that build a new transport and connect this (outer) server to it.
    const handlers: t.Function[] = [];
    walk(file.ast.program, (node) => {
      if (!isFunction(node) || declaresName(node, name)) return;
      let transport = false;
      let connects = false;
      walk(node.body, (inner) => {
        if (inner !== node && isFunction(inner)) return false;
        if (inner.type === "NewExpression" && inner.callee.type === "Identifier" && MCP_TRANSPORTS.has(inner.callee.name)) transport = true;
        if (inner.type === "CallExpression" && memberPath(inner.callee) === `${name}.connect`) connects = true;
      });
      if (transport && connects) handlers.push(node);
    });
    if (handlers.length === 0) return;

    const site: ReusedServer = { file, name, line: lineOf(statement), handlerLine: lineOf(handlers[0]!) };
    // The fix moves the creation and the statements right after it that set the server up into a factory.
    const run: t.Statement[] = [statement];
    for (let i = index + 1; i < body.length; i++) {
      const next = body[i]!;
      if (
        next.type !== "ExpressionStatement" ||
        !references(next, name) ||
        handlers.some((h) => start(h) >= start(next!) && end(h) <= end(next!))
      )
        break;
      run.push(next);
    }
    const inRun = new Set<t.Node>(run);
    const elsewhere = body.some((s) => !inRun.has(s) && referencesOutside(s, handlers, name));
    const awaits = run.some((s) => hasTopLevelAwait(s));
    const multiline = run.some((s) => hasMultilineTemplate(s));
    if (declaration.kind === "var") site.reason = `${name} is declared with var`;
    else if (statement.type === "ExportNamedDeclaration") site.reason = `${name} is exported`;
    else if (elsewhere) site.reason = `${name} is used outside the request handler and its setup`;
    else if (awaits) site.reason = `the setup of ${name} awaits at the top level`;
    else if (multiline) site.reason = `the setup of ${name} has a multi-line template literal`;
    else if (handlers.some((h) => h.body.type !== "BlockStatement")) site.reason = "the request handler has no block body";
    else site.fix = { run, handlers };
    found.push(site);
  });
  return found;
}

/** Whether `statement` references `name` outside the given functions. */
function referencesOutside(statement: t.Node, functions: t.Node[], name: string): boolean {
  let found = false;
  walk(statement, (node) => {
    if (found || functions.includes(node)) return false;
    if (node.type === "Identifier" && node.name === name) found = true;
    return !found;
  });
  return found;
}

function hasTopLevelAwait(statement: t.Node): boolean {
  let found = false;
  walk(statement, (node) => {
    if (isFunction(node)) return false;
    if (node.type === "AwaitExpression") found = true;
    return !found;
  });
  return found;
}

function hasMultilineTemplate(statement: t.Node): boolean {
  let found = false;
  walk(statement, (node) => {
    if (node.type === "TemplateLiteral" && node.quasis.some((q) => q.value.raw.includes("\n"))) found = true;
  });
  return found;
}

/** `transport.handleRequest(req, res)` (or a v2 node handler called the same way) in an MCP route. */
function findBodyless(route: RouteSite): BodylessCall[] {
  const values = mcpValues(route.file);
  const found: BodylessCall[] = [];
  for (const handler of route.handlers) {
    if (!isFunction(handler)) continue;
    const request = handler.params[0];
    if (request?.type !== "Identifier") continue;
    walk(handler.body, (node) => {
      if (node.type !== "CallExpression" || node.arguments.length !== 2) return;
      const first = node.arguments[0];
      if (first?.type !== "Identifier" || first.name !== request.name) return;
      const isHandleRequest =
        node.callee.type === "MemberExpression" &&
        node.callee.property.type === "Identifier" &&
        node.callee.property.name === "handleRequest";
      const isNodeHandler = node.callee.type === "Identifier" && values.has(node.callee.name);
      if (isHandleRequest || isNodeHandler) found.push({ file: route.file, call: node, request: request.name, line: lineOf(node) });
    });
  }
  return found;
}

function findFirst(files: SourceFile[], test: (node: t.Node) => boolean): { file: SourceFile; node: t.Node } | undefined {
  for (const file of files) {
    let hit: t.Node | undefined;
    walk(file.ast.program, (node) => {
      if (hit) return false;
      if (test(node)) hit = node;
      return !hit;
    });
    if (hit) return { file, node: hit };
  }
  return undefined;
}

/** Does the server take its port from PORT, and which port does it use without it? */
function detectPort(files: SourceFile[], fastmcpStart: FastmcpStart | undefined): Detection["port"] {
  let fromEnv = false;
  let fallback: number | undefined;
  for (const file of files) {
    walk(file.ast.program, (node, ancestors) => {
      if (
        memberPath(node) !== "process.env.PORT" &&
        !(node.type === "MemberExpression" && memberPath(node.object) === "process.env" && stringValue(node.property) === "PORT")
      )
        return;
      fromEnv = true;
      // `process.env.PORT || 3000`, `Number(process.env.PORT ?? 3000)`
      for (const ancestor of [...ancestors].reverse().slice(0, 3)) {
        if (ancestor.type === "LogicalExpression" && ancestor.right.type === "NumericLiteral") fallback ??= ancestor.right.value;
        if (ancestor.type === "LogicalExpression" && ancestor.right.type === "StringLiteral" && /^\d+$/.test(ancestor.right.value))
          fallback ??= Number(ancestor.right.value);
      }
    });
  }
  let literal: number | undefined;
  if (!fromEnv && fastmcpStart) {
    walk(fastmcpStart.call, (node) => {
      if (
        node.type === "ObjectProperty" &&
        node.key.type === "Identifier" &&
        node.key.name === "port" &&
        node.value.type === "NumericLiteral"
      )
        literal = node.value.value;
    });
  }
  if (!fromEnv && literal === undefined) {
    for (const file of files) {
      walk(file.ast.program, (node) => {
        if (literal !== undefined || node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return;
        if (node.callee.property.type !== "Identifier" || node.callee.property.name !== "listen") return;
        const arg = node.arguments[0];
        if (arg?.type === "NumericLiteral") literal = arg.value;
        if (arg?.type === "ObjectExpression") {
          for (const p of arg.properties) {
            if (p.type === "ObjectProperty" && p.key.type === "Identifier" && p.key.name === "port" && p.value.type === "NumericLiteral")
              literal = p.value.value;
          }
        }
      });
    }
  }
  return { fromEnv, fallback: fallback ?? literal ?? 3000, literal };
}

function startCommand(
  pkg: PackageJson,
  entry: SourceFile | undefined,
  language: Language,
  pm: PackageManager,
  deps: Record<string, string>,
): StartCommand | undefined {
  const scripts = pkg.data.scripts ?? {};
  const run = (script: string) => ({ file: pm, args: pm === "npm" && script === "start" ? ["start"] : ["run", script] });
  const display = (script: string) => (pm === "npm" && script === "start" ? "npm start" : `${pm} run ${script}`);
  for (const script of ["start", "dev"]) {
    const command = scripts[script];
    if (!command) continue;
    const runsSource = /\b(tsx|ts-node|ts-node-dev|nodemon|bun|deno|fastmcp|--experimental-strip-types|--watch)\b/.test(command);
    const build = scripts.build && !runsSource ? run("build") : undefined;
    return { display: build ? `${display("build")} && ${display(script)}` : display(script), ...(build ? { build } : {}), ...run(script) };
  }
  if (!entry) return undefined;
  if (language === "js") return { display: `node ${entry.rel}`, file: process.execPath, args: [entry.rel] };
  if ("tsx" in deps) return { display: `npx tsx ${entry.rel}`, file: "npx", args: ["tsx", entry.rel] };
  return undefined;
}
