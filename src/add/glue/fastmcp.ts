// Written by `create-mcp-auth add`: OAuth 2.1 in front of a fastmcp server, for
// MCP clients of both protocol eras. fastmcp 4 is built on MCP SDK v1: its own
// HTTP layer answers a 2026-07-28 request "Unsupported protocol version", reads
// the body before it authenticates, and cannot answer 403 insufficient_scope
// for a tool call. So `mcpAuth(server).start(options)` serves the port itself:
// the protected resource metadata, then for the MCP endpoint the Origin and
// Host check, the CORS preflight, the token, a JSON body of at most 1 MB and
// the scopes of the called tools (./mcp-auth.ts); then SDK v2's
// `createMcpHandler` answers both eras (2026-07-28: `_meta`, `server/discover`,
// `Mcp-Method` / `Mcp-Name`; 2025: `initialize`, stateless) and hands each
// method to a session of your server, made by fastmcp's own
// `server.connect()` with the caller as the session's `auth`: your tools see
// it as `context.session`, and `canAccess(auth)` filters them as fastmcp does.
// Every other path (your `server.getApp()` routes, /health, /ready, /ping)
// is answered as fastmcp answers it, in this process: no other port is opened.
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { Readable } from "node:stream";
import { createMcpHandler, ProtocolError, ProtocolErrorCode, type RequestMethod, type Result, Server } from "@modelcontextprotocol/server";
import { type AuthInfo, bodyAnswer, createMcpAuth, readJsonBody, sendAnswer } from "./mcp-auth.js";

/**
 * What your tools get as `context.session` (and `canAccess` as its argument):
 * the verified caller (`clientId`, `scopes`, `extra.sub`). `new FastMCP<Caller>(...)` types it.
 */
export type Caller = AuthInfo & Record<string, unknown>;

interface HttpStream {
  port: number;
  host?: string;
  endpoint?: `/${string}`;
  basePath?: `/${string}` | undefined;
  cors?: unknown;
  stateless?: boolean;
  sslCa?: string;
  sslCert?: string;
  sslKey?: string;
}

type Served = HttpStream & Required<Pick<HttpStream, "host" | "endpoint">>;

interface StartOptions {
  transportType?: "httpStream" | "stdio";
  httpStream?: HttpStream;
}

/** The parts of a `FastMCP` server this file uses (all public API of fastmcp 4). */
interface FastmcpServer<Options> {
  options: { health?: { enabled?: boolean; path?: string; status?: number; message?: string } };
  readonly sessions: readonly { isReady: boolean }[];
  start(options?: Options): Promise<void>;
  stop(): Promise<void>;
  connect(transport: SessionLink, auth?: Caller): Promise<{ close(): Promise<void> }>;
  getApp(): { fetch(request: Request): Response | Promise<Response> };
}

