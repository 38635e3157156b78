import type { CreateOptions, PackageManager } from './options.js';

export interface ExampleTool {
  name: string;
  scope: string;
  title: string;
}

export interface PackageManagerCommands {
  name: PackageManager;
  install: string;
  run: string;
  exec: string;
}

/** Everything a template may read. User values in it reach files only through the literal helpers. */
export interface RenderContext {
  projectName: string;
  framework: { name: string; display: string; note: string };
  scopes: string[];
  tools: ExampleTool[];
  port: number;
  serverUrl: string;
  local: boolean;
  pm: PackageManagerCommands;
  /** The authorization server kind; `readme` is its README section, rendered from its template folder. */
  provider?: { name: string; display: string; readme: string };
}

export function commandsFor(pm: PackageManager): PackageManagerCommands {
  switch (pm) {
    case 'npm':
      return { name: pm, install: 'npm install', run: 'npm run', exec: 'npx' };
    case 'pnpm':
      return { name: pm, install: 'pnpm install', run: 'pnpm', exec: 'pnpm dlx' };
    case 'yarn':
      return { name: pm, install: 'yarn', run: 'yarn', exec: 'yarn dlx' };
    case 'bun':
      return { name: pm, install: 'bun install', run: 'bun run', exec: 'bunx' };
  }
}

const TOOL_NAME_MAX = 60;

/**
 * One example tool per scope, named after it (`todo:read` -> `todo_read`), so
 * every declared scope guards at least one tool. Names keep to the characters
 * MCP clients accept in tool names.
 */
export function exampleToolsFor(scopes: string[]): ExampleTool[] {
  const taken = new Set(['whoami']);
  return scopes.map((scope) => {
    const base =
      scope
        .replace(/[^A-Za-z0-9_-]+/g, '_')
        .replace(/_+/g, '_')
        .replace(/^[_-]+|[_-]+$/g, '')
        .slice(0, TOOL_NAME_MAX) || 'tool';
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return { name, scope, title: `Example tool guarded by ${scope}` };
  });
}

export function renderContext(options: CreateOptions): RenderContext {
  return {
    projectName: options.packageName,
    framework: { name: options.framework.name, display: options.framework.display, note: options.framework.readmeNote ?? '' },
    scopes: options.scopes,
    tools: exampleToolsFor(options.scopes),
    port: options.port,
    serverUrl: options.serverUrl,
    local: options.scalekit === null,
    pm: commandsFor(options.pm),
  };
}
