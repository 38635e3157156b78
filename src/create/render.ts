import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, type CreateOptions } from './options.js';
import { renderContext, type RenderContext } from './context.js';
import { envValue } from './literals.js';
import { createRenderer } from './template-engine.js';

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
    const candidate = path.join(dir, 'templates');
    if (existsSync(path.join(candidate, 'base'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('create-mcp-auth: templates/ folder not found next to the CLI');
    dir = parent;
  }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
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

/** Files of a template folder that are inputs to the renderer, not project files. */
const META_FILES = new Set(['deps.json', 'ENV.md', 'README.section.md.hbs']);

function outputPath(templatePath: string): string {
  let out = templatePath.endsWith('.hbs') ? templatePath.slice(0, -'.hbs'.length) : templatePath;
  out = out.replace(/(^|\/)_gitignore$/, '$1.gitignore');
  return out;
}

interface DepsFile {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

async function readDeps(dir: string): Promise<DepsFile> {
  const file = path.join(dir, 'deps.json');
  if (!existsSync(file)) return {};
  return JSON.parse(await readFile(file, 'utf8')) as DepsFile;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function packageJson(name: string, layers: DepsFile[]): string {
  const merge = (key: keyof DepsFile) => Object.assign({}, ...layers.map((layer) => layer[key] ?? {})) as Record<string, string>;
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '^20.19.0 || >=22.12.0' },
    scripts: { ...merge('scripts'), check: 'npx -y create-mcp-auth@latest check --project .' },
    dependencies: sortedRecord(merge('dependencies')),
    devDependencies: sortedRecord(merge('devDependencies')),
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

interface EnvVariable {
  name: string;
  comment: string;
  example: string;
  value: string | undefined;
}

function envVariables(options: CreateOptions): EnvVariable[] {
  const sk = options.scalekit;
  return [
    {
      name: 'SCALEKIT_ENVIRONMENT_URL',
      comment: 'Scalekit environment URL (Dashboard > Settings > API credentials). Local mode: the local issuer.',
      example: 'https://your-env.scalekit.dev',
      value: sk ? sk.envUrl : DEFAULTS.localIssuerUrl,
    },
    {
      name: 'SCALEKIT_CLIENT_ID',
      comment: 'Scalekit API client id. Optional: only the management API uses it, token validation does not.',
      example: 'skc_1234567890',
      value: sk?.clientId,
    },
    {
      name: 'SCALEKIT_CLIENT_SECRET',
      comment: 'Scalekit API client secret. Optional, like the client id. Never commit it.',
      example: '',
      value: sk?.clientSecret,
    },
    {
      name: 'SCALEKIT_RESOURCE_ID',
      comment: 'Resource id of this MCP server in Scalekit (MCP Servers > your server), res_... (or the resource URL).',
      example: 'res_1234567890',
      value: sk ? sk.resourceId : DEFAULTS.localResourceId,
    },
    {
      name: 'MCP_SERVER_URL',
      comment: 'Public URL of the MCP endpoint, exactly as registered in Scalekit. Tokens must name it as audience.',
      example: options.serverUrl,
      value: options.serverUrl,
    },
    {
      name: 'PORT',
      comment: 'Port the server listens on.',
      example: String(options.port),
      value: String(options.port),
    },
    {
      name: 'HOST',
      comment: 'Optional listen address. Default: 127.0.0.1 when MCP_SERVER_URL is on localhost, all interfaces otherwise.',
      example: '',
      value: undefined,
    },
  ];
}

export function envExampleFile(options: CreateOptions): string {
  const lines = ['# Copy to .env and fill in. Real environment variables win over .env.', ''];
  for (const variable of envVariables(options)) {
    lines.push(`# ${variable.comment}`, `${variable.name}=${variable.example ? envValue(variable.example) : ''}`, '');
  }
  return lines.join('\n');
}

export function envFile(options: CreateOptions): string | undefined {
  const given = envVariables(options).filter((v) => v.value !== undefined && v.value !== '');
  if (given.length === 0) return undefined;
  const header =
    options.scalekit === null
      ? '# Local mode: tokens come from `npx create-mcp-auth issuer` (development only).\n# To use Scalekit, replace the first lines with your environment URL, client id, secret and resource id.\n'
      : '# Secrets: this file is in .gitignore. Keep it that way.\n';
  return header + given.map((v) => `${v.name}=${envValue(v.value!)}`).join('\n') + '\n';
}

/** Renders the whole project in memory: sorted, deterministic, nothing written. */
export async function renderProject(options: CreateOptions, root = templatesRoot()): Promise<ProjectFile[]> {
  const render = createRenderer();
  const providerLayer = 'providers/scalekit';
  const base = renderContext(options);
  const sectionFile = path.join(root, providerLayer, 'README.section.md.hbs');
  const readme = existsSync(sectionFile) ? render(`${providerLayer}/README.section.md.hbs`, await readFile(sectionFile, 'utf8'), base) : '';
  const context: RenderContext = { ...base, provider: { name: 'scalekit', display: 'Scalekit', readme } };
  const layers = ['base', providerLayer, options.framework.templateDir].map((layer) => path.join(root, layer));
  const files = new Map<string, ProjectFile>();

  // Read every layer's files at once; later layers override earlier ones.
  const layerFiles = await Promise.all(
    layers.map(async (layer) => {
      const rels = (await listFiles(layer)).filter((rel) => !META_FILES.has(rel));
      return Promise.all(rels.map(async (rel) => ({ layer, rel, raw: await readFile(path.join(layer, rel)) })));
    }),
  );
  for (const { layer, rel, raw } of layerFiles.flat()) {
    const out = outputPath(rel);
    const templatePath = `${path.relative(root, layer).split(path.sep).join('/')}/${rel}`;
    const content = rel.endsWith('.hbs') ? Buffer.from(render(templatePath, raw.toString('utf8'), context)) : raw;
    files.set(out, { path: out, content, mode: 0o644 });
  }

  const deps = await Promise.all(layers.map(readDeps));
  files.set('package.json', { path: 'package.json', content: Buffer.from(packageJson(options.packageName, deps)), mode: 0o644 });
  files.set('.env.example', { path: '.env.example', content: Buffer.from(envExampleFile(options)), mode: 0o644 });
  const env = envFile(options);
  if (env !== undefined) files.set('.env', { path: '.env', content: Buffer.from(env), mode: 0o600 });

  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
