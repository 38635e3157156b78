// Written by `create-mcp-auth add`: the one place that decides what a request
// to the MCP endpoint needs, whatever the framework. In order: Origin and
// Host (403), the CORS preflight, the token from the Authorization header
// (401) before any body is read, a JSON body of at most 1 MB that arrives
// within 20 s (415, 413, 408, 400), the scopes of the called tools on the
// parsed body (403). The framework adapter next to it (express, fastify,
// hono) only translates this into the framework's middleware or hooks; the
// auth core (config, provider, authorize, metadata, origin) does the checking.
//
// Time limits: the 20 s deadline covers the body of an MCP request when this
// code reads it (a JSON parser of the app that runs first, such as the one
// createMcpExpressApp registers, reads it on its own terms). The headers of
// every request are the server's own limit. Node allows 60 s for headers
// (checked every 30 s, so up to 90 s) and 300 s for a whole request; Fastify
// sets no limit for a whole request. Set them where the server is created:
//   const server = app.listen(port);   // Express; Hono: const server = serve(...)
//   server.headersTimeout = 20_000;    // headers within 20 s
//   server.requestTimeout = 60_000;    // a whole request within 60 s
//   Fastify({ requestTimeout: 60_000 }) and fastify.server.headersTimeout = 20_000
/// <reference types="node" />
import { existsSync, readFileSync } from "node:fs";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { parseEnv } from "node:util";
import { type AuthInfo, createAuthorizer } from "./authorize.js";
import type { Challenge } from "./challenge.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { metadataHeaders, prmPaths, protectedResourceMetadata } from "./metadata.js";
import { checkOrigin } from "./origin.js";
import { createVerifier } from "./provider.js";
import type { VerifiedToken } from "./verifier.js";

export type { AuthInfo, VerifiedToken };

/** The largest JSON-RPC body accepted (413 above it). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** How long a body has to arrive in full once the token is accepted (408 after, and the connection closed). */
export const BODY_TIMEOUT_MS = 20_000;

export interface BodyLimits {
  maxBytes: number;
  timeoutMs: number;
}

export interface McpAuthOptions {
  /** The path the app serves MCP on, e.g. "/mcp": MCP_SERVER_URL must end with it. */
  endpoint: string;
  /** Default MAX_BODY_BYTES. */
  maxBodyBytes?: number | undefined;
  /** Default BODY_TIMEOUT_MS. */
  bodyTimeoutMs?: number | undefined;
}

/** An answer the auth layer gives instead of the MCP server: a challenge, a refusal, a preflight, the metadata. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  /** A JSON value; none for a preflight. */
  body?: unknown;
}

/** An answer as the bytes to write: every adapter writes it this way, in its framework's words. */
export function serialize(answer: Answer): { status: number; headers: Record<string, string>; body: string | undefined } {
  if (answer.body === undefined) return { status: answer.status, headers: answer.headers, body: undefined };
  return { status: answer.status, headers: { ...answer.headers, "Content-Type": "application/json" }, body: JSON.stringify(answer.body) };
}

/** Writes an answer on a Node response (Express, or any node:http server). */
export function sendAnswer(res: ServerResponse, answer: Answer): void {
  const { status, headers, body } = serialize(answer);
  res.writeHead(status, headers).end(body);
}

/** CORS for an allowed browser origin (checkOrigin has refused the others). */
export function corsHeaders(origin: string | undefined): Record<string, string> {
  return {
    ...(origin ? { "Access-Control-Allow-Origin": origin } : {}),
    // Browser clients (MCP Inspector) must be able to read the challenge.
    "Access-Control-Expose-Headers": "WWW-Authenticate, Mcp-Session-Id",
    Vary: "Origin",
  };
}

/** The headers a preflight asked for (when well formed) or the MCP ones; Authorization must be named. */
function preflightHeaders(asked: string | undefined): Record<string, string> {
  return {
    // GET and DELETE too: the project's own transport may serve a stream and end sessions.
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers":
      asked && /^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+){0,50}$/.test(asked.trim())
        ? asked.trim()
        : "Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID",
    "Access-Control-Max-Age": "86400",
  };
}

/** A JSON-RPC error answered before any message was read: it has no id (MCP 2025-11-25 and later). */
const rpcError = (code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message } });
const NOT_JSON = rpcError(-32700, "Parse error: invalid JSON");
// Only a body parsed as JSON reaches the MCP server, so the scope check saw what runs.
const WRONG_TYPE = rpcError(-32000, "Content-Type must be application/json");

