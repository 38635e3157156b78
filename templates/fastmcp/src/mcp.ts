import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { createMcpHandler, isLegacyRequest, ProtocolError, type RequestMethod, type Result, Server } from "@modelcontextprotocol/server";
import { type ContentResult, FastMCPSession, type Logger, type Tool } from "fastmcp";
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
 * Each request runs in a fastmcp session, in this process, whatever the
 * protocol era. fastmcp is built on MCP SDK v1, which speaks the 2025
 * revisions: those requests run the way fastmcp's stateless `httpStream` mode
 * runs them, a `FastMCPSession` on the SDK's Streamable HTTP transport. A
 * 2026-07-28 request is served by the SDK v2 entry point (`createMcpHandler`:
 * the per-request `_meta`, `server/discover`, the `Mcp-Method` / `Mcp-Name`
 * checks, the result envelope), whose handlers hand each method to a
 * `FastMCPSession` over an in-memory link: fastmcp still runs the tools.
 */
export function createMcpRunner(): McpRunner {
  const modern = createMcpHandler(({ authInfo }) => modernServer(authInfo as AuthInfo), { legacy: "reject" });
  return {
    async run(request, body, authInfo) {
      if (!(await isLegacyRequest(request, body))) return modern.fetch(request, { parsedBody: body, authInfo });
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
    close: () => modern.close(),
  };
}

/** The methods fastmcp answers; each is handed to a fastmcp session. */
const FORWARDED: RequestMethod[] = ["tools/list", "tools/call"];

/** A low-level SDK v2 server for one 2026-07-28 request, whose handlers ask a fastmcp session. */
function modernServer(authInfo: AuthInfo): Server {
  const server = new Server({ name: serverName, version: "0.1.0" }, { capabilities: { tools: {} } });
  for (const method of FORWARDED) {
    server.setRequestHandler(method, (request) => askSession(authInfo, method, request.params) as never);
  }
  return server;
}

/**
 * One request to a fresh `FastMCPSession` (stateless: no handshake needed)
 * over an in-memory link; its answer, or its JSON-RPC error thrown again.
 * The 2026-07-28 envelope keys of `_meta` are the SDK v2 layer's business.
 */
async function askSession(authInfo: AuthInfo, method: string, params: Record<string, unknown> | undefined): Promise<Result> {
  const session = createSession(authInfo);
  const [ours, theirs] = InMemoryTransport.createLinkedPair();
  await session.connect(theirs);
  try {
    const answer = new Promise<JSONRPCMessage>((resolve) => {
      ours.onmessage = (message) => {
        if ("id" in message && message.id === 1 && ("result" in message || "error" in message)) resolve(message);
      };
    });
    await ours.start();
    const { _meta, ...rest } = params ?? {};
    await ours.send({ jsonrpc: "2.0", id: 1, method, params: rest });
    const message = await answer;
    if ("error" in message) throw new ProtocolError(message.error.code, message.error.message, message.error.data);
    return (message as { result: Result }).result;
  } finally {
    await ours.close();
    await session.close();
  }
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
  return args
    .map((arg) => (arg instanceof Error ? arg.message : String(arg)))
    .join(" ")
    .replace(/\s+/g, " ");
}
