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
    name: "express",
    display: "Express",
    hint: "Express 5, MCP SDK v2 (2026-07-28 and 2025 clients)",
    templateDir: "express",
    detect: ["express"],
  },
  {
    name: "fastify",
    display: "Fastify",
    hint: "Fastify 5, MCP SDK v2 (2026-07-28 and 2025 clients)",
    templateDir: "fastify",
    detect: ["fastify"],
  },
  {
    name: "hono",
    display: "Hono",
    hint: "Hono 4 on @hono/node-server, MCP SDK v2 (2026-07-28 and 2025 clients)",
    templateDir: "hono",
    detect: ["hono"],
  },
  {
    name: "fastmcp",
    display: "FastMCP",
    hint: "fastmcp sessions and tools (SDK v1), 2026-07-28 requests through SDK v2",
    readmeNote:
      "**Protocol versions.** fastmcp is built on the MCP TypeScript SDK v1, which speaks the 2025 revisions; those requests run in a `FastMCPSession` as fastmcp's stateless `httpStream` mode runs them. A 2026-07-28 request is answered by the SDK v2 entry point (`createMcpHandler`: the per-request `_meta`, `server/discover`, the `Mcp-Method` / `Mcp-Name` checks), whose handlers pass `tools/list` and `tools/call` to a `FastMCPSession` in memory, so fastmcp still runs the tools in both eras (`src/mcp.ts`). For 2026-07-28 requests that session is kept per bearer token (`SessionPool`: building one costs more than the rest of a request): it holds that token's caller only, and is let go when the token expires or 128 newer ones are in use, so a tool must not keep anything of its own on the session between requests. Prompts and resources you add to the session are served to 2025 clients; add their methods to `FORWARDED` there to serve them to 2026-07-28 clients too.\n\n" +
      "fastmcp's own HTTP layer (mcp-proxy) cannot answer `403 insufficient_scope` for a tool call, put the CORS headers on every answer, or authenticate before reading the body, so it is not used, and neither is fastmcp's `authenticate` hook, which only that layer calls. `src/server.ts` is a small `node:http` layer in front of the request pipeline every framework shares (`src/endpoint.ts`: the hook's job, done before the body is read), which then runs each request the way fastmcp's stateless `httpStream` mode does: a `FastMCPSession` (`src/mcp.ts`) on the SDK's Streamable HTTP transport, in the same process. Tools are fastmcp tools: `canAccess` (from `toolScopes` and `scopeHierarchy`) hides from `tools/list` the tools the token's scopes do not allow, and `execute` gets the verified caller as `context.session`. `FastMCP.start()` is not called; a server started that way would miss the challenges, the 403 and the metadata documents.",
    templateDir: "fastmcp",
    detect: ["fastmcp"],
  },
];

export function findFramework(name: string): Framework | undefined {
  return FRAMEWORKS.find((f) => f.name === name.trim().toLowerCase());
}

export const DEFAULT_FRAMEWORK = "express";
