import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { FastMCP, requireScopes, type ContentResult, type Logger } from "fastmcp";
import { z } from "zod";
import type { Authorizer } from "./auth/authorize.js";
import type { Challenge } from "./auth/challenge.js";
import { serverName, toolScopes, tools } from "./tools.js";

/** fastmcp's session `auth`: `scopes` for `canAccess`, `authInfo` for the tools. */
export type Caller = { scopes: string[]; authInfo: AuthInfo };

/**
 * The FastMCP server with the tools of src/tools.ts, each behind `canAccess`
 * with its scopes from `toolScopes`. Its `authenticate` hook verifies the
 * token of every request (stateless: no session carries auth).
 */
export function createMcpServer(auth: Authorizer): FastMCP<Caller> {
  const server = new FastMCP<Caller>({
    name: serverName,
    version: "0.1.0",
    logger: quietLogger,
    health: { enabled: false },
    async authenticate(request) {
      const authenticated = await auth.authenticate(request?.headers.authorization);
      if (!authenticated.ok) throw challengeResponse(authenticated.challenge);
      // No body here: tool scopes are enforced by the front (403) and by canAccess.
      const authorized = auth.authorize(authenticated.value, undefined);
      if (!authorized.ok) throw challengeResponse(authorized.challenge);
      return { scopes: authorized.value.scopes, authInfo: authorized.value };
    },
  });

  for (const tool of tools) {
    server.addTool({
      name: tool.name,
      description: tool.description,
      annotations: { title: tool.title },
      parameters: z.object(tool.inputSchema),
      ...(tool.outputSchema && { outputSchema: z.object(tool.outputSchema) }),
      // A token without the tool's scopes neither lists nor runs it.
      canAccess: requireScopes<Caller>(...toolScopes[tool.name]),
      execute: (args, { session }) => tool.run(args, session?.authInfo) as Promise<ContentResult>,
    });
  }
  return server;
}

/** A refusal thrown from `authenticate`: fastmcp (mcp-proxy) sends a thrown Response as it is. */
function challengeResponse(challenge: Challenge): Response {
  return new Response(JSON.stringify(challenge.body), { status: challenge.status, headers: challenge.headers });
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
