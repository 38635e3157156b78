import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { FastMCPSession, type ContentResult, type Logger, type Tool } from "fastmcp";
import type { AuthInfo } from "./auth/authorize.js";
import { missingScopes } from "./auth/scopes.js";
import { scopeHierarchy, serverName, toolScopes, tools } from "./tools.js";

/** fastmcp's session `auth`: `scopes` for `canAccess`, `authInfo` for the tools. */
export type Caller = { scopes: string[]; authInfo: AuthInfo };

/** Runs one authenticated, authorized MCP request (the last step of src/endpoint.ts). */
export interface McpRunner {
  /** `body` is the parsed body the scope check saw; the SDK runs exactly that. */
  run(request: Request, body: unknown, authInfo: AuthInfo): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Each request runs the way fastmcp's stateless `httpStream` mode runs it: a
 * `FastMCPSession` on the MCP SDK's (v1) Streamable HTTP transport, in this
 * process. fastmcp is built on SDK v1, which speaks the 2025 protocol
 * revisions (`initialize`, up to 2025-11-25); a 2026-07-28 request is answered
 * "Unsupported protocol version", and clients that speak both fall back to
 * `initialize`.
 */
export function createMcpRunner(): McpRunner {
  return {
    async run(request, body, authInfo) {
      const session = createSession(authInfo);
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await session.connect(transport);
      try {
        // JSON answers: the promise settles once every answer is in the body.
        return await transport.handleRequest(request, { parsedBody: body, authInfo });
      } finally {
        void transport.close();
        void session.close();
      }
    },
    close: async () => {},
  };
}

/**
 * The tools of src/tools.ts as fastmcp tools, each behind `canAccess` with its
 * scopes from `toolScopes` (and `scopeHierarchy`). fastmcp-specific tools
 * (progress, streaming, `UserError`, image content) can be added here with
 * fastmcp's own `Tool` type.
 */
export const fastmcpTools: Tool<Caller>[] = tools.map((tool) => ({
  name: tool.name,
  description: tool.description,
  annotations: { title: tool.title },
  parameters: tool.inputSchema,
  ...(tool.outputSchema && { outputSchema: tool.outputSchema }),
  // A token without the tool's scopes neither lists nor runs it.
  canAccess: (caller: Caller) => missingScopes(toolScopes[tool.name], caller.scopes, scopeHierarchy).length === 0,
  // fastmcp has parsed `args` with `parameters` before it calls this.
  execute: (args, { session }) => tool.run(args as Parameters<typeof tool.run>[0], session?.authInfo) as Promise<ContentResult>,
}));

/**
 * The fastmcp session for one request, built as fastmcp's stateless
 * `httpStream` mode builds it (one `FastMCPSession` per request, the tools
 * filtered by `canAccess`), for a caller src/endpoint.ts has already verified
 * and authorized. Prompts and resources go in the arrays below.
 */
export function createSession(authInfo: AuthInfo): FastMCPSession<Caller> {
  const caller: Caller = { scopes: authInfo.scopes, authInfo };
  return new FastMCPSession<Caller>({
    auth: caller,
    name: serverName,
    version: "0.1.0",
    logger: quietLogger,
    tools: fastmcpTools.filter((tool) => tool.canAccess?.(caller) ?? true),
    hasTools: fastmcpTools.length > 0,
    prompts: [],
    resources: [],
    resourcesTemplates: [],
    stateless: true,
    transportType: "httpStream",
  });
}

/** fastmcp's info and debug lines are dropped; warnings and errors stay one line each. */
const quietLogger: Logger = {
  debug() {},
  info() {},
  log() {},
  warn: (...args) => console.warn(`[fastmcp] ${oneLine(args)}`),
  error: (...args) => console.error(`[fastmcp] ${oneLine(args)}`),
};

function oneLine(args: unknown[]): string {
  return args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(" ").replace(/\s+/g, " ");
}
