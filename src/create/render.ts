import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRenderer } from "../core/template-engine.js";
import { byPath, type ProjectFile } from "../core/write.js";
import type { EnvVariable } from "../providers.js";
import { type RenderContext, renderContext } from "./context.js";
import type { CreateOptions } from "./options.js";

export type { ProjectFile };

/** The package's `templates/` folder, found from this module whether it runs from src/ or a dist/ chunk. */
export function templatesRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "templates");
    if (existsSync(path.join(candidate, "typescript"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("create-mcp-auth: templates/ folder not found next to the CLI");
    dir = parent;
  }
}

// Synchronous reads: a template folder is a few small files, and each asynchronous read waits for a thread of the pool.
function listFiles(dir: string, prefix = ""): string[] {
  if (!existsSync(dir)) return [];
  const entries = readdirSync(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...listFiles(path.join(dir, entry.name), rel));
    else if (entry.isFile()) files.push(rel);
  }
  return files;
}

/** Files of a template folder that are inputs to the renderer, not project files. */
const META_FILES = new Set(["deps.json"]);

/** Written only with `ci: true` (not with `--no-ci`). */
export const CI_WORKFLOW = ".github/workflows/ci.yml";

function outputPath(templatePath: string): string {
  let out = templatePath.endsWith(".hbs") ? templatePath.slice(0, -".hbs".length) : templatePath;
  // npm drops .gitignore from a published package, and Biome refuses a second root biome.json inside this repo.
  out = out.replace(/(^|\/)_gitignore$/, "$1.gitignore").replace(/^_biome\.json$/, "biome.json");
  return out;
}

interface DepsFile {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

function readDeps(dir: string): DepsFile {
  const file = path.join(dir, "deps.json");
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, "utf8")) as DepsFile;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function packageJson(name: string, layers: DepsFile[], scripts: Record<string, string>): string {
  const merge = (key: keyof DepsFile) => Object.assign({}, ...layers.map((layer) => layer[key] ?? {})) as Record<string, string>;
  const pkg = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    engines: { node: "^20.19.0 || >=22.12.0" },
    scripts: { ...merge("scripts"), ...scripts },
    dependencies: sortedRecord(merge("dependencies")),
    devDependencies: sortedRecord(merge("devDependencies")),
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Every variable of the project: the provider's, then the common ones (CONTRACTS: environment variables per provider). */
export function envVariables(options: CreateOptions): EnvVariable[] {
  return [
    ...options.provider.env(options.settings, options.local),
    {
      name: "MCP_SERVER_URL",
      comment:
        "Public URL of the MCP endpoint, as clients reach it and as the authorization server knows it. Tokens must name it as audience.",
      example: options.serverUrl,
      value: options.serverUrl,
    },
    {
      name: "PORT",
      comment: "Port the server listens on.",
      example: String(options.port),
      value: String(options.port),
    },
    {
      name: "HOST",
      comment: "Optional listen address. Default: the loopback address of a localhost MCP_SERVER_URL, all interfaces otherwise.",
      example: "",
      value: undefined,
    },
    {
      name: "MCP_ALLOWED_ORIGINS",
      comment: "Optional: browser origins allowed besides the server's own, comma separated, e.g. https://app.example.com",
      example: "",
      value: undefined,
    },
  ];
}

/** The plain server's layers: what every TypeScript project has, then the framework's own files. */
export function plainLayers(framework: string): string[] {
  return ["typescript/common", `typescript/${framework}`];
}

/** The plain server's `.env.example`: where it listens. `add` appends the auth's variables. */
export function plainEnvExample(options: CreateOptions): string {
  return [
    "# Copy to .env and fill in. Real environment variables win over .env.",
    "",
    "# Port the server listens on.",
    `PORT=${options.port}`,
    "",
    "# Optional listen address. Default: 127.0.0.1 (in a container: 0.0.0.0).",
    "HOST=",
    "",
  ].join("\n");
}

/**
 * The plain MCP server, in memory: runnable and testable without auth, as
 * its framework and the MCP SDK document it. `create` then adds to it
 * exactly what `add` writes (src/create/project.ts).
 */
export async function renderPlain(options: CreateOptions, root = templatesRoot()): Promise<ProjectFile[]> {
  const render = createRenderer();
  const layerNames = plainLayers(options.framework.name);
  const context: RenderContext = renderContext(options);
  const files = new Map<string, ProjectFile>();
  for (const layer of layerNames) {
    const dir = path.join(root, layer);
    for (const rel of listFiles(dir)
      .filter((r) => !META_FILES.has(r))
      .sort()) {
      const out = outputPath(rel);
      if (out === CI_WORKFLOW && !options.ci) continue;
      const raw = readFileSync(path.join(dir, rel));
      const content = rel.endsWith(".hbs") ? Buffer.from(render(`${layer}/${rel}`, raw.toString("utf8"), context)) : raw;
      files.set(out, { path: out, content, mode: 0o644 });
    }
  }
  const deps = layerNames.map((layer) => readDeps(path.join(root, layer)));
  files.set("package.json", { path: "package.json", content: Buffer.from(packageJson(options.packageName, deps, {})), mode: 0o644 });
  files.set(".env.example", { path: ".env.example", content: Buffer.from(plainEnvExample(options)), mode: 0o644 });
  return [...files.values()].sort(byPath);
}
