import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { envValue, shWord } from "../core/literals.js";
import { selfCommand } from "../core/self-command.js";
import type { EnvVariable } from "../providers.js";
import { type RenderContext, renderContext } from "./context.js";
import type { CreateOptions } from "./options.js";
import { createRenderer } from "./template-engine.js";

export interface ProjectFile {
  /** Path relative to the project root, `/`-separated. */
  path: string;
  content: Buffer;
  /** File mode; `.env` is 0600 because it may hold a secret. */
  mode: number;
}

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

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else if (entry.isFile()) files.push(rel);
  }
  return files;
}

/** A provider folder's README section, rendered into the context's `provider.readme`. */
export const README_SECTION = "README.section.md.hbs";

/** Files of a template folder that are inputs to the renderer, not project files. */
const META_FILES = new Set(["deps.json", "ENV.md", README_SECTION]);

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

async function readDeps(dir: string): Promise<DepsFile> {
  const file = path.join(dir, "deps.json");
  if (!existsSync(file)) return {};
  return JSON.parse(await readFile(file, "utf8")) as DepsFile;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The project's create-mcp-auth scripts, pinned to the copy of the CLI that wrote it
 * (src/core/self-command.ts: this version from the registry, its tarball, or its clone;
 * `@latest` would drift from the code it generated). npm runs scripts with
 * `sh -c`, so the scopes are one shell word.
 */
export function pinnedScripts(options: CreateOptions, cli = selfCommand()): Record<string, string> {
  const issuer = ["issuer", ...options.provider.issuerArgs, "--scopes", shWord(options.scopes.join(","))].join(" ");
  return {
    issuer: `${cli} ${issuer}`,
    token: `${cli} issuer token`,
    check: `${cli} check --project .`,
  };
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

export function envExampleFile(options: CreateOptions): string {
  const lines = ["# Copy to .env and fill in. Real environment variables win over .env.", ""];
  for (const variable of envVariables(options)) {
    lines.push(`# ${variable.comment}`, `${variable.name}=${variable.example ? envValue(variable.example) : ""}`, "");
  }
  return lines.join("\n");
}

export function envFile(options: CreateOptions): string | undefined {
  const given = envVariables(options).filter((v) => v.value !== undefined && v.value !== "");
  if (given.length === 0) return undefined;
  const lines = given.map((v) => `${v.name}=${envValue(v.value!)}\n`);
  return options.provider.envHeader(options.local) + lines.join("");
}

/** Renders the whole project in memory: sorted, deterministic, nothing written. */
export async function renderProject(options: CreateOptions, root = templatesRoot()): Promise<ProjectFile[]> {
  if (options.language === "python") {
    const { renderPythonProject } = await import("../languages/python/render.js");
    return renderPythonProject(options, { root });
  }
  const render = createRenderer();
  const layerNames = ["base", options.provider.templateDir, options.framework.templateDir];
  const layers = layerNames.map((layer) => path.join(root, layer));
  const context: RenderContext = renderContext(options);
  // The provider's README section is rendered first, with the same context, for templates to place.
  const sectionFile = path.join(root, options.provider.templateDir, README_SECTION);
  if (existsSync(sectionFile)) {
    const section = await readFile(sectionFile, "utf8");
    context.provider.readme = render(`${options.provider.templateDir}/${README_SECTION}`, section, context);
  }

  // Read every layer's files at once; later layers override earlier ones.
  const layerFiles = await Promise.all(
    layerNames.map(async (layer, i) => {
      const rels = (await listFiles(layers[i]!)).filter((rel) => !META_FILES.has(rel));
      return Promise.all(rels.map(async (rel) => ({ layer, rel, raw: await readFile(path.join(layers[i]!, rel)) })));
    }),
  );
  const files = new Map<string, ProjectFile>();
  for (const { layer, rel, raw } of layerFiles.flat()) {
    const out = outputPath(rel);
    if (out === CI_WORKFLOW && !options.ci) continue;
    const content = rel.endsWith(".hbs") ? Buffer.from(render(`${layer}/${rel}`, raw.toString("utf8"), context)) : raw;
    files.set(out, { path: out, content, mode: 0o644 });
  }

  // The auth core lives with add's templates (templates/typescript/auth); frameworks without a plain template yet get it here.
  const coreDirs = [path.join(root, "typescript/auth/src"), path.join(root, "typescript/auth/providers", options.provider.name, "src")];
  for (const dir of coreDirs) {
    for (const rel of (await listFiles(dir)).filter((r) => r.endsWith(".ts"))) {
      files.set(`src/auth/${rel}`, { path: `src/auth/${rel}`, content: await readFile(path.join(dir, rel)), mode: 0o644 });
    }
  }

  if (files.has("src/tools.ts")) {
    const reexport = 'export { scopeHierarchy, serverName, toolScopes } from "../tools.js";\n';
    files.set("src/auth/tool-scopes.ts", { path: "src/auth/tool-scopes.ts", content: Buffer.from(reexport), mode: 0o644 });
  }

  const deps = await Promise.all(layers.map(readDeps));
  files.set("package.json", {
    path: "package.json",
    content: Buffer.from(packageJson(options.packageName, deps, pinnedScripts(options))),
    mode: 0o644,
  });
  files.set(".env.example", { path: ".env.example", content: Buffer.from(envExampleFile(options)), mode: 0o644 });
  const env = envFile(options);
  if (env !== undefined) files.set(".env", { path: ".env", content: Buffer.from(env), mode: 0o600 });

  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The plain server's layers: what every TypeScript project has, then the framework's own files. */
export function plainLayers(framework: string): string[] {
  return ["typescript/common", `typescript/${framework}`];
}

/** Whether `root` has a plain template for this framework (create = plain + add). */
export function hasPlainTemplate(framework: string, root = templatesRoot()): boolean {
  return existsSync(path.join(root, plainLayers(framework)[1]!));
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
    for (const rel of (await listFiles(dir)).filter((r) => !META_FILES.has(r)).sort()) {
      const out = outputPath(rel);
      if (out === CI_WORKFLOW && !options.ci) continue;
      const raw = await readFile(path.join(dir, rel));
      const content = rel.endsWith(".hbs") ? Buffer.from(render(`${layer}/${rel}`, raw.toString("utf8"), context)) : raw;
      files.set(out, { path: out, content, mode: 0o644 });
    }
  }
  const deps = await Promise.all(layerNames.map((layer) => readDeps(path.join(root, layer))));
  files.set("package.json", { path: "package.json", content: Buffer.from(packageJson(options.packageName, deps, {})), mode: 0o644 });
  files.set(".env.example", { path: ".env.example", content: Buffer.from(plainEnvExample(options)), mode: 0o644 });
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
