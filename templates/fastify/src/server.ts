import type { AddressInfo } from "node:net";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyRouterOptions,
  type RawServerDefault,
} from "fastify";
import { createAuthorizer } from "./auth/authorize.js";
import type { Challenge } from "./auth/challenge.js";
import type { Config } from "./auth/config.js";
import { metadataHeaders, prmPaths, protectedResourceMetadata } from "./auth/metadata.js";
import { ScalekitTokenVerifier, type VerifiedToken } from "./auth/verifier.js";
import {
  listenUrl,
  MAX_BODY_BYTES,
  mcpCorsHeaders,
  mcpPreflightHeaders,
  METHOD_NOT_ALLOWED,
  BODY_NOT_JSON,
  BODY_TOO_LARGE,
  BODY_WRONG_TYPE,
  INTERNAL_ERROR,
  runMcpRequest,
  type AppOptions,
  type BodyError,
  type RunningServer,
} from "./http.js";
import { createMcpServer } from "./mcp.js";

export type { AppOptions, RunningServer };

const NOT_FOUND = { error: "not_found" };

export function createApp(config: Config, options: AppOptions = {}): FastifyInstance {
  const auth = createAuthorizer(config, options.verifier ?? new ScalekitTokenVerifier(config));
  const metadata = protectedResourceMetadata(config);
  const tokens = new WeakMap<FastifyRequest, VerifiedToken>();
  const authorizations = new WeakMap<FastifyRequest, AuthInfo>();
  const app = Fastify({
    logger: false, // errors are logged one line each, below
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout: 300_000, // Node's default, which Fastify turns off
    routerOptions: { constraints: { path: exactPath } },
  });
  // Only JSON reaches /mcp: Fastify's text/plain parser would pass a string on.
  app.removeContentTypeParser("text/plain");

  // Unknown paths get their 404 before Fastify reads a body.
  app.addHook("onRequest", async (request, reply) => {
    if (request.is404) return reply.code(404).send(NOT_FOUND);
  });

  const { pathSuffixed, root } = prmPaths(config);
  for (const path of new Set([pathSuffixed, root])) {
    app.all(
      "/*",
      {
        constraints: { path },
        // Answered before Fastify reads a body, so a POST gets 405, not a parse error.
        onRequest: async (request, reply) => {
          reply.headers(metadataHeaders);
          if (request.method === "OPTIONS") return reply.code(204).send();
          if (request.method !== "GET" && request.method !== "HEAD") {
            return reply.header("Allow", "GET, HEAD, OPTIONS").code(405).send({ error: "method_not_allowed" });
          }
        },
      },
      async () => metadata,
    );
  }

  app.all(
    "/*",
    {
      constraints: { path: config.mcpPath },
      // Authenticate from the header, before Fastify reads the body.
      onRequest: async (request, reply) => {
        reply.headers(mcpCorsHeaders);
        if (request.method === "OPTIONS") return reply.headers(mcpPreflightHeaders).code(204).send();
        const authenticated = await auth.authenticate(request.headers.authorization);
        if (!authenticated.ok) return sendChallenge(reply, authenticated.challenge);
        if (request.method !== "POST") return reply.header("Allow", "POST, OPTIONS").code(405).send(METHOD_NOT_ALLOWED);
        tokens.set(request, authenticated.value);
      },
      // With the parsed body: the scopes a tool needs are checked here, as a tool handler cannot answer 403.
      preHandler: async (request, reply) => {
        if (request.body === undefined) return sendBodyError(reply, BODY_WRONG_TYPE);
        const authorized = auth.authorize(tokens.get(request)!, request.body);
        if (!authorized.ok) return sendChallenge(reply, authorized.challenge);
        authorizations.set(request, authorized.value);
      },
    },
    async (request, reply) => {
      // The SDK transport answers on the raw Node response: it gets the headers set so far.
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
      reply.hijack();
      try {
        await runMcpRequest(createMcpServer(), request.raw, reply.raw, request.body, authorizations.get(request)!);
      } catch (error) {
        // Hijacked: Fastify's error handler can no longer answer.
        const body = JSON.stringify(internalError(error));
        if (reply.raw.headersSent) reply.raw.end();
        else reply.raw.writeHead(500, { "Content-Type": "application/json" }).end(body);
      }
    },
  );

  // Fastify's body parser errors become JSON-RPC errors; anything else is a 500 without a stack.
  app.setErrorHandler((error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status === 413) return sendBodyError(reply, BODY_TOO_LARGE);
    if (status === 415) return sendBodyError(reply, BODY_WRONG_TYPE);
    if (status >= 400 && status < 500) return sendBodyError(reply, BODY_NOT_JSON);
    return reply.code(500).send(internalError(error));
  });
  return app;
}

export async function startServer(
  config: Config,
  options: AppOptions & { port: number; host?: string | undefined },
): Promise<RunningServer> {
  const app = createApp(config, options);
  // Without a host Fastify listens on localhost only; no host means every interface here.
  await app.listen({ port: options.port, host: options.host ?? "::" });
  return {
    url: listenUrl(app.server.address() as AddressInfo),
    close: () => {
      setTimeout(() => app.server.closeAllConnections(), 5_000).unref();
      return app.close();
    },
  };
}

/**
 * Routes match the request path as a plain string (and with one trailing
 * slash), never as a router pattern: the path of MCP_SERVER_URL may hold
 * ':' or '*' or percent escapes, which find-my-way would read as syntax.
 */
const exactPath: NonNullable<FastifyRouterOptions<RawServerDefault>["constraints"]>[string] = {
  name: "path",
  mustMatchWhenDerived: true,
  storage() {
    const handlers = new Map();
    return { get: (path) => handlers.get(path) ?? null, set: (path, handler) => void handlers.set(path, handler) };
  },
  validate(path) {
    if (typeof path !== "string") throw new TypeError("a path constraint is a string");
  },
  deriveConstraint: (request) => (request.url ?? "/").split("?")[0]!.replace(/([^/])\/$/, "$1"),
};

function sendChallenge(reply: FastifyReply, challenge: Challenge): FastifyReply {
  return reply.code(challenge.status).headers(challenge.headers).send(challenge.body);
}

function sendBodyError(reply: FastifyReply, error: BodyError): FastifyReply {
  return reply.code(error.status).send(error.body);
}

function internalError(error: unknown) {
  console.error(`[server] ${error instanceof Error ? error.message : String(error)}`);
  return INTERNAL_ERROR;
}
