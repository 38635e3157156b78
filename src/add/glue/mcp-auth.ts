// Written by `create-mcp-auth add`: the one place that decides what a request
// to the MCP endpoint needs. The framework adapter next to it only translates
// this into the framework's middleware; the auth core (config, provider,
// authorize, metadata, origin) does the checking.
import { existsSync, readFileSync } from "node:fs";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { parseEnv } from "node:util";
import { createAuthorizer } from "./authorize.js";
import { ConfigError, loadConfig } from "./config.js";
import { prmPaths, protectedResourceMetadata } from "./metadata.js";
import { checkOrigin } from "./origin.js";
import { createVerifier } from "./provider.js";

export const MAX_BODY_BYTES = 1024 * 1024;

type Authorizer = ReturnType<typeof createAuthorizer>;
/** The verified access token (step 1, from the Authorization header). */
export type Token = Extract<Awaited<ReturnType<Authorizer["authenticate"]>>, { ok: true }>["value"];
/** Who is calling, for the tools: the SDK reads it from `req.auth`. */
export type AuthInfo = Extract<ReturnType<Authorizer["authorize"]>, { ok: true }>["value"];

/** An answer the auth layer gives instead of the MCP server: a challenge, a refusal, a preflight. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

// Browser-based clients (MCP Inspector) must be able to read the challenge.
export const corsHeaders: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": "WWW-Authenticate, Mcp-Session-Id",
};

const preflightHeaders: Readonly<Record<string, string>> = {
  ...corsHeaders,
  "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID",
  "Access-Control-Max-Age": "86400",
};

// The metadata documents are public and readable from any origin.
const metadataHeaders: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, OPTIONS",
  "Access-Control-Allow-Headers": "Mcp-Protocol-Version, Content-Type",
  "Cache-Control": "public, max-age=300",
};

const rpcError = (code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message }, id: null });
export const BODY_TOO_LARGE: Answer = { status: 413, headers: corsHeaders, body: rpcError(-32600, `Request body larger than ${MAX_BODY_BYTES} bytes`) };
export const BODY_NOT_JSON: Answer = { status: 400, headers: corsHeaders, body: rpcError(-32700, "Parse error: invalid JSON") };
// Only a body parsed as JSON reaches the MCP server, so the scope check saw what runs.
export const BODY_WRONG_TYPE: Answer = { status: 415, headers: corsHeaders, body: rpcError(-32000, "Content-Type must be application/json") };

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

    /** The protected resource metadata (RFC 9728), public. */
    metadataAnswer(method: string | undefined): Answer {
      if (method === "OPTIONS") return { status: 204, headers: metadataHeaders };
      if (method !== "GET" && method !== "HEAD") {
        return { status: 405, headers: { ...metadataHeaders, Allow: "GET, HEAD, OPTIONS" }, body: { error: "method_not_allowed" } };
      }
      return { status: 200, headers: metadataHeaders, body: metadata };
    },

    /** Before any body is read: the Origin check, the CORS preflight, the token from the Authorization header. */
    async beforeBody(method: string | undefined, headers: IncomingHttpHeaders | Headers): Promise<{ answer: Answer } | { token: Token }> {
      const refused = checkOrigin(config, header(headers, "origin"), header(headers, "host"));
      if (refused) return { answer: { status: refused.status, headers: corsHeaders, body: refused.body } };
      if (method === "OPTIONS") return { answer: { status: 204, headers: preflightHeaders } };
      const authenticated = await authorizer.authenticate(header(headers, "authorization"));
      if (!authenticated.ok) return { answer: challengeAnswer(authenticated.challenge) };
      return { token: authenticated.value };
    },

    /** With the parsed JSON-RPC body: the scopes the called tools need (403 insufficient_scope). */
    withBody(token: Token, body: unknown): { answer: Answer } | { authInfo: AuthInfo } {
      const authorized = authorizer.authorize(token, body);
      if (!authorized.ok) return { answer: challengeAnswer(authorized.challenge) };
      return { authInfo: authorized.value };
    },
  };
}

function challengeAnswer(challenge: { status: number; headers: Record<string, string>; body: unknown }): Answer {
  return { status: challenge.status, headers: { ...corsHeaders, ...challenge.headers }, body: challenge.body };
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
  return path.replace(/\/{2,}/g, "/").replace(/\/+$/, "").toLowerCase() || "/";
}

/** `application/json`, with or without parameters such as charset. */
export function isJsonContentType(value: string | null | undefined): boolean {
  return value?.split(";", 1)[0]?.trim().toLowerCase() === "application/json";
}

/** Reads a JSON body from a Node request, at most MAX_BODY_BYTES; a bad body is an answer, never a 500. */
export function readJsonBody(req: IncomingMessage): Promise<{ value: unknown } | { answer: Answer }> {
  if (!isJsonContentType(req.headers["content-type"])) return Promise.resolve({ answer: BODY_WRONG_TYPE });
  if (Number(req.headers["content-length"]) > MAX_BODY_BYTES) return Promise.resolve({ answer: BODY_TOO_LARGE });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("error", () => resolve({ answer: BODY_NOT_JSON }));
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return resolve({ answer: BODY_TOO_LARGE });
      try {
        resolve({ value: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      } catch {
        resolve({ answer: BODY_NOT_JSON });
      }
    });
  });
}

/** Reads a JSON body from a web-standard request (a clone, so the original stays readable). */
export async function readJsonRequest(request: Request): Promise<{ value: unknown } | { answer: Answer }> {
  if (!isJsonContentType(request.headers.get("content-type"))) return { answer: BODY_WRONG_TYPE };
  if (Number(request.headers.get("content-length")) > MAX_BODY_BYTES) return { answer: BODY_TOO_LARGE };
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
        return { answer: BODY_TOO_LARGE };
      }
      chunks.push(chunk.value);
    }
    return { value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { answer: BODY_NOT_JSON };
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

function loadConfigOrExit(): ReturnType<typeof loadConfig> {
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
