/**
 * The frameworks a project can be generated for. Adding one is a row here, a
 * `templates/<name>/` folder (its adapter, overlaid on `templates/base/`) and
 * nothing else.
 */
export interface Framework {
  /** Value of `--framework`. */
  name: string;
  /** Shown in prompts and messages. */
  display: string;
  /** One line for the prompt's hint. */
  hint: string;
  /** A paragraph for the generated README about how this adapter works, if it needs one. */
  readmeNote?: string;
  /** Folder under `templates/` overlaid on `templates/base/`. */
  templateDir: string;
  /**
   * Package names whose presence in an existing project's dependencies means
   * it uses this framework (for `add`). The first match in table order wins.
   */
  detect: string[];
}

export const FRAMEWORKS: readonly Framework[] = [
  {
    name: 'express',
    display: 'Express',
    hint: 'Express 5, MCP SDK v2 (2026-07-28 and 2025 clients)',
    templateDir: 'express',
    detect: ['express'],
  },
  {
    name: 'fastify',
    display: 'Fastify',
    hint: 'Fastify 5, MCP SDK v2 (2026-07-28 and 2025 clients)',
    templateDir: 'fastify',
    detect: ['fastify'],
  },
  {
    name: 'hono',
    display: 'Hono',
    hint: 'Hono 4 on @hono/node-server, MCP SDK v2 (2026-07-28 and 2025 clients)',
    templateDir: 'hono',
    detect: ['hono'],
  },
  {
    name: 'fastmcp',
    display: 'FastMCP',
    hint: 'fastmcp sessions and tools, MCP SDK v1 (2025 clients only)',
    readmeNote:
      "**fastmcp serves the 2025 protocol revisions only.** fastmcp is built on the MCP TypeScript SDK v1, which speaks up to 2025-11-25; a 2026-07-28 request gets `400` (unsupported protocol version), and clients that speak both revisions (the SDK v2 client in its `auto` mode, and the clients built on it) fall back to `initialize` and work. To serve 2026-07-28 clients directly, generate the project for Express, Fastify or Hono, which run on SDK v2.\n\n" +
      "fastmcp's own HTTP layer (mcp-proxy) cannot answer `403 insufficient_scope` for a tool call, put the CORS headers on every answer, or authenticate before reading the body, so it is not used, and neither is fastmcp's `authenticate` hook, which only that layer calls. `src/server.ts` is a small `node:http` layer in front of the request pipeline every framework shares (`src/endpoint.ts`: the hook's job, done before the body is read), which then runs each request the way fastmcp's stateless `httpStream` mode does: a `FastMCPSession` (`src/mcp.ts`) on the SDK's Streamable HTTP transport, in the same process. Tools are fastmcp tools: `canAccess` (from `toolScopes` and `scopeHierarchy`) hides from `tools/list` the tools the token's scopes do not allow, and `execute` gets the verified caller as `context.session`. `FastMCP.start()` is not called; a server started that way would miss the challenges, the 403 and the metadata documents.",
    templateDir: 'fastmcp',
    detect: ['fastmcp'],
  },
];

export function findFramework(name: string): Framework | undefined {
  return FRAMEWORKS.find((f) => f.name === name.trim().toLowerCase());
}

export const DEFAULT_FRAMEWORK = 'express';