export type BodyProblem = "too_large" | "not_json" | "wrong_type" | "timeout";

/**
 * The answer for a body that cannot be read as JSON, with the request's CORS
 * headers. A body left unread (too large, too slow) also closes the
 * connection, so its rest is never waited for.
 */
export function bodyAnswer(problem: BodyProblem, cors: Record<string, string>, limits: BodyLimits = DEFAULT_LIMITS): Answer {
  const close = { ...cors, Connection: "close" };
  if (problem === "too_large") {
    return { status: 413, headers: close, body: rpcError(-32600, `Request body larger than ${limits.maxBytes} bytes`) };
  }
  if (problem === "timeout") {
    return { status: 408, headers: close, body: rpcError(-32600, `Request body not received within ${limits.timeoutMs / 1000} s`) };
  }
  if (problem === "wrong_type") return { status: 415, headers: cors, body: WRONG_TYPE };
  return { status: 400, headers: cors, body: NOT_JSON };
}

const DEFAULT_LIMITS: BodyLimits = { maxBytes: MAX_BODY_BYTES, timeoutMs: BODY_TIMEOUT_MS };

/** A header's value from any framework's request: the first one when repeated. */
export type HeaderReader = (name: string) => string | string[] | null | undefined;

/** The next chunk of a body: a Node stream's async iterator (`next`) or a web stream's reader (`read`). */
export type NextChunk = () => Promise<{ done?: boolean | undefined; value?: Uint8Array | undefined }>;

export type McpAuth = ReturnType<typeof createMcpAuth>;

/**
 * The auth layer for one endpoint. The configuration (environment first, then
 * `.env`) is read on first use, not here: an app can be created (by the
 * project's own tests too) before its variables are set. A missing or wrong
 * variable is said once, naming it, when the server starts to listen
 * (adapters that see the listen call it: Fastify) or on the first request
 * (answered 500, as every MCP request after it): a server that cannot check
 * tokens never lets one through.
 */