export function mcpAuth<Options extends StartOptions>(server: FastmcpServer<Options>) {
  return {
    async start(options?: Options): Promise<void> {
      const found = httpStreamOf(options);
      if (!found) return server.start(options);
      const httpStream: Served = found;
      const endpoint = joinPaths(httpStream.basePath, httpStream.endpoint);
      const auth = createMcpAuth(endpoint);
      const pool = new SessionPool((link, caller) => server.connect(link, caller));
      const handler = createMcpHandler(async ({ authInfo }) => frontServer(pool, authInfo as AuthInfo), { legacy: "stateless" });

      // The exchanges server.stop() lets finish: every request but a 2026-07-28 subscription stream.
      const inFlight = new Set<ServerResponse>();
      let drained: (() => void) | undefined;
      const finished = (res: ServerResponse) => {
        inFlight.delete(res);
        if (inFlight.size === 0) drained?.();
      };
      const listener: RequestListener = (req, res) => {
        inFlight.add(res);
        res.once("close", () => finished(res));
        handle(req, res).catch((error: unknown) => {
          console.error(`[mcp-auth] ${error instanceof Error ? error.message : String(error)}`);
          if (res.headersSent) res.destroy();
          else sendAnswer(res, { status: 500, headers: {}, body: { error: "internal_error" } });
        });
      };
      const { sslCa, sslCert, sslKey } = httpStream;
      const tls = sslCert || sslKey ? { cert: readFileSync(sslCert ?? ""), key: readFileSync(sslKey ?? "") } : undefined;
      // Slow clients are cut off: headers within 20 s, a whole request within 60 s (Node: 60 s and 5 min), checked every 5 s.
      const limits = { headersTimeout: 20_000, requestTimeout: 60_000, connectionsCheckingInterval: 5_000 };
      const front = tls
        ? createTlsServer({ ...limits, ...tls, ...(sslCa && { ca: readFileSync(sslCa) }) }, listener)
        : createServer(limits, listener);
      async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        if (auth.isMetadataPath(req.url)) return sendAnswer(res, auth.metadataAnswer(req.method));
        if (!auth.isEndpoint(req.url)) return otherRoute(server, httpStream, req, res);
        const before = await auth.beforeBody(req.method, req.headers);
        if ("answer" in before) return sendAnswer(res, before.answer);
        let body: unknown;
        if (req.method === "POST") {
          const read = await readJsonBody(req);
          if ("problem" in read) return sendAnswer(res, bodyAnswer(read.problem, before.cors));
          body = read.value;
        }
        // A tool handler cannot answer 403: the scopes are checked here, on the body the SDK runs.
        const authorized = auth.withBody(before.token, body, before.cors);
        if ("answer" in authorized) return sendAnswer(res, authorized.answer);
        if ((body as { method?: unknown } | undefined)?.method === "subscriptions/listen") finished(res);
        const hangUp = new AbortController();
        res.on("close", () => hangUp.abort());
        const response = await handler.fetch(webRequest(req, hangUp.signal), { parsedBody: body, authInfo: authorized.authInfo });
        await sendResponse(res, response, before.cors);
      }

      front.listen(httpStream.port, httpStream.host);
      await once(front, "listening");
      // `server.stop()` stops this server too: in-flight requests are answered, then the sessions close.
      const stopFastmcp = server.stop.bind(server);
      server.stop = async () => {
        const closed = new Promise((resolve) => front.close(resolve));
        if (inFlight.size > 0) await new Promise<void>((resolve) => (drained = resolve));
        // Also connections that never sent a request: close() alone would wait for the client to end them.
        front.closeAllConnections();
        await closed;
        await handler.close();
        await pool.close();
        await stopFastmcp();
      };
    },
  };
}

/**
 * Where fastmcp itself would serve, read as fastmcp 4 reads it: start()'s
 * options, then the --transport, --port, --host, --endpoint, --base-path
 * arguments, then the FASTMCP_* variables; undefined for stdio. So no way of
 * starting the server over HTTP skips this file.
 */
function httpStreamOf(options: StartOptions | undefined): Served | undefined {
  const arg = (name: string) => {
    const at = process.argv.indexOf(`--${name}`);
    return at === -1 ? undefined : process.argv[at + 1];
  };
  const { FASTMCP_TRANSPORT, FASTMCP_PORT, FASTMCP_HOST, FASTMCP_ENDPOINT, FASTMCP_BASE_PATH, FASTMCP_STATELESS } = process.env;
  const transportArg = arg("transport") === "http-stream" ? "httpStream" : arg("transport");
  if ((options?.transportType || transportArg || FASTMCP_TRANSPORT) !== "httpStream") return undefined;
  const given = options?.httpStream;
  return {
    ...given,
    port: Number(given?.port?.toString() || arg("port") || FASTMCP_PORT || "8080"),
    host: given?.host || arg("host") || FASTMCP_HOST || "localhost",
    endpoint: (given?.endpoint || arg("endpoint") || FASTMCP_ENDPOINT || "/mcp") as `/${string}`,
    basePath: (given?.basePath || arg("base-path") || FASTMCP_BASE_PATH) as `/${string}` | undefined,
    stateless: given?.stateless || arg("stateless") === "true" || FASTMCP_STATELESS === "true",
  };
}

