import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { FastMCPSession, requireScopes, type ContentResult, type Logger, type Tool } from "fastmcp";
import { z } from "zod";
import { serverName, toolScopes, tools } from "./tools.js";

/** fastmcp's session `auth`: `scopes` for `canAccess`, `authInfo` for the tools. */
export type Caller = { scopes: string[]; authInfo: AuthInfo };

/**
 * The tools of src/tools.ts as fastmcp tools, each behind `canAccess` with its
 * scopes from `toolScopes`. fastmcp-specific tools (progress, streaming,
 * `UserError`, image content) can be added here with fastmcp's own `Tool` type.
 */
export const fastmcpTools: Tool<Caller>[] = tools.map((tool) => ({
  name: tool.name,
  description: tool.description,
  annotations: { title: tool.title },
  parameters: z.object(tool.inputSchema),
  ...(tool.outputSchema && { outputSchema: z.object(tool.outputSchema) }),
  // A token without the tool's scopes neither lists nor runs it.
  canAccess: requireScopes<Caller>(...toolScopes[tool.name]),
  // fastmcp has parsed `args` with `parameters` before it calls this.
  execute: (args, { session }) => tool.run(args as Parameters<typeof tool.run>[0], session?.authInfo) as Promise<ContentResult>,
}));

/**
 * The fastmcp session for one request, built as fastmcp's stateless
 * `httpStream` mode builds it (one `FastMCPSession` per request, the tools
 * filtered by `canAccess`), for a caller src/server.ts has already verified
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