export function createMcpAuth(options: McpAuthOptions | string) {
  const { endpoint, maxBodyBytes, bodyTimeoutMs } = typeof options === "string" ? { endpoint: options } : options;
  const limits: BodyLimits = { maxBytes: maxBodyBytes ?? MAX_BODY_BYTES, timeoutMs: bodyTimeoutMs ?? BODY_TIMEOUT_MS };
  const endpointPath = normalizePath(endpoint);
  let loaded: ReturnType<typeof setUp> | { problem: string } | undefined;
  const load = () => {
    if (loaded) return loaded;
    try {
      loaded = setUp(loadConfigFromEnv(), endpoint);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      loaded = { problem: `${error.message} (set it in the environment or in .env; .env.example lists every variable)` };
      console.error(`MCP auth configuration error: ${loaded.problem}`);
    }
    return loaded;
  };
  const configAnswer = (problem: string): Answer => ({
    status: 500,
    headers: {},
    body: rpcError(-32603, `Server misconfigured: ${problem}`),
  });

  return {
    /** The configuration problem, if any (read now, once): what a server says when it starts to listen. */
    configProblem(): string | undefined {
      const state = load();
      return "problem" in state ? state.problem : undefined;
    },
    /** The configuration; throws when it is missing or wrong. */
    get config(): Config {
      const state = load();
      if ("problem" in state) throw new Error(state.problem);
      return state.config;
    },
    limits,
    isMetadataPath: (url: string | undefined) => {
      const state = load();
      return !("problem" in state) && state.metadataPaths.has(normalizePath(url));
    },
    isEndpoint: (url: string | undefined) => normalizePath(url) === endpointPath,

    /** The protected resource metadata (RFC 9728): public, for any origin. */
    metadataAnswer(method: string | undefined): Answer {
      const state = load();
      if ("problem" in state) return configAnswer(state.problem);
      if (method === "OPTIONS") return { status: 204, headers: { ...metadataHeaders } };
      if (method !== "GET" && method !== "HEAD") {
        return { status: 405, headers: { ...metadataHeaders, Allow: "GET, HEAD, OPTIONS" }, body: { error: "method_not_allowed" } };
      }
      return { status: 200, headers: { ...metadataHeaders }, body: state.metadata };
    },

    /**
     * Before any body is read: the configuration (500 when it is wrong),
     * Origin (and Host, on loopback) 403, the CORS preflight, the token from
     * the Authorization header 401. On success, the CORS headers every later
     * answer to this request carries.
     */
    async beforeBody(
      method: string | undefined,
      headers: IncomingHttpHeaders | HeaderReader,
    ): Promise<{ answer: Answer } | { token: VerifiedToken; cors: Record<string, string> }> {
      const state = load();
      if ("problem" in state) return { answer: configAnswer(state.problem) };
      const { config, authorizer } = state;
      const get = typeof headers === "function" ? headers : (name: string) => headers[name];
      const origin = first(get("origin"));
      const refused = checkOrigin(config, origin, first(get("host")));
      if (refused) return { answer: { status: refused.status, headers: {}, body: refused.body } };
      const cors = corsHeaders(origin);
      if (method === "OPTIONS") {
        return { answer: { status: 204, headers: { ...cors, ...preflightHeaders(first(get("access-control-request-headers"))) } } };
      }
      const authenticated = await authorizer.authenticate(first(get("authorization")));
      if (!authenticated.ok) return { answer: challengeAnswer(authenticated.challenge, cors) };
      return { token: authenticated.value, cors };
    },

    /** The body of a POST, JSON only, bounded in size and time (see readBody). */
    readBody(contentType: string | undefined, contentLength: string | undefined, next: NextChunk | undefined) {
      return readBody(contentType, contentLength, next, limits);
    },

    /** A Node request's body, bounded like readBody's (see readNodeBody). */
    readNodeBody(req: IncomingMessage) {
      return readNodeBody(req, limits);
    },

    /** A Node request's JSON body, read by readNodeBody and parsed. */
    readJsonBody(req: IncomingMessage) {
      return readJsonBody(req, limits);
    },

    /** The answer for a body that cannot be read as JSON. */
    bodyAnswer(problem: BodyProblem, cors: Record<string, string>): Answer {
      return bodyAnswer(problem, cors, limits);
    },

    /** With the parsed JSON-RPC body: the scopes the called tools need (403 insufficient_scope). */
    withBody(token: VerifiedToken, body: unknown, cors: Record<string, string>): { answer: Answer } | { authInfo: AuthInfo } {
      const state = load();
      if ("problem" in state) return { answer: configAnswer(state.problem) };
      const { authorizer } = state;
      // A body some parser of the app left as text or bytes cannot be checked, so it does not run.
      if (typeof body === "string" || body instanceof Uint8Array) return { answer: bodyAnswer("wrong_type", cors, limits) };
      const authorized = authorizer.authorize(token, body);
      if (!authorized.ok) return { answer: challengeAnswer(authorized.challenge, cors) };
      return { authInfo: authorized.value };
    },
  };
}

function challengeAnswer(challenge: Challenge, cors: Record<string, string>): Answer {
  return { status: challenge.status, headers: { ...cors, ...challenge.headers }, body: challenge.body };
}

function first(value: string | string[] | null | undefined): string | undefined {
  return (Array.isArray(value) ? value[0] : value) ?? undefined;
}

/**
 * A path as routers may match it: without query, decoded, duplicate and
 * trailing slashes dropped, lower case. Matching this wider set keeps
 * `/MCP` or `/mcp/` (which Express routes to `/mcp`) from passing unchecked.
 */
export function normalizePath(url: string | undefined): string {
  let path = (url ?? "").split("?", 1)[0] ?? "";
  try {
    path = decodeURIComponent(path);
  } catch {
    // left as sent
  }
  return (
    path
      .replace(/\/{2,}/g, "/")
      .replace(/\/+$/, "")
      .toLowerCase() || "/"
  );
}

/** `application/json`, with or without parameters such as charset. */
export function isJsonContentType(value: string | null | undefined): boolean {
  return value?.split(";", 1)[0]?.trim().toLowerCase() === "application/json";
}

/**
 * The one body reader: JSON only (415), at most `maxBytes` (413, by
 * Content-Length before reading and by count while reading), whole within
 * `timeoutMs` (408). A body that is too large or too slow is left unread (its
 * answer closes the connection); a failing stream is an unreadable body (400).
 */
