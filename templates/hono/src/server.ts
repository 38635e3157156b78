import { serve } from "@hono/node-server";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { Server } from "node:http";
import { createAuthorizer } from "./auth/authorize.js";
import type { Challenge } from "./auth/challenge.js";
import type { Config } from "./auth/config.js";
import { metadataHeaders, prmPaths, protectedResourceMetadata } from "./auth/metadata.js";
import { ScalekitTokenVerifier } from "./auth/verifier.js";
import {
  closeServer,
  listenUrl,
  MAX_BODY_BYTES,
  mcpCorsHeaders,
  mcpPreflightHeaders,
  METHOD_NOT_ALLOWED,
  BODY_NOT_JSON,
  BODY_TOO_LARGE,
  BODY_WRONG_TYPE,
  INTERNAL_ERROR,
  isJsonContentType,
  type AppOptions,
  type BodyError,
  type RunningServer,
} from "./http.js";
import { createMcpServer } from "./mcp.js";

export type { AppOptions, RunningServer };

export function createApp(config: Config, options: AppOptions = {}): Hono {
  const auth = createAuthorizer(config, options.verifier ?? new ScalekitTokenVerifier(config));
  const metadata = protectedResourceMetadata(config);
  const app = new Hono();

  const { pathSuffixed, root } = prmPaths(config);
  for (const path of new Set([pathSuffixed, root])) {
    app.use(
      onPath(path, (c) => {
        if (c.req.method === "OPTIONS") return c.body(null, 204, metadataHeaders);
        // Hono drops the body of an answer to HEAD.
        if (c.req.method !== "GET" && c.req.method !== "HEAD") {
          return c.json({ error: "method_not_allowed" }, 405, { ...metadataHeaders, Allow: "GET, HEAD, OPTIONS" });
        }
        return c.json(metadata, 200, metadataHeaders);
      }),
    );
  }

  app.use(
    onPath(config.mcpPath, async (c) => {
      if (c.req.method === "OPTIONS") return c.body(null, 204, { ...mcpCorsHeaders, ...mcpPreflightHeaders });

      // Authenticate from the header before reading any body.
      const authenticated = await auth.authenticate(c.req.header("authorization"));
      if (!authenticated.ok) return sendChallenge(c, authenticated.challenge);

      if (c.req.method !== "POST") return c.json(METHOD_NOT_ALLOWED, 405, { ...mcpCorsHeaders, Allow: "POST, OPTIONS" });

      const body = await readJson(c.req.raw);
      if (!body.ok) return c.json(body.error.body, body.error.status, mcpCorsHeaders);

      // The scopes a tool needs are checked here: a tool handler cannot answer 403.
      const authorized = auth.authorize(authenticated.value, body.value);
      if (!authorized.ok) return sendChallenge(c, authorized.challenge);

      const server = createMcpServer();
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      try {
        await server.connect(transport);
        // JSON responses: the promise settles once every answer is in the body.
        const response = await transport.handleRequest(c.req.raw, { parsedBody: body.value, authInfo: authorized.value });
        for (const [name, value] of Object.entries(mcpCorsHeaders)) response.headers.set(name, value);
        return response;
      } finally {
        void transport.close();
        void server.close();
      }
    }),
  );

  app.notFound((c) => c.json({ error: "not_found" }, 404));
  app.onError((error, c) => {
    console.error(`[server] ${error.message}`);
    return c.json(INTERNAL_ERROR, 500);
  });
  return app;
}

export function startServer(
  config: Config,
  options: AppOptions & { port: number; host?: string | undefined },
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const app = createApp(config, options);
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, (address) => {
      server.off("error", reject);
      resolve({ url: listenUrl(address), close: () => closeServer(server as Server) });
    });
    server.once("error", reject);
  });
}

/** Runs `handler` for `path` (and `path/`) only; matched as a plain string, never as a Hono route pattern. */
function onPath(path: string, handler: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  const paths = new Set([path, `${path}/`.replace("//", "/")]);
  return async (c, next) => (paths.has(new URL(c.req.url).pathname) ? handler(c) : next());
}

function sendChallenge(c: Context, challenge: Challenge): Response {
  return c.json(challenge.body, challenge.status, { ...mcpCorsHeaders, ...challenge.headers });
}

type Body = { ok: true; value: unknown } | { ok: false; error: BodyError };

/** Reads the JSON body, at most MAX_BODY_BYTES of it; a bad body is a JSON-RPC error, not a 500. */
async function readJson(request: Request): Promise<Body> {
  if (!isJsonContentType(request.headers.get("content-type"))) return { ok: false, error: BODY_WRONG_TYPE };
  const tooLarge = { ok: false, error: BODY_TOO_LARGE } as const;
  if (Number(request.headers.get("content-length")) > MAX_BODY_BYTES) return tooLarge;
  try {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of request.body ?? []) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) return tooLarge;
      chunks.push(chunk);
    }
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { ok: false, error: BODY_NOT_JSON };
  }
}
