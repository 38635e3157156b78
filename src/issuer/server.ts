/** The node:http server: routing, CORS, error wrapping, listen / close. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type Access, admit } from "./access.js";
import type { IssuerContext } from "./context.js";
import { OAuthError } from "./errors.js";
import { sendError, sendJson } from "./http.js";
import { RES_ID_SOURCE } from "./metadata.js";
import { handleAuthorize } from "./routes/authorize.js";
import { devInfo, handleInfo, handleMint, handleRotate } from "./routes/dev.js";
import { handleKeys, handleMetadata } from "./routes/discovery.js";
import { handleRegister } from "./routes/register.js";
import { handleToken } from "./routes/token.js";
import type { Layout } from "./types.js";

type Handler = (req: IncomingMessage, res: ServerResponse, ctx: IssuerContext, match: RegExpExecArray, url: URL) => unknown;

interface Route {
  pattern: RegExp;
  methods: Partial<Record<"GET" | "POST", Handler>>;
  /** Who may call it (Host, Origin, CORS): see access.ts. */
  access: Access;
  /** Served only in this layout (default: both). */
  layout?: Layout;
}

const RES = `(${RES_ID_SOURCE})`;
const metadataOf: Handler = (req, res, ctx, m) => handleMetadata(req, res, ctx, m[1] ?? ctx.resourceId);
const registerAt: Handler = (req, res, ctx, m) => handleRegister(req, res, ctx, m[1] ?? ctx.resourceId);

const ROUTES: Route[] = [
  {
    pattern: /^\/$/,
    access: "public",
    methods: {
      GET: (_req, res, ctx) =>
        sendJson(res, 200, { name: "create-mcp-auth local issuer", warning: "for development only", ...devInfo(ctx) }),
    },
  },
  { pattern: /^\/keys$/, access: "public", methods: { GET: (req, res, ctx) => handleKeys(req, res, ctx) } },
  // Scalekit layout: an authorization server per resource, RFC 8414 and OpenID Connect discovery in both forms.
  {
    pattern: new RegExp(`^/\\.well-known/oauth-authorization-server/resources/${RES}$`),
    access: "public",
    layout: "scalekit",
    methods: { GET: metadataOf },
  },
  {
    pattern: new RegExp(`^/resources/${RES}/\\.well-known/oauth-authorization-server$`),
    access: "public",
    layout: "scalekit",
    methods: { GET: metadataOf },
  },
  {
    pattern: new RegExp(`^/\\.well-known/openid-configuration/resources/${RES}$`),
    access: "public",
    layout: "scalekit",
    methods: { GET: metadataOf },
  },
  {
    pattern: new RegExp(`^/resources/${RES}/\\.well-known/openid-configuration$`),
    access: "public",
    layout: "scalekit",
    methods: { GET: metadataOf },
  },
  { pattern: new RegExp(`^/api/v1/resources/${RES}/clients:register$`), access: "api", layout: "scalekit", methods: { POST: registerAt } },
  // oidc layout: one root issuer.
  { pattern: /^\/\.well-known\/oauth-authorization-server$/, access: "public", layout: "oidc", methods: { GET: metadataOf } },
  { pattern: /^\/\.well-known\/openid-configuration$/, access: "public", layout: "oidc", methods: { GET: metadataOf } },
  { pattern: /^\/oauth\/register$/, access: "api", layout: "oidc", methods: { POST: registerAt } },
  {
    pattern: /^\/oauth\/authorize$/,
    access: "browser",
    methods: {
      GET: (req, res, ctx, _m, url) => handleAuthorize(req, res, ctx, url),
      POST: (req, res, ctx, _m, url) => handleAuthorize(req, res, ctx, url),
    },
  },
  { pattern: /^\/oauth\/token$/, access: "api", methods: { POST: (req, res, ctx) => handleToken(req, res, ctx) } },
  { pattern: /^\/_dev\/mint$/, access: "dev", methods: { POST: (req, res, ctx) => handleMint(req, res, ctx) } },
  { pattern: /^\/_dev\/rotate$/, access: "dev", methods: { POST: (req, res, ctx) => handleRotate(req, res, ctx) } },
  { pattern: /^\/_dev\/info$/, access: "dev", methods: { GET: (req, res, ctx) => handleInfo(req, res, ctx) } },
];

async function route(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? "/", ctx.url);
  } catch {
    throw new OAuthError("invalid_request", "malformed request target");
  }
  if (!(req.url ?? "").startsWith("/")) throw new OAuthError("invalid_request", "malformed request target");
  for (const r of ROUTES) {
    if (r.layout && r.layout !== ctx.layout) continue;
    const match = r.pattern.exec(url.pathname);
    if (!match) continue;
    if (admit(r.access, req, res, ctx.url)) return;
    const method = req.method === "HEAD" ? "GET" : req.method;
    const handler = method === "GET" || method === "POST" ? r.methods[method] : undefined;
    if (!handler) {
      const cors = r.access === "public" || r.access === "api";
      const allow = [...Object.keys(r.methods), ...(cors ? ["OPTIONS"] : [])].join(", ");
      throw new OAuthError("invalid_request", `method ${String(req.method).slice(0, 20)} is not allowed here (allowed: ${allow})`, 405, {
        Allow: allow,
      });
    }
    await handler(req, res, ctx, match, url);
    return;
  }
  throw new OAuthError("not_found", `no such endpoint: ${url.pathname.slice(0, 200)}`, 404);
}

export interface ServerHooks {
  /** The context, once the server knows its URL. */
  context(): IssuerContext | undefined;
  log?: (line: string) => void;
}

export function createIssuerServer(hooks: ServerHooks): Server {
  const server = createServer(async (req, res) => {
    const started = Date.now();
    if (hooks.log) {
      const log = hooks.log;
      res.on("finish", () => {
        const path = (req.url ?? "").split("?")[0]!.slice(0, 200);
        log(`${req.method} ${path} -> ${res.statusCode} (${Date.now() - started} ms)`);
      });
    }
    try {
      const ctx = hooks.context();
      if (!ctx) throw new OAuthError("invalid_request", "the issuer is starting", 503);
      await route(req, res, ctx);
    } catch (e) {
      if (e instanceof OAuthError) {
        sendError(res, e);
      } else {
        // A bug, not a bad request: say so, keep serving.
        hooks.log?.(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        sendJson(res, 500, { error: "server_error", error_description: "internal error in the local issuer" });
      }
    }
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || socket.destroyed) {
      socket.destroy();
      return;
    }
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    const body = JSON.stringify({ error: "invalid_request", error_description: "malformed HTTP request" });
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      if (err.code === "EADDRINUSE") {
        const e = new Error(
          `port ${port} on 127.0.0.1 is already in use (another issuer running?); choose another with --port, or --port 0 for a free one`,
        ) as Error & { code: string; port: number };
        e.code = "EADDRINUSE";
        e.port = port;
        reject(e);
      } else {
        reject(err);
      }
    };
    const onListening = (): void => {
      server.off("error", onError);
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ port, host: "127.0.0.1", exclusive: true });
  });
}
