import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { createMcpHandler, ProtocolError, ProtocolErrorCode, type RequestMethod, type Result, Server } from "@modelcontextprotocol/server";
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
 * protocol era. The SDK v2 entry point (`createMcpHandler`) speaks the HTTP
 * and JSON-RPC side of both eras: 2026-07-28 requests (the per-request
 * `_meta`, `server/discover`, the `Mcp-Method` / `Mcp-Name` checks, the result
 * envelope) and 2025-era clients (`initialize`, stateless, batches). Its
 * handlers hand each method fastmcp answers to a `FastMCPSession` (fastmcp is
 * built on SDK v1) over an in-memory link (`SessionPool`): fastmcp runs the
 * tools.
 */
export function createMcpRunner(options: { maxSessions?: number } = {}): McpRunner {
  const pool = new SessionPool(options.maxSessions);
  const handler = createMcpHandler(({ authInfo }) => mcpServer(pool, authInfo as AuthInfo), { legacy: "stateless" });
  return {
    run: (request, body, authInfo) => handler.fetch(request, { parsedBody: body, authInfo }),
    async close() {
      await handler.close();
      await pool.close();
    },
  };
}

/**
 * The methods fastmcp answers; each is handed to a fastmcp session. A prompt
 * or resource added to the session needs its methods here and its capability
 * in `capabilities` below (`prompts: {}`, `resources: {}`).
 */
const FORWARDED: RequestMethod[] = ["tools/list", "tools/call"];

/** A low-level SDK v2 server for one request (either era), whose handlers ask a fastmcp session. */
function mcpServer(pool: SessionPool, authInfo: AuthInfo): Server {
  const server = new Server({ name: serverName, version: "0.1.0" }, { capabilities: { tools: {} } });
  for (const method of FORWARDED) {
    server.setRequestHandler(method, (request, ctx) => pool.ask(authInfo, method, request.params, ctx.mcpReq.signal) as never);
  }
  return server;
}

/**
 * The fastmcp sessions that answer the requests: one per bearer token,
 * kept while it is in use. A `FastMCPSession` costs about 0.3 ms to build and
 * connect (an SDK v1 `Server` with its own Ajv validator), more than the rest
 * of a request; a request to a kept one, 0.01 ms. A session belongs to one
 * token, so it holds exactly that caller (its `auth`, the tools its scopes
 * allow), as a per-request session does: callers never share one. A stateless
 * session keeps nothing else between requests (no handshake, no ping timer).
 * At most `max` sessions (about 30 KB each) are kept, the least recently used
 * is let go first, and a session is let go once its token has expired; one
 * that is let go closes when its last request has its answer. Exported for
 * the tests.
 */
export class SessionPool {
  readonly #sessions = new Map<string, LinkedSession>();
  readonly #max: number;
  readonly #create: (authInfo: AuthInfo) => FastMCPSession<Caller>;

  constructor(max = 128, create: (authInfo: AuthInfo) => FastMCPSession<Caller> = createSession) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError("maxSessions must be a positive integer");
    this.#max = max;
    this.#create = create;
  }

  /** One request to the caller's session; its answer, or its JSON-RPC error thrown again. */
  ask(authInfo: AuthInfo, method: string, params: Record<string, unknown> | undefined, signal: AbortSignal): Promise<Result> {
    // `_meta` (the 2026-07-28 envelope, a progress token) stays with the SDK v2 layer:
    // the session's notifications are not passed on to the client.
    const { _meta, ...rest } = params ?? {};
    return this.#sessionFor(authInfo).ask(method, rest, signal);
  }

  /** How many sessions are kept. */
  get size(): number {
    return this.#sessions.size;
  }

  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((session) => session.close()));
  }

  #sessionFor(authInfo: AuthInfo): LinkedSession {
    const now = Date.now() / 1000;
    const kept = this.#sessions.get(authInfo.token);
    if (kept && !kept.closed && !kept.expired(now)) {
      // Most recently used last: the Map's order is the eviction order.
      this.#sessions.delete(authInfo.token);
      this.#sessions.set(authInfo.token, kept);
      return kept;
    }
    if (kept) this.#letGo(authInfo.token, kept);
    for (const [token, session] of this.#sessions) if (session.expired(now)) this.#letGo(token, session);
    while (this.#sessions.size >= this.#max) {
      const [token, session] = this.#sessions.entries().next().value as [string, LinkedSession];
      this.#letGo(token, session);
    }
    const session = new LinkedSession(this.#create(authInfo), authInfo.expiresAt);
    this.#sessions.set(authInfo.token, session);
    return session;
  }

  #letGo(token: string, session: LinkedSession): void {
    this.#sessions.delete(token);
    session.retire();
  }
}

