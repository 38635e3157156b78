/** The project's source files, read and parsed (never matched with regular expressions), with what each imports. */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { usageError } from "../../core/errors.js";
import { type Language, parseModule, stringValue, type t } from "../ast.js";
import { readSourceTexts } from "../guard.js";
import type { Binding, PackageJson, SourceFile, StartCommand } from "./types.js";

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
/** Where a build writes its output: read only when the project ships nothing else (see compiledDirs). */
const COMPILED_DIRS = ["dist", "build"];
const SOURCE_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"]);
const MAX_FILES = 400;

export async function readSources(
  root: string,
  parseErrors: string[],
  skipped: string[],
  entry?: string,
  pkg?: PackageJson,
): Promise<{ files: SourceFile[]; compiled: string[] }> {
  let listing = readSourceTexts(root, { skipDirs: SKIP_DIRS, isSourceName, maxFiles: MAX_FILES, entry });
  const compiled = pkg
    ? compiledDirs(
        root,
        pkg,
        listing.texts.map((t) => t.rel).filter((rel) => rel !== entry),
      )
    : [];
  if (compiled.length > 0) {
    const skipDirs = new Set([...SKIP_DIRS].filter((name) => !compiled.includes(name)));
    listing = readSourceTexts(root, { skipDirs, isSourceName: isCompiledOrSourceName, maxFiles: MAX_FILES, entry });
  }
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
  return { files, compiled };
}

/**
 * The build output folders (dist/, build/) to read as the project's code: a
 * package as published ships only its compiled JavaScript, and that is the
 * code that runs. Read when the project has no sources of its own outside
 * them (no TypeScript, nothing under src/) and its package.json runs a file
 * there (bin, main, or the start/dev script), or when nothing else is there.
 */
export function compiledDirs(root: string, pkg: PackageJson, found: string[]): string[] {
  const present = COMPILED_DIRS.filter((dir) => {
    try {
      return statSync(path.join(root, dir)).isDirectory();
    } catch {
      return false;
    }
  });
  if (present.length === 0) return [];
  if (found.some((rel) => /\.[mc]?ts$/.test(rel) || rel.startsWith("src/")) || existsSync(path.join(root, "src"))) return [];
  if (found.length === 0) return present;
  const data = pkg.data as PackageJson["data"] & { bin?: string | Record<string, string> };
  const bin = typeof data.bin === "string" ? [data.bin] : Object.values(data.bin ?? {});
  const named = [...bin, data.main ?? "", data.scripts?.start ?? "", data.scripts?.dev ?? ""].join(" ");
  return present.filter((dir) => new RegExp(`(^|[\\s"'=]|\\./)${dir}/`).test(named));
}

