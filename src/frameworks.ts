/**
 * The frameworks a project can be generated for. Adding one is a row here, a
 * `templates/typescript/<name>/` folder (its plain server, on top of
 * `templates/typescript/common/`), a glue file for `add` (src/add/glue/) and
 * a row of src/add/patterns.ts: `create` is the plain server plus what `add`
 * writes into it.
 */
export type Language = "typescript" | "python";

/** The languages `create` writes, in prompt order; the first is the default. */
export const LANGUAGES: readonly { name: Language; display: string; hint: string }[] = [
  { name: "typescript", display: "TypeScript", hint: "Node.js 20+, npm" },
  { name: "python", display: "Python", hint: "Python 3.11+, uv" },
];

export interface Framework {
  /** Value of `--framework` (unique within a language). */
  name: string;
  /** Value of `--language`. */
  language: Language;
  /** Shown in prompts and messages. */
  display: string;
  /** One line for the prompt's hint. */
  hint: string;
  /** A paragraph for the generated README about how this adapter works, if it needs one. */
  readmeNote?: string;
  /** Folder under `templates/` of the layered templates (`templates/base/`), for a framework without a plain template yet. */
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
    language: "typescript",
    display: "Express",
    hint: "Express 5, MCP SDK v2 (2026-07-28 and 2025 clients)",
    templateDir: "express",
    detect: ["express"],
  },
  {
    name: "fastify",
    language: "typescript",
    display: "Fastify",
    hint: "Fastify 5, MCP SDK v2 (2026-07-28 and 2025 clients)",
    templateDir: "fastify",
    detect: ["fastify"],
  },
  {
    name: "hono",
    language: "typescript",
    display: "Hono",
    hint: "Hono 4 on @hono/node-server, MCP SDK v2 (2026-07-28 and 2025 clients)",
    templateDir: "hono",
    detect: ["hono"],
  },
  {
    name: "fastmcp",
    language: "typescript",
    display: "FastMCP",
    hint: "fastmcp sessions and tools (SDK v1) behind MCP SDK v2 (2026-07-28 and 2025 clients)",
    readmeNote:
      "**Protocol versions.** fastmcp is built on the MCP TypeScript SDK v1, which speaks only the 2025 revisions. So the SDK v2 entry point (`createMcpHandler`) answers both eras on the wire: 2026-07-28 requests (the per-request `_meta`, `server/discover`, the `Mcp-Method` / `Mcp-Name` checks) and 2025-era clients (`initialize`, stateless). Its handlers pass `tools/list` and `tools/call` to a `FastMCPSession` in memory, so fastmcp runs the tools in both eras (`src/mcp.ts`). A prompt or resource you add to the session needs its methods in `FORWARDED` and its capability next to it. The session is kept per bearer token (`SessionPool`: building one costs more than the rest of a request). It holds that token's caller only, and is let go when the token expires or 128 newer tokens are in use, so a tool must not keep anything of its own on the session between requests.\n\n" +
      "fastmcp's own HTTP layer (mcp-proxy) cannot answer `403 insufficient_scope` for a tool call, put the CORS headers on every answer, or authenticate before reading the body, so it is not used, and neither is fastmcp's `authenticate` hook, which only that layer calls. `src/server.ts` is a small `node:http` layer in front of the request pipeline every framework shares (`src/endpoint.ts`: the hook's job, done before the body is read), which then runs each request in a `FastMCPSession` (`src/mcp.ts`), in the same process. Tools are fastmcp tools: `canAccess` (from `toolScopes` and `scopeHierarchy`) hides from `tools/list` the tools the token's scopes do not allow, and `execute` gets the verified caller as `context.session`. `FastMCP.start()` is not called; a server started that way would miss the challenges, the 403 and the metadata documents.",
    templateDir: "fastmcp",
    detect: ["fastmcp"],
  },
  {
    name: "fastmcp",
    language: "python",
    display: "FastMCP (Python)",
    hint: "FastMCP 4, stateless Streamable HTTP (2026-07-28 and 2025 clients)",
    templateDir: "python/fastmcp",
    detect: [],
  },
  {
    name: "fastapi",
    language: "python",
    display: "FastAPI + MCP SDK (Python)",
    hint: "the official SDK's MCPServer mounted in FastAPI (2026-07-28 and 2025 clients)",
    templateDir: "python/fastapi",
    detect: [],
  },
];

/** The row named `name` in `language`, or (no language) the first row of that name: `-f fastapi` alone means Python. */
export function findFramework(name: string, language?: Language): Framework | undefined {
  return FRAMEWORKS.find((f) => f.name === name.trim().toLowerCase() && (language === undefined || f.language === language));
}

export function findLanguage(name: string): Language | undefined {
  return LANGUAGES.find((l) => l.name === name.trim().toLowerCase())?.name;
}

/** The frameworks of one language, in table order. */
export function frameworksOf(language: Language): Framework[] {
  return FRAMEWORKS.filter((f) => f.language === language);
}

/** The distinct framework names, for `--framework` choices. */
export const FRAMEWORK_NAMES: readonly string[] = [...new Set(FRAMEWORKS.map((f) => f.name))];

export const DEFAULT_FRAMEWORK = "express";

/** The framework a language gets when `--framework` is not given. */
export const DEFAULT_FRAMEWORKS: Readonly<Record<Language, string>> = { typescript: DEFAULT_FRAMEWORK, python: "fastmcp" };
