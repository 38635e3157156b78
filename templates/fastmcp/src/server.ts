import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { createAuthorizer } from "./auth/authorize.js";
import type { Challenge } from "./auth/challenge.js";
import type { Config } from "./auth/config.js";
import { metadataHeaders, prmPaths, protectedResourceMetadata } from "./auth/metadata.js";
import { ScalekitTokenVerifier } from "./auth/verifier.js";
import {
  BODY_NOT_JSON,
  BODY_TOO_LARGE,
  BODY_WRONG_TYPE,
  INTERNAL_ERROR,
  isJsonContentType,
  listen,
  MAX_BODY_BYTES,
  mcpCorsHeaders,
  mcpPreflightHeaders,
  METHOD_NOT_ALLOWED,
  runMcpRequest,
  type AppOptions,
  type BodyError,
  type RunningServer,
} from "./http.js";
import { createSession, type Caller } from "./mcp.js";

export type { AppOptions, Caller, RunningServer };

/**
 * The HTTP layer, on `node:http`, in place of fastmcp's own (mcp-proxy), which
 * cannot send CORS headers on every answer, authenticate before it reads the
 * body, or answer a `tools/call` with 403 `insufficient_scope`. After the auth
 * core has passed a request, it runs the way fastmcp's stateless `httpStream`
 * mode runs it: a fastmcp session (src/mcp.ts) on the SDK's Streamable HTTP
 * transport, in this process.
 */
export function createApp(config: Config, options: AppOptions = {}): RequestListener {
  const auth = createAuthorizer(config, options.verifier ?? new ScalekitTokenVerifier(config));
  const metadata = protectedResourceMetadata(config);
  const { pathSuffixed, root } = prmPaths(config);
  const metadataPaths = withTrailingSlash(pathSuffixed, root);
  const mcpPaths = withTrailingSlash(config.mcpPath);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The path as sent, never decoded or resolved, matched as a plain string.
    const path = (req.url ?? "").split("?", 1)[0] ?? "";

    if (metadataPaths.has(path)) {
      if (req.method === "OPTIONS") return send(res, 204, undefined, metadataHeaders);
      if (req.method !== "GET" && req.method !== "HEAD") {
        return send(res, 405, { error: "method_not_allowed" }, { ...metadataHeaders, Allow: "GET, HEAD, OPTIONS" });
      }
      return send(res, 200, metadata, metadataHeaders); // Node sends no body to HEAD.
    }

    if (!mcpPaths.has(path)) return send(res, 404, { error: "not_found" });

    for (const [name, value] of Object.entries(mcpCorsHeaders)) res.setHeader(name, value);
    if (req.method === "OPTIONS") return send(res, 204, undefined, mcpPreflightHeaders);

    // Authenticate from the header before reading any body.
    const authenticated = await auth.authenticate(req.headers.authorization);
    if (!authenticated.ok) return sendChallenge(res, authenticated.challenge);

    if (req.method !== "POST") return send(res, 405, METHOD_NOT_ALLOWED, { Allow: "POST, OPTIONS" });

    const body = await readJson(req);
    if (!body.ok) return send(res, body.error.status, body.error.body);

    // The scopes a tool needs are checked here: a tool handler cannot answer 403.
    const authorized = auth.authorize(authenticated.value, body.value);
    if (!authorized.ok) return sendChallenge(res, authorized.challenge);

    await runMcpRequest(createSession(authorized.value), req, res, body.value, authorized.value);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error(`[server] ${error instanceof Error ? error.message : String(error)}`);
      if (res.headersSent) return void res.destroy();
      send(res, 500, INTERNAL_ERROR, mcpCorsHeaders);
    });
  };
}

export function startServer(
  config: Config,
  options: AppOptions & { port: number; host?: string | undefined },
): Promise<RunningServer> {
  return listen(createApp(config, options), options.port, options.host);
}

function withTrailingSlash(...paths: string[]): Set<string> {
  return new Set(paths.flatMap((path) => [path, `${path}/`.replace("//", "/")]));
}

function send(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const json = body === undefined ? undefined : JSON.stringify(body);
  res.statusCode = status;
  if (json !== undefined) {
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Content-Length", Buffer.byteLength(json));
  }
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(json);
}

function sendChallenge(res: ServerResponse, challenge: Challenge): void {
  send(res, challenge.status, challenge.body, challenge.headers);
}

type Body = { ok: true; value: unknown } | { ok: false; error: BodyError };

const TOO_LARGE = { ok: false, error: BODY_TOO_LARGE } as const;
const NOT_JSON = { ok: false, error: BODY_NOT_JSON } as const;

/**
 * Reads the JSON body, keeping at most MAX_BODY_BYTES of it; a bad body is a
 * JSON-RPC error, not a 500. An oversized body is read to its end and dropped,
 * so the client gets the 413 on a connection still in a clean state.
 */
function readJson(req: IncomingMessage): Promise<Body> {
  if (!isJsonContentType(req.headers["content-type"])) return Promise.resolve({ ok: false, error: BODY_WRONG_TYPE });
  if (Number(req.headers["content-length"]) > MAX_BODY_BYTES) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("error", () => resolve(NOT_JSON));
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return resolve(TOO_LARGE);
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      } catch {
        resolve(NOT_JSON);
      }
    });
  });
}