/** In build output: JavaScript only, without source maps, declarations, tests or vendored chunks of dependencies. */
function isCompiledOrSourceName(name: string): boolean {
  return isSourceName(name) && !/^vendor[-.]|\.min\.[mc]?js$/.test(name);
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

/** Helpers compilers wrap a require in (tsc's esModuleInterop, Babel): `__importDefault(require("x"))`. */
const INTEROP_HELPERS = new Set(["__importDefault", "__importStar", "_interopRequireDefault", "_interopRequireWildcard"]);

/** `require("x")` -> "x" (also wrapped in a compiler's interop helper). */
export function requireSource(node: t.Node | null | undefined): string | undefined {
  if (node?.type === "CallExpression" && node.callee.type === "Identifier" && INTEROP_HELPERS.has(node.callee.name))
    return node.arguments.length >= 1 ? requireSource(node.arguments[0]) : undefined;
  if (node?.type !== "CallExpression" || node.callee.type !== "Identifier" || node.callee.name !== "require") return undefined;
  return stringValue(node.arguments[0]);
}

/**
 * What a called or constructed name is bound to: `express()`, and the forms
 * compiled CommonJS uses for the same call, `(0, express_1.default)()` and
 * `new streamableHttp_js_1.StreamableHTTPServerTransport()` (a member of a
 * required module).
 */
export function calleeBinding(file: SourceFile, callee: t.Node): Binding | undefined {
  let node = callee;
  if (node.type === "SequenceExpression") node = node.expressions[node.expressions.length - 1] ?? node;
  if (node.type === "Identifier") return file.imports.get(node.name);
  if (node.type === "MemberExpression" && !node.computed && node.object.type === "Identifier" && node.property.type === "Identifier") {
    const module = file.imports.get(node.object.name);
    if (module?.imported === "*") return { source: module.source, imported: node.property.name };
  }
  return undefined;
}

/** The class or function name a call or `new` names: `X` in `new X()`, `new m.X()` and `(0, m.X)()`. */
export function calleeName(callee: t.Node): string | undefined {
  let node = callee;
  if (node.type === "SequenceExpression") node = node.expressions[node.expressions.length - 1] ?? node;
  if (node.type === "Identifier") return node.name;
  if (node.type === "MemberExpression" && !node.computed && node.property.type === "Identifier") return node.property.name;
  return undefined;
}

/**
 * A start script that runs a source file the package does not ship
 * (`"start": "tsx src/dev_server.ts"` in a package that publishes only
 * dist/, `published`): the shipped compiled file of the app is what runs,
 * started with node. Otherwise the start command as found (in a project with
 * its sources, a file the script runs may be one its build writes).
 */
export function shippedStart(
  root: string,
  pkg: PackageJson,
  found: StartCommand | undefined,
  entry: SourceFile | undefined,
  published: boolean,
): StartCommand | undefined {
  if (!published || !found || !entry || !/\.[mc]?js$/.test(entry.rel)) return found;
  const scripts = pkg.data.scripts ?? {};
  if (found.file === process.execPath) {
    // The app's own module started with node, for want of a script that runs it: when it is a module of the
    // package's bin or main, a start/dev/serve script that runs that file after its build is how it starts.
    const data = pkg.data as PackageJson["data"] & { bin?: string | Record<string, string> };
    const launchers = new Set(
      [...(typeof data.bin === "string" ? [data.bin] : Object.values(data.bin ?? {})), data.main ?? ""]
        .filter(Boolean)
        .map((file) => path.normalize(file)),
    );
    for (const [name, command] of Object.entries(scripts)) {
      if (!STARTS.test(name) || NOT_SERVING.test(name) || NOT_SERVING_COMMAND.test(command)) continue;
      const after = afterBuild(root, command) ?? nodeRun(root, command);
      if (after && launchers.has(path.normalize(after.args[0] ?? "")) && after.args[0] !== entry.rel) return after;
    }
    return found;
  }
  const script = found.args[0] === "run" ? found.args[1] : found.args[0];
  const command = script ? scripts[script] : undefined;
  if (!command) return found;
  const after = afterBuild(root, command);
  if (after) return after;
  // The file the script's runner is given: `tsx src/x.ts`, `ts-node src/x.ts`, `node dist/x.js`.
  const target = /\b(?:tsx|ts-node|ts-node-dev|node)\s+(?:--?[\w-]+(?:=\S+)?\s+)*(\.{0,2}\/?[\w./-]+\.[mc]?[jt]s)\b/.exec(command)?.[1];
  if (!target || existsSync(path.join(root, target))) return found;
  return { display: `node ${entry.rel}`, file: process.execPath, args: [entry.rel] };
}

/** Script names that start the server (`start`, `dev:http`, `serve:http`). */
const STARTS = /^(start|dev|serve)\b/;
/** Script names that start it some other way than serving HTTP: stdio, a watcher, a debugger, the inspector. */
export const NOT_SERVING = /\b(stdio|sse|watch|debug|inspect|inspector)\b/;
/**
 * Commands that run the server under another program (the MCP inspector) rather than serve it, or beside the
 * compiler in watch mode (`concurrently "tsc --watch" "node --watch build/index.js"`), which rebuilds what it runs.
 */
export const NOT_SERVING_COMMAND = /\binspector\b|\btsc\b[^&"']*\s--watch\b/;

/**
 * A script of a published package that builds before it runs a shipped file (`npm run build && node ./dist/main.js`,
 * `tsc && node dist/index.js --transport http`): the build cannot run without the sources the package leaves out
 * (its build step is red before add, the project's own), so the file it runs after the build, which the package
 * ships built, is started with node and the script's arguments. Undefined for any other script, or one whose last
 * command sets variables of its own or runs a file that is not there.
 */
function afterBuild(root: string, command: string): StartCommand | undefined {
  const parts = command.split("&&").map((part) => part.trim());
  const last = parts.pop() ?? "";
  if (parts.length === 0 || !parts.some((part) => /(^|\s)((npm|pnpm|yarn|bun)\s+(run\s+)?build\b|tsc\b|tsup\b)/.test(part)))
    return undefined;
  return nodeRun(root, last);
}

/** `node dist/index.js --transport http`: that command, when the file is there (no node options, no variables set). */
function nodeRun(root: string, command: string): StartCommand | undefined {
  const m = /^node\s+((?:--?[\w-]+(?:=\S+)?\s+)*)(\.{0,2}\/?[\w./-]+\.[mc]?js)((?:\s+[\w./:=-]+)*)$/.exec(command.trim());
  if (!m || m[1] || !existsSync(path.join(root, m[2]!))) return undefined;
  const args = [m[2]!, ...(m[3] ?? "").trim().split(/\s+/).filter(Boolean)];
  return { display: `node ${args.join(" ")}`, file: process.execPath, args };
}