export async function readBody(
  contentType: string | undefined,
  contentLength: string | undefined,
  next: NextChunk | undefined,
  limits: BodyLimits = DEFAULT_LIMITS,
): Promise<{ bytes: Uint8Array } | { problem: BodyProblem }> {
  if (!isJsonContentType(contentType)) return { problem: "wrong_type" };
  if (Number(contentLength) > limits.maxBytes) return { problem: "too_large" };
  if (!next) return { bytes: new Uint8Array(0) };
  let stopped = false;
  const whole = (async (): Promise<{ bytes: Uint8Array } | { problem: BodyProblem }> => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      // Checked after each chunk: a body past its deadline is not read further.
      while (!stopped) {
        const chunk = await next();
        if (chunk.done || !chunk.value) break;
        size += chunk.value.byteLength;
        if (size > limits.maxBytes) return { problem: "too_large" };
        chunks.push(chunk.value);
      }
    } catch {
      return { problem: "not_json" };
    }
    return { bytes: chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks) };
  })();
  // One deadline over the whole body, raced once (not once per chunk).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<{ problem: BodyProblem }>((resolve) => {
    timer = setTimeout(resolve, limits.timeoutMs, { problem: "timeout" });
  });
  try {
    return await Promise.race([whole, expired]);
  } finally {
    stopped = true;
    clearTimeout(timer);
  }
}

/**
 * A Node request's body, as readBody reads a stream, with the stream's own
 * events: what express.json does, and cheaper per request than an async
 * iterator. A body that is too large, too slow or broken is left unread
 * (paused), and its answer closes the connection.
 */
export function readNodeBody(
  req: IncomingMessage,
  limits: BodyLimits = DEFAULT_LIMITS,
): Promise<{ bytes: Uint8Array } | { problem: BodyProblem }> {
  if (!isJsonContentType(first(req.headers["content-type"]))) return Promise.resolve({ problem: "wrong_type" });
  if (Number(first(req.headers["content-length"])) > limits.maxBytes) return Promise.resolve({ problem: "too_large" });
  if (req.readableEnded) return Promise.resolve({ bytes: new Uint8Array(0) });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: { bytes: Uint8Array } | { problem: BodyProblem }) => {
      clearTimeout(timer);
      req.off("data", onData).off("end", onEnd).off("error", onBroken).off("close", onBroken);
      if ("problem" in result) req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limits.maxBytes) done({ problem: "too_large" });
      else chunks.push(chunk);
    };
    const onEnd = () => done({ bytes: chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, size) });
    // An error, or the client gone before the end: the body is not JSON that can be checked.
    const onBroken = () => done({ problem: "not_json" });
    const timer = setTimeout(done, limits.timeoutMs, { problem: "timeout" });
    req.on("data", onData).on("end", onEnd).on("error", onBroken).on("close", onBroken);
  });
}

/** The body as JSON (400 when it is not), and as the text that was parsed. */
export function parseJson(bytes: Uint8Array): { value: unknown; text: string } | { problem: "not_json" } {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  try {
    return { value: JSON.parse(text), text };
  } catch {
    return { problem: "not_json" };
  }
}

/** A Node request's JSON body (Express, node:http), read by readNodeBody and parsed. */
export async function readJsonBody(
  req: IncomingMessage,
  limits: BodyLimits = DEFAULT_LIMITS,
): Promise<{ value: unknown } | { problem: BodyProblem }> {
  const read = await readNodeBody(req, limits);
  return "problem" in read ? read : parseJson(read.bytes);
}

/** Everything the auth layer derives from the configuration, once it is read. */
function setUp(config: Config, endpoint: string) {
  if (normalizePath(config.mcpPath) !== normalizePath(endpoint)) {
    throw new ConfigError(
      "MCP_SERVER_URL",
      `is ${config.resourceUrl}, but this server's MCP endpoint is ${endpoint}: the URL must end with that path`,
      `http://localhost:3000${endpoint}`,
    );
  }
  const { pathSuffixed, root } = prmPaths(config);
  return {
    config,
    authorizer: createAuthorizer(config, createVerifier(config)),
    metadata: protectedResourceMetadata(config),
    metadataPaths: new Set([normalizePath(pathSuffixed), normalizePath(root)]),
  };
}

function loadConfigFromEnv(): Config {
  // Real environment variables win over .env; .env is read, never copied into process.env.
  const fromFile = existsSync(".env") ? parseEnv(readFileSync(".env", "utf8")) : {};
  return loadConfig({ ...fromFile, ...process.env });
}