/**
 * The methods a fastmcp session answers, by the capability it declares. Other
 * methods (resources/subscribe: no session outlives a request here) are not
 * served.
 */
const FORWARDED: Record<string, RequestMethod[]> = {
  tools: ["tools/list", "tools/call"],
  prompts: ["prompts/list", "prompts/get"],
  resources: ["resources/list", "resources/read", "resources/templates/list"],
  completions: ["completion/complete"],
  logging: ["logging/setLevel"],
};

/** A low-level SDK v2 server for one request (either era) that declares what the caller's session declares and asks it. */
async function frontServer(pool: SessionPool, authInfo: AuthInfo): Promise<Server> {
  const session = pool.sessionFor(authInfo);
  const { serverInfo, instructions, capabilities } = await session.initialized;
  // Only what is served per request: no subscriptions, no list-changed notifications.
  const declared: Record<string, object> = {};
  for (const name of Object.keys(FORWARDED)) if (capabilities[name]) declared[name] = {};
  const front = new Server(serverInfo as { name: string; version: string }, {
    capabilities: declared,
    ...(typeof instructions === "string" && { instructions }),
  });
  for (const name of Object.keys(declared)) {
    for (const method of FORWARDED[name] ?? []) {
      front.setRequestHandler(method, (request, ctx) => pool.ask(authInfo, method, request.params, ctx.mcpReq.signal) as never);
    }
  }
  return front;
}

type Message = { jsonrpc: "2.0"; id?: number | string; method?: string; params?: Record<string, unknown> } & Record<string, unknown>;

/** The transport a fastmcp session is connected to: the session's side of an in-memory link to this file. */
export interface SessionLink {
  onmessage?: (message: Message) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  start(): Promise<void>;
  send(message: Message): Promise<void>;
  close(): Promise<void>;
}

/** Connects a new fastmcp session for `caller` to `link` (fastmcp's `server.connect`). */
export type ConnectSession = (link: SessionLink, caller: Caller) => Promise<{ close(): Promise<void> }>;

/**
 * The fastmcp sessions that answer the requests: one per bearer token, kept
 * while it is in use. Building one (fastmcp's session, an SDK v1 `Server`
 * with its own Ajv validator, and its handshake) costs more than the rest of
 * a request: bench/fastmcp measured 2-3x the server CPU per request with a new
 * session for every request as with one kept per token, in both eras. A session belongs to one token, so it holds exactly that caller
 * (its `auth`, the tools `canAccess` allows it): callers never share one. At
 * most `max` sessions are kept, the least recently used is let go first, and
 * a session is let go once its token has expired; one that is let go closes
 * when its last request has its answer. Exported for the tests.
 */
export class SessionPool {
  readonly #sessions = new Map<string, LinkedSession>();
  readonly #connect: ConnectSession;
  readonly #max: number;

  constructor(connect: ConnectSession, max = 128) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
    this.#connect = connect;
    this.#max = max;
  }

  /** One request to the caller's session; its result, or its JSON-RPC error thrown again. */
  ask(authInfo: AuthInfo, method: string, params: Record<string, unknown> | undefined, signal: AbortSignal): Promise<Result> {
    // `_meta` (the 2026-07-28 envelope, a progress token) stays with the SDK v2 layer:
    // the session's notifications are not passed on to the client.
    const rest = Object.fromEntries(Object.entries(params ?? {}).filter(([key]) => key !== "_meta"));
    return this.sessionFor(authInfo).ask(method, rest, signal);
  }

  /** How many sessions are kept. */
  get size(): number {
    return this.#sessions.size;
  }

  sessionFor(authInfo: AuthInfo): LinkedSession {
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
    const session = new LinkedSession(this.#connect, { ...authInfo }, authInfo.expiresAt);
    this.#sessions.set(authInfo.token, session);
    return session;
  }

  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((session) => session.close()));
  }

  #letGo(token: string, session: LinkedSession): void {
    this.#sessions.delete(token);
    session.retire();
  }
}

