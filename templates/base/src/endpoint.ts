import { type Authorizer, createAuthorizer } from "./auth/authorize.js";
import type { Challenge } from "./auth/challenge.js";
import type { Config } from "./auth/config.js";
import { checkOrigin } from "./auth/origin.js";
import type { TokenVerifier } from "./auth/verifier.js";
import type { RequestDetails } from "./log.js";
import type { McpRunner } from "./mcp.js";

export const MAX_BODY_BYTES = 1024 * 1024;

/** The MCP endpoint: one request in, one answer out (web-standard Request and Response). */
export interface Endpoint {
  handle(request: Request, details?: RequestDetails): Promise<Response>;
}

/**
 * Every MCP request takes these steps, in this order, whatever framework
 * routed it here:
 *  1. Origin (and Host, on loopback) checked: 403 before any auth work.
 *  2. Preflight (OPTIONS) answered, without a token.
 *  3. Authenticated from the Authorization header alone: 401 before the body is read.
 *  4. POST only (405), JSON only (415), at most 1 MB (413), valid JSON (400).
 *  5. Authorized on the parsed body: the scopes of every tool it calls (403).
 *  6. Run by the MCP SDK on that same parsed body, with the verified caller.
 * CORS headers go on every answer to an allowed browser origin.
 */
export function createEndpoint(config: Config, verifier: TokenVerifier, runner: McpRunner): Endpoint {
  const auth: Authorizer = createAuthorizer(config, verifier);

  return {
    async handle(request, details = {}) {
      const origin = request.headers.get("origin");
      const refused = checkOrigin(config, origin, request.headers.get("host"));
      if (refused) return Response.json(refused.body, { status: refused.status });
      const cors = corsHeaders(origin);

      if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: { ...cors, ...preflightHeaders(request) } });

      const authenticated = await auth.authenticate(request.headers.get("authorization"));
      if (!authenticated.ok) return challenge(authenticated.challenge, cors);
      details.subject = authenticated.value.subject;
      details.clientId = authenticated.value.clientId;

      if (request.method !== "POST") return rpcError(405, METHOD_NOT_ALLOWED, { ...cors, Allow: "POST, OPTIONS" });
      if (!isJsonContentType(request.headers.get("content-type"))) return rpcError(415, WRONG_TYPE, cors);
      const body = await readJson(request);
      if (!body.ok) return rpcError(body.status, body.error, cors);
      describe(body.value, details);

      // The scopes a tool needs are checked here, on the body the SDK will run: a tool cannot answer 403.
      const authorized = auth.authorize(authenticated.value, body.value);
      if (!authorized.ok) return challenge(authorized.challenge, cors);

      const response = await runner.run(body.streamed ? requestForSdk(request) : request, body.value, authorized.value);
      return withHeaders(response, cors);
    },
  };
}

/**
 * The request the SDK runs after a streamed body: the same method, URL and
 * headers (the body is parsed already), with a signal of its own that
 * follows the client's. Not the incoming request itself: to stream a body,
 * @hono/node-server builds a Request whose signal's parent is the incoming
 * one (a body read whole comes from the socket directly, with no such
 * Request), undici keeps a parent signal alive until that Request has been
 * finalized, and the SDK hangs each exchange (transport, McpServer) on the
 * signal: every exchange outlived a garbage collection, and a server under
 * load grew by hundreds of MB.
 *
 * So the incoming signal reaches the new controller only through a WeakRef,
 * and the incoming request itself holds the controller and the new request
 * (`forSdk`): the server keeps the incoming request for as long as the
 * exchange lasts (to abort it when the client hangs up) and lets it go when
 * the answer is sent. (A Request's own signal follows the one it was given
 * only while that Request is alive, hence the new request is held too.)
 */
function requestForSdk(request: Request): Request {
  const controller = new AbortController();
  const follower = new WeakRef(controller);
  const incoming = request.signal;
  incoming.addEventListener("abort", () => follower.deref()?.abort(incoming.reason), { once: true });
  const sdkRequest = new Request(request.url, { method: request.method, headers: request.headers, signal: controller.signal });
  forSdk.set(request, { controller, sdkRequest });
  return sdkRequest;
}