/** A `FastMCPSession` for one caller, on an in-memory link; requests on it are told apart by id. */
class LinkedSession {
  closed = false;
  readonly #expiresAt: number;
  readonly #ready: Promise<void>;
  readonly #ours: InMemoryTransport;
  readonly #session: FastMCPSession<Caller>;
  readonly #pending = new Map<number, (message: JSONRPCMessage) => void>();
  #nextId = 0;
  /** Requests asked and not yet answered, counted from the moment they are asked. */
  #inFlight = 0;
  #retired = false;

  constructor(session: FastMCPSession<Caller>, expiresAt = Number.POSITIVE_INFINITY) {
    this.#expiresAt = expiresAt;
    this.#session = session;
    const [ours, theirs] = InMemoryTransport.createLinkedPair();
    this.#ours = ours;
    ours.onmessage = (message) => {
      if (!("id" in message) || typeof message.id !== "number" || !("result" in message || "error" in message)) return;
      const settle = this.#pending.get(message.id);
      if (settle) settle(message);
    };
    ours.onclose = () => this.#closed();
    this.#ready = this.#session.connect(theirs).then(() => ours.start());
    // A session that cannot connect is let go; the requests waiting on it get the error.
    this.#ready.catch(() => this.retire());
  }

  expired(now: number): boolean {
    return this.#expiresAt <= now;
  }

  async ask(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<Result> {
    this.#inFlight++;
    const id = ++this.#nextId;
    // A request the client gave up on is cancelled in the session too (the tool's abort signal).
    const cancel = () => {
      void this.#ours
        .send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "the client went away" } })
        .catch(() => {});
      this.#pending.get(id)?.({ jsonrpc: "2.0", id, error: { code: ProtocolErrorCode.InternalError, message: "the client went away" } });
    };
    try {
      await this.#ready;
      if (this.closed) throw new ProtocolError(ProtocolErrorCode.InternalError, "the fastmcp session closed");
      signal.throwIfAborted();
      const answer = new Promise<JSONRPCMessage>((resolve) => this.#pending.set(id, resolve));
      signal.addEventListener("abort", cancel, { once: true });
      await this.#ours.send({ jsonrpc: "2.0", id, method, params });
      const message = await answer;
      if ("error" in message) throw new ProtocolError(message.error.code, message.error.message, message.error.data);
      return (message as { result: Result }).result;
    } finally {
      signal.removeEventListener("abort", cancel);
      this.#pending.delete(id);
      this.#inFlight--;
      if (this.#retired && this.#inFlight === 0) void this.close();
    }
  }

  /** No new requests; closes now, or when the last one in flight has its answer. */
  retire(): void {
    this.#retired = true;
    if (this.#inFlight === 0) void this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.#ours.close().catch(() => {});
    await this.#session.close();
  }

  /** The link closed: whatever still waits gets an error instead of hanging. */
  #closed(): void {
    this.closed = true;
    for (const [id, settle] of this.#pending) {
      settle({ jsonrpc: "2.0", id, error: { code: ProtocolErrorCode.InternalError, message: "the fastmcp session closed" } });
    }
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
 * A fastmcp session for one caller, built as fastmcp's stateless `httpStream`
 * mode builds it (the tools filtered by `canAccess`), for a caller
 * src/endpoint.ts has already verified and authorized, kept per token
 * (`SessionPool`). Prompts and resources go in the arrays below (and their
 * methods in `FORWARDED`).
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