interface Initialized {
  serverInfo: Record<string, unknown>;
  instructions?: unknown;
  capabilities: Record<string, unknown>;
}

type Settle = (message: Message) => void;

/** One fastmcp session on an in-memory link; requests on it are told apart by id. */
export class LinkedSession {
  closed = false;
  /** The session's answer to the handshake this link sends first: what the server declares. */
  readonly initialized: Promise<Initialized>;
  readonly #expiresAt: number;
  readonly #pending = new Map<number, Settle>();
  readonly #link: SessionLink;
  readonly #session: Promise<{ close(): Promise<void> }>;
  /** Messages to the session sent before fastmcp started the link. */
  #queue: Message[] | undefined = [];
  #nextId = 0;
  /** Requests asked and not yet answered, counted from the moment they are asked. */
  #inFlight = 0;
  #retired = false;

  constructor(connect: ConnectSession, caller: Caller, expiresAt = Number.POSITIVE_INFINITY) {
    this.#expiresAt = expiresAt;
    const toUs = (message: Message) => this.#receive(message);
    const link: SessionLink = {
      async start() {},
      async send(message) {
        toUs(message);
      },
      close: async () => {
        if (this.closed) return;
        this.#closed();
        link.onclose?.();
      },
    };
    link.start = async () => {
      const queued = this.#queue ?? [];
      this.#queue = undefined;
      for (const message of queued) link.onmessage?.(message);
    };
    this.#link = link;
    // The handshake is queued before fastmcp connects: its connect() waits for the client's capabilities.
    this.initialized = this.#request("initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "mcp-auth", version: "1.0.0" },
    }).then((result) => {
      this.#toSession({ jsonrpc: "2.0", method: "notifications/initialized" });
      return result as unknown as Initialized;
    });
    this.#session = connect(link, caller);
    // A session that cannot connect is let go; the requests waiting on it get the error.
    this.#session.catch(() => this.#closed());
    this.initialized.catch(() => this.retire());
  }

  expired(now: number): boolean {
    return this.#expiresAt <= now;
  }

  async ask(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<Result> {
    this.#inFlight++;
    try {
      await Promise.all([this.initialized, this.#session]);
      signal.throwIfAborted();
      return await this.#request(method, params, signal);
    } finally {
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
    const session = await this.#session.catch(() => undefined);
    // fastmcp's close ends its ping timer and closes the link (and takes the session out of server.sessions).
    await session?.close();
    await this.#link.close();
  }

  #request(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<Result> {
    const id = ++this.#nextId;
    return new Promise<Result>((resolve, reject) => {
      if (this.closed) return reject(new ProtocolError(ProtocolErrorCode.InternalError, "the fastmcp session closed"));
      // A request the client gave up on is cancelled in the session too (the tool's abort signal).
      const cancel = () => {
        this.#toSession({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "the client went away" } });
        settle({ jsonrpc: "2.0", id, error: { code: ProtocolErrorCode.InternalError, message: "the client went away" } });
      };
      const settle: Settle = (message) => {
        this.#pending.delete(id);
        signal?.removeEventListener("abort", cancel);
        const { error, result } = message as { error?: { code: number; message: string; data?: unknown }; result?: unknown };
        if (error) reject(new ProtocolError(error.code, error.message, error.data));
        else resolve(result as Result);
      };
      this.#pending.set(id, settle);
      signal?.addEventListener("abort", cancel, { once: true });
      this.#toSession({ jsonrpc: "2.0", id, method, params });
    });
  }

  #toSession(message: Message): void {
    if (this.#queue) this.#queue.push(message);
    else this.#link.onmessage?.(message);
  }

  /** What the session sends: answers to our requests; its pings are answered; its own requests (sampling, elicitation) refused. */
  #receive(message: Message): void {
    if (message.method === undefined) {
      if (typeof message.id === "number") this.#pending.get(message.id)?.(message);
      return;
    }
    if (message.id === undefined) return; // a notification (log, progress): no client to pass it to
    const answer: Message =
      message.method === "ping"
        ? { jsonrpc: "2.0", id: message.id, result: {} }
        : { jsonrpc: "2.0", id: message.id, error: { code: ProtocolErrorCode.MethodNotFound, message: "no client connection to ask" } };
    queueMicrotask(() => this.#toSession(answer));
  }

  /** The link closed: whatever still waits gets an error instead of hanging. */
  #closed(): void {
    this.closed = true;
    for (const [id, settle] of this.#pending) {
      settle({ jsonrpc: "2.0", id, error: { code: ProtocolErrorCode.InternalError, message: "the fastmcp session closed" } });
    }
  }
}

/** fastmcp's other routes, as its own HTTP layer answers them: your `getApp()` routes, then /health, /ready, /ping. */
async function otherRoute(
  server: FastmcpServer<never>,
  { basePath, cors, stateless }: HttpStream,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // fastmcp's default CORS for these routes (a `cors` object of your own is not repeated here).
  if (req.headers.origin && (cors === undefined || cors === true)) {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Vary", "Origin");
  }
  if (req.method === "OPTIONS") return void res.writeHead(204).end();
  if (req.method === "GET" && req.url === "/ping") return void res.writeHead(200).end("pong");
  const hangUp = new AbortController();
  res.on("close", () => hangUp.abort());
  const response = await server.getApp().fetch(webRequest(req, hangUp.signal, true));
  if (response.status !== 404) {
    // fastmcp's HTTP layer names the charset of JSON and event streams.
    const type = response.headers.get("content-type");
    const utf8 = type && /^(application\/json|text\/event-stream)\s*(;|$)/i.test(type) && !/;\s*charset=/i.test(type);
    return sendResponse(res, response, utf8 ? { "content-type": `${type}; charset=utf-8` } : {});
  }
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const read = req.method === "GET" || req.method === "HEAD";
  const health = server.options.health ?? {};
  if (read && health.enabled !== false && path === joinPaths(basePath, health.path ?? "/health")) {
    res.writeHead(health.status ?? 200, { "Content-Type": "text/plain" });
    return void res.end(req.method === "HEAD" ? undefined : (health.message ?? "\u2713 Ok"));
  }
  if (read && health.enabled !== false && path === joinPaths(basePath, "/ready")) {
    // fastmcp counts its sessions (here: the kept ones) unless it serves statelessly.
    const total = server.sessions.length;
    const ready = server.sessions.filter((session) => session.isReady).length;
    const [status, body] = stateless
      ? [200, { mode: "stateless", ready: 1, status: "ready", total: 1 }]
      : [
          ready === total && total > 0 ? 200 : 503,
          { ready, status: ready === total && total > 0 ? "ready" : total === 0 ? "no_sessions" : "initializing", total },
        ];
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
    return void res.end(req.method === "HEAD" ? undefined : JSON.stringify(body));
  }
  res.writeHead(404).end();
}

/** The Node request as a web-standard Request (its body only when `withBody`: the MCP endpoint passes the parsed one). */
function webRequest(req: IncomingMessage, signal: AbortSignal, withBody = false): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const hasBody = withBody && req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`), {
    method: req.method ?? "GET",
    headers,
    signal,
    ...(hasBody && { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" }),
  });
}

/** Writes a web-standard Response on the Node response, streaming (SSE included). */
async function sendResponse(res: ServerResponse, response: Response, extraHeaders: Readonly<Record<string, string>> = {}): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, { ...headers, ...extraHeaders });
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  // A client that hangs up ends the stream here too (a cancelled request's stream gets no answer).
  const hungUp = () => void reader.cancel().catch(() => {});
  res.once("close", hungUp);
  try {
    for (;;) {
      if (res.destroyed) return;
      const chunk = await reader.read();
      if (chunk.done) break;
      if (!res.write(chunk.value)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
    }
    res.end();
  } finally {
    res.off("close", hungUp);
    await reader.cancel().catch(() => {});
  }
}

function joinPaths(basePath: string | undefined, path: string): string {
  return `${(basePath ?? "").replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