/** Incoming request -> what the SDK's request needs to hear a hang-up: alive exactly as long as the incoming request is. */
const forSdk = new WeakMap<Request, { controller: AbortController; sdkRequest: Request }>();

/** CORS for an allowed browser origin (checkOrigin has refused the others). */
function corsHeaders(origin: string | null): Record<string, string> {
  return {
    ...(origin ? { "Access-Control-Allow-Origin": origin } : {}),
    // Browser clients (MCP Inspector) must be able to read the challenge.
    "Access-Control-Expose-Headers": "WWW-Authenticate, Mcp-Session-Id",
    Vary: "Origin",
  };
}

/** The headers a preflight asked for (when well formed) or the MCP ones; Authorization must be named. */
function preflightHeaders(request: Request): Record<string, string> {
  const asked = request.headers.get("access-control-request-headers");
  return {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers":
      asked && /^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+){0,50}$/.test(asked.trim())
        ? asked.trim()
        : "Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id",
    "Access-Control-Max-Age": "86400",
  };
}

function challenge(c: Challenge, cors: Record<string, string>): Response {
  return Response.json(c.body, { status: c.status, headers: { ...cors, ...c.headers } });
}

interface RpcErrorBody {
  code: number;
  message: string;
}

const METHOD_NOT_ALLOWED: RpcErrorBody = { code: -32000, message: "Method not allowed: send JSON-RPC with POST" };
// Only a body parsed as JSON reaches the SDK, so the scope check saw what runs.
const WRONG_TYPE: RpcErrorBody = { code: -32000, message: "Content-Type must be application/json" };
const TOO_LARGE: RpcErrorBody = { code: -32600, message: `Request body larger than ${MAX_BODY_BYTES} bytes` };
const NOT_JSON: RpcErrorBody = { code: -32700, message: "Parse error: invalid JSON" };

/** A JSON-RPC error answered before any message was read: it has no id (MCP 2025-11-25 and later). */
function rpcError(status: number, error: RpcErrorBody, headers: Record<string, string>): Response {
  return Response.json({ jsonrpc: "2.0", error }, { status, headers });
}

/** `application/json`, with or without parameters such as charset. */
export function isJsonContentType(value: string | null | undefined): boolean {
  return value?.split(";", 1)[0]?.trim().toLowerCase() === "application/json";
}

type Body = { ok: true; value: unknown; streamed: boolean } | { ok: false; status: 400 | 413; error: RpcErrorBody };

/**
 * Reads the JSON body, at most MAX_BODY_BYTES of it; a bad body is a JSON-RPC
 * error, never a 500. With a Content-Length (at most the limit; the HTTP
 * parser delivers no more than it) the body is read whole; without one it is
 * streamed and counted, and `streamed` says the SDK must get a request of its
 * own (see requestForSdk).
 */
async function readJson(request: Request): Promise<Body> {
  const tooLarge = { ok: false, status: 413, error: TOO_LARGE } as const;
  const length = request.headers.get("content-length");
  if (length !== null && /^[0-9]+$/.test(length)) {
    if (Number(length) > MAX_BODY_BYTES) return tooLarge;
    try {
      return { ok: true, value: JSON.parse(await request.text()), streamed: false };
    } catch {
      return { ok: false, status: 400, error: NOT_JSON };
    }
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of request.body ?? []) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) return tooLarge;
      chunks.push(chunk);
    }
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")), streamed: true };
  } catch {
    return { ok: false, status: 400, error: NOT_JSON };
  }
}

/** The JSON-RPC method and tool of a body, for the request log. */
function describe(body: unknown, details: RequestDetails): void {
  const message = (Array.isArray(body) ? body[0] : body) as { method?: unknown; params?: { name?: unknown } } | null;
  if (typeof message?.method === "string") details.rpcMethod = Array.isArray(body) ? `batch(${body.length})` : message.method;
  if (message?.method === "tools/call" && typeof message.params?.name === "string") details.tool = message.params.name;
}

/** The SDK's answer with the CORS headers added; copied only if its headers are immutable. */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  try {
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  } catch {
    const merged = new Headers(response.headers);
    for (const [name, value] of Object.entries(headers)) merged.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers: merged });
  }
}
