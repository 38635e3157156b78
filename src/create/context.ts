import type { PackageManager } from "../core/package-managers.js";
import { selfCommand } from "../core/self-command.js";
import type { ProviderName } from "../providers.js";
import { VERSION } from "../version.js";
import type { CreateOptions } from "./options.js";

export interface ExampleTool {
  name: string;
  scope: string;
  title: string;
  description: string;
}

export interface PackageManagerCommands {
  name: PackageManager;
  install: string;
  run: string;
  /** Runs a script printing only its own output, e.g. `npm run -s`. */
  runSilent: string;
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
  provider: { name: ProviderName; display: string };
  /** false with --no-ci: .github/workflows/ci.yml is not written. */
  ci: boolean;
  /** The create-mcp-auth version that renders the project. */
  version: string;
  /** This create-mcp-auth as a shell command prefix (src/core/self-command.ts), e.g. `npx -y create-mcp-auth@0.1.0`. */
  cli: string;
}

export function commandsFor(pm: PackageManager): PackageManagerCommands {
  switch (pm) {
    case "npm":
      return { name: pm, install: "npm install", run: "npm run", runSilent: "npm run -s", exec: "npx" };
    case "pnpm":
      return { name: pm, install: "pnpm install", run: "pnpm", runSilent: "pnpm -s", exec: "pnpm dlx" };
    case "yarn":
      return { name: pm, install: "yarn", run: "yarn", runSilent: "yarn -s", exec: "yarn dlx" };
    case "bun":
      return { name: pm, install: "bun install", run: "bun run", runSilent: "bun run --silent", exec: "bunx" };
  }
}

const TOOL_NAME_MAX = 60;

/**
 * Names a tool must not have: the SDK (and user code) look tools up in plain
 * objects, where `constructor` or `toString` is found on the prototype and
 * every request to the server fails.
 */
const PROTOTYPE_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * One example tool per scope, named after it (`todo:read` -> `todo_read`), so
 * every declared scope guards at least one tool. Names keep to the characters
 * MCP clients accept in tool names, are unique, and are never an
 * Object.prototype member (`constructor` -> `constructor_tool`) nor an
 * integer (`2` -> `tool_2`).
 */
export function exampleToolsFor(scopes: string[]): ExampleTool[] {
  const taken = new Set(["whoami"]);
  return scopes.map((scope) => {
    let base =
      scope
        .replace(/[^A-Za-z0-9_-]+/g, "_")
        .replace(/_+/g, "_")
        .replace(/^[_-]+|[_-]+$/g, "")
        .slice(0, TOOL_NAME_MAX) || "tool";
    if (PROTOTYPE_MEMBERS.has(base)) base = `${base}_tool`;
    // An integer-like key ("2") moves to the front of every object it is a key of: the scope map would reorder.
    if (/^(0|[1-9]\d*)$/.test(base)) base = `tool_${base}`;
    let name = base;
    for (let n = 2; taken.has(name) || PROTOTYPE_MEMBERS.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return {
      name,
      scope,
      title: `Example tool guarded by ${scope}`,
      description: `Example tool; needs the scope ${scope}. Replace it with your own.`,
    };
  });
}

/** The example tools' scope map, as `add --scopes tool=scope,...` would give it. */
export function toolScopesFor(scopes: string[]): Record<string, string[]> {
  return Object.fromEntries(exampleToolsFor(scopes).map((tool) => [tool.name, [tool.scope]]));
}

export function renderContext(options: CreateOptions): RenderContext {
  const tools = exampleToolsFor(options.scopes);
  return {
    projectName: options.packageName,
    framework: { name: options.framework.name, display: options.framework.display, note: options.framework.readmeNote ?? "" },
    scopes: options.scopes,
    tools,
    port: options.port,
    serverUrl: options.serverUrl,
    local: options.local,
    pm: commandsFor(options.pm),
    provider: { name: options.provider.name, display: options.provider.display },
    ci: options.ci,
    version: VERSION,
    cli: selfCommand(),
  };
}
