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
    detect: ["express"],
  },
  {
    name: "fastify",
    language: "typescript",
    display: "Fastify",
    hint: "Fastify 5, MCP SDK v2 (2026-07-28 and 2025 clients)",
    detect: ["fastify"],
  },
  {
    name: "hono",
    language: "typescript",
    display: "Hono",
    hint: "Hono 4 on @hono/node-server, MCP SDK v2 (2026-07-28 and 2025 clients)",
    detect: ["hono"],
  },
  {
    name: "fastmcp",
    language: "typescript",
    display: "FastMCP",
    hint: "fastmcp 4 (SDK v1) tools, served to 2026-07-28 and 2025 clients through MCP SDK v2",
    readmeNote:
      "**Protocol versions.** fastmcp 4 is built on the MCP TypeScript SDK v1, which speaks only the 2025 revisions. `mcpAuth(server).start(...)` (`src/auth/fastmcp.ts`, written by `create-mcp-auth add`) serves the port in front of it: the SDK v2 entry point (`createMcpHandler`) answers both eras and hands each method to a session of your `FastMCP` server, made by fastmcp's own `server.connect()` with the verified caller as the session's auth, so your tools get it as `context.session`. Your `server.getApp()` routes and fastmcp's health route (`/healthz` in a generated project) are answered by fastmcp, in the same process.",
    detect: ["fastmcp"],
  },
  {
    name: "fastmcp",
    language: "python",
    display: "FastMCP (Python)",
    hint: "FastMCP 4, stateless Streamable HTTP (2026-07-28 and 2025 clients)",
    detect: [],
  },
  {
    name: "fastapi",
    language: "python",
    display: "FastAPI + MCP SDK (Python)",
    hint: "the official SDK's MCPServer mounted in FastAPI (2026-07-28 and 2025 clients)",
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
