import {
  request,
  type Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestListener,
  type ServerResponse,
} from "node:http";
import { pipeline } from "node:stream/promises";
import type { Authorizer } from "./auth/authorize.js";
import type { Challenge } from "./auth/challenge.js";
import type { Config } from "./auth/config.js";
import { metadataHeaders, prmPaths, protectedResourceMetadata } from "./auth/metadata.js";
import {
  BODY_NOT_JSON,
  BODY_TOO_LARGE,
  BODY_WRONG_TYPE,
  INTERNAL_ERROR,
  isJsonContentType,
  MAX_BODY_BYTES,
  mcpCorsHeaders,
  mcpPreflightHeaders,
  METHOD_NOT_ALLOWED,
  type BodyError,
} from "./http.js";

/** Where fastmcp listens: loopback only, reached through this front alone. */
export interface Upstream {
  host: string;
  port: number;
  path: string;
  agent: Agent;
}

/**
 * The public HTTP layer in front of fastmcp, for the rules fastmcp's own HTTP
 * layer (mcp-proxy) cannot express: CORS headers on every answer (it sends
 * them only when an Origin is sent), authentication before the body is read
 * (it reads up to 10 MiB first), the 403 `insufficient_scope` of a
 * `tools/call` (its `authenticate` never sees the body; `canAccess` can only
 * hide a tool), the metadata documents with OPTIONS, HEAD and CORS, the 1 MB
 * body limit and JSON-RPC errors for bad bodies. A request reaches fastmcp only
 * after it passed them all; fastmcp then authenticates it again
 * (`authenticate` in src/mcp.ts).
 */
export function createFront(config: Config, auth: Authorizer, upstream: Upstream): RequestListener {
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

    if (req.method === "OPTIONS") return send(res, 204, undefined, { ...mcpCorsHeaders, ...mcpPreflightHeaders });

    // Authenticate from the header before reading any body.
    const authenticated = await auth.authenticate(req.headers.authorization);
    if (!authenticated.ok) return sendChallenge(res, authenticated.challenge);

    if (req.method !== "POST") return send(res, 405, METHOD_NOT_ALLOWED, { ...mcpCorsHeaders, Allow: "POST, OPTIONS" });

    const body = await readJson(req);
    if (!body.ok) return send(res, body.error.status, body.error.body, mcpCorsHeaders);

    // The scopes a tool needs are checked here: a tool handler cannot answer 403.
    const authorized = auth.authorize(authenticated.value, body.value);
    if (!authorized.ok) return sendChallenge(res, authorized.challenge);

    // The bytes that were checked are the bytes fastmcp parses.
    await forward(req, res, body.raw, upstream);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error(`[server] ${error instanceof Error ? error.message : String(error)}`);
      if (res.headersSent) return void res.destroy();
      send(res, 500, INTERNAL_ERROR, mcpCorsHeaders);
    });
  };
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
  send(res, challenge.status, challenge.body, { ...mcpCorsHeaders, ...challenge.headers });
}

type Body = { ok: true; value: unknown; raw: Buffer } | { ok: false; error: BodyError };

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
      const raw = Buffer.concat(chunks);
      try {
        resolve({ ok: true, value: JSON.parse(raw.toString("utf8")), raw });
      } catch {
        resolve(NOT_JSON);
      }
    });
  });
}

// Per-connection headers, and Origin: CORS is answered here, not by fastmcp.
const NOT_FORWARDED = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length", "expect", "origin"]);
const NOT_RETURNED = new Set(["connection", "keep-alive", "transfer-encoding", "trailer", "upgrade"]);

/** Hands the checked request to fastmcp and streams its answer back. */
async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, upstream: Upstream): Promise<void> {
  let answer: IncomingMessage | undefined;
  let clientGone = false;
  await new Promise<void>((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...pick(req.headers, (name) => !NOT_FORWARDED.has(name)), "content-length": body.length };
    const { host, port, path, agent } = upstream;
    const proxied = request({ host, port, path, method: "POST", headers, agent }, (response) => {
      answer = response;
      resolve();
    });
    proxied.on("error", (error) => (clientGone ? resolve() : reject(error)));
    // The client left (not fastmcp's answer breaking): stop the work upstream, log nothing.
    res.once("close", () => {
      if (res.writableFinished || answer?.errored) return;
      clientGone = true;
      proxied.destroy();
    });
    proxied.end(body);
  });
  if (!answer || clientGone) return;
  res.writeHead(answer.statusCode ?? 502, {
    ...pick(answer.headers, (name) => !NOT_RETURNED.has(name) && !name.startsWith("access-control-")),
    ...mcpCorsHeaders,
  });
  await pipeline(answer, res).catch((error: unknown) => {
    if (!clientGone) throw error;
  });
}

function pick(headers: IncomingHttpHeaders, keep: (name: string) => boolean): OutgoingHttpHeaders {
  const picked: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && keep(name)) picked[name] = value;
  return picked;
}
