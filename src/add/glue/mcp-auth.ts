// Written by `create-mcp-auth add`: the one place that decides what a request
// to the MCP endpoint needs, in the order every generated server applies it
// (src/endpoint.ts of `create`): Origin and Host, the CORS preflight, the
// token from the Authorization header before any body is read, a JSON body of
// at most 1 MB, the scopes of the called tools. The framework adapter next to
// it only translates this into the framework's middleware; the auth core
// (config, provider, authorize, metadata, origin) does the checking.
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

export const MAX_BODY_BYTES = 1024 * 1024;

/** An answer the auth layer gives instead of the MCP server: a challenge, a refusal, a preflight. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
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
const TOO_LARGE = rpcError(-32600, `Request body larger than ${MAX_BODY_BYTES} bytes`);
const NOT_JSON = rpcError(-32700, "Parse error: invalid JSON");
// Only a body parsed as JSON reaches the MCP server, so the scope check saw what runs.
const WRONG_TYPE = rpcError(-32000, "Content-Type must be application/json");

export type BodyProblem = "too_large" | "not_json" | "wrong_type";

/** The answer for a body that cannot be read as JSON, with the request's CORS headers. */
export function bodyAnswer(problem: BodyProblem, cors: Record<string, string>): Answer {
  if (problem === "too_large") return { status: 413, headers: cors, body: TOO_LARGE };
  if (problem === "wrong_type") return { status: 415, headers: cors, body: WRONG_TYPE };
  return { status: 400, headers: cors, body: NOT_JSON };
}

export type McpAuth = ReturnType<typeof createMcpAuth>;

/**
 * Reads the configuration (environment first, then `.env`), and stops the
 * process with one line naming the variable when it is missing or wrong: a
 * server that cannot check tokens must not start.
 */
export function createMcpAuth(endpoint: string) {
  const config = loadConfigOrExit();
  if (normalizePath(config.mcpPath) !== normalizePath(endpoint)) {
    exit(`MCP_SERVER_URL is ${config.resourceUrl}, but this server's MCP endpoint is ${endpoint}: the URL must end with that path`);
  }
  const authorizer = createAuthorizer(config, createVerifier(config));
  const metadata = protectedResourceMetadata(config);
  const { pathSuffixed, root } = prmPaths(config);
  const metadataPaths = new Set([normalizePath(pathSuffixed), normalizePath(root)]);
  const endpointPath = normalizePath(endpoint);

  return {
    config,
    isMetadataPath: (url: string | undefined) => metadataPaths.has(normalizePath(url)),
    isEndpoint: (url: string | undefined) => normalizePath(url) === endpointPath,

    /** The protected resource metadata (RFC 9728): public, for any origin. */
    metadataAnswer(method: string | undefined): Answer {
      if (method === "OPTIONS") return { status: 204, headers: { ...metadataHeaders } };
      if (method !== "GET" && method !== "HEAD") {
        return { status: 405, headers: { ...metadataHeaders, Allow: "GET, HEAD, OPTIONS" }, body: { error: "method_not_allowed" } };
      }
      return { status: 200, headers: { ...metadataHeaders }, body: metadata };
    },

    /**
     * Steps 1-3, before any body is read: Origin (and Host, on loopback) 403,
     * the CORS preflight, the token from the Authorization header 401. On
     * success, the CORS headers every later answer to this request carries.
     */
    async beforeBody(
      method: string | undefined,
      headers: IncomingHttpHeaders | Headers,
    ): Promise<{ answer: Answer } | { token: VerifiedToken; cors: Record<string, string> }> {
      const origin = header(headers, "origin");
      const refused = checkOrigin(config, origin, header(headers, "host"));
      if (refused) return { answer: { status: refused.status, headers: {}, body: refused.body } };
      const cors = corsHeaders(origin);
      if (method === "OPTIONS")
        return { answer: { status: 204, headers: { ...cors, ...preflightHeaders(header(headers, "access-control-request-headers")) } } };
      const authenticated = await authorizer.authenticate(header(headers, "authorization"));
      if (!authenticated.ok) return { answer: challengeAnswer(authenticated.challenge, cors) };
      return { token: authenticated.value, cors };
    },

    /** Step 5, with the parsed JSON-RPC body: the scopes the called tools need (403 insufficient_scope). */
    withBody(token: VerifiedToken, body: unknown, cors: Record<string, string>): { answer: Answer } | { authInfo: AuthInfo } {
      const authorized = authorizer.authorize(token, body);
      if (!authorized.ok) return { answer: challengeAnswer(authorized.challenge, cors) };
      return { authInfo: authorized.value };
    },
  };
}

function challengeAnswer(challenge: Challenge, cors: Record<string, string>): Answer {
  return { status: challenge.status, headers: { ...cors, ...challenge.headers }, body: challenge.body };
}

function header(headers: IncomingHttpHeaders | Headers, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const value = (headers as IncomingHttpHeaders)[name];
  return Array.isArray(value) ? value[0] : value;
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

/** Step 4 on a Node request: JSON only, at most MAX_BODY_BYTES, valid JSON; a bad body is an answer, never a 500. */
export function readJsonBody(req: IncomingMessage): Promise<{ value: unknown } | { problem: BodyProblem }> {
  if (!isJsonContentType(req.headers["content-type"])) return Promise.resolve({ problem: "wrong_type" });
  if (Number(req.headers["content-length"]) > MAX_BODY_BYTES) return Promise.resolve({ problem: "too_large" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("error", () => resolve({ problem: "not_json" }));
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return resolve({ problem: "too_large" });
      try {
        resolve({ value: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      } catch {
        resolve({ problem: "not_json" });
      }
    });
  });
}

/** Step 4 on a web-standard request, read from a clone so the original stays readable. */
export async function readJsonRequest(request: Request): Promise<{ value: unknown } | { problem: BodyProblem }> {
  if (!isJsonContentType(request.headers.get("content-type"))) return { problem: "wrong_type" };
  if (Number(request.headers.get("content-length")) > MAX_BODY_BYTES) return { problem: "too_large" };
  try {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = request.clone().body?.getReader();
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      size += chunk.value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader?.cancel();
        return { problem: "too_large" };
      }
      chunks.push(chunk.value);
    }
    return { value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { problem: "not_json" };
  }
}

/** Writes an answer on a Node response. */
export function sendAnswer(res: ServerResponse, answer: Answer): void {
  const json = answer.body === undefined ? undefined : JSON.stringify(answer.body);
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  if (json !== undefined) {
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Content-Length", Buffer.byteLength(json));
  }
  res.end(json);
}

/** An answer as a web-standard response. */
export function answerResponse(answer: Answer): Response {
  const headers = new Headers(answer.headers);
  if (answer.body !== undefined) headers.set("Content-Type", "application/json");
  return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status, headers });
}

function loadConfigOrExit(): Config {
  // Real environment variables win over .env; .env is read, never copied into process.env.
  const fromFile = existsSync(".env") ? parseEnv(readFileSync(".env", "utf8")) : {};
  try {
    return loadConfig({ ...fromFile, ...process.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return exit(`${error.message} (set it in the environment or in .env; .env.example lists every variable)`);
  }
}

function exit(message: string): never {
  console.error(`MCP auth configuration error: ${message}`);
  process.exit(1);
}
