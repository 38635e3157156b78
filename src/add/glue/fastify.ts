// Written by `create-mcp-auth add`: OAuth 2.1 for the MCP endpoint of a
// Fastify app (`mcpAuth(app, { endpoint: "/mcp" })`), as hooks on the root
// instance, so they run for the MCP route wherever it is registered:
// - onRequest serves the protected resource metadata, checks Origin and Host,
//   answers the CORS preflight and verifies the token before any body is read
//   (for the MCP routes: as their last onRequest hook, after a rate limit of
//   theirs); the body of an MCP request then has 20 s to arrive (408 after);
// - Fastify's own parser reads the body (its bodyLimit, 1 MB by default,
//   answers 413; a bad body 400; a type without a parser 415);
// - preHandler takes JSON bodies only (415), checks the scopes of the called
//   tools on the parsed body and hands the caller to the MCP SDK as
//   `request.raw.auth`.
// Other requests pass every hook untouched. An app whose own CORS plugin
// (@fastify/cors, awaited) registers first calls `mcpMetadata(app, ...)`
// before it too: its onRequest hook ends every preflight itself, and the
// metadata is public, for any origin. Fastify sets no time limit on a
// whole request by default: `Fastify({ requestTimeout: 60_000 })` bounds it
// for every route (mcp-auth.ts says which limits to set).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type Answer, createMcpAuth, isJsonContentType, type McpAuthOptions, serialize, type VerifiedToken } from "./mcp-auth.js";

interface Verified {
  token: VerifiedToken;
  cors: Record<string, string>;
  deadline: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The protected resource metadata alone (GET, HEAD and its CORS preflight), as
 * an onRequest hook added before the app's own CORS plugin, whose hook answers
 * preflights before mcpAuth's runs; every other request goes on untouched.
 */
export function mcpMetadata(app: FastifyInstance, options: McpAuthOptions): void {
  // An auth layer of its own, as each app gets its own: its configuration is read on its first request.
  const auth = createMcpAuth(options);
  app.addHook("onRequest", async (request, reply) => {
    if (auth.isMetadataPath(request.url)) return send(reply, auth.metadataAnswer(request.method));
  });
}

export function mcpAuth(app: FastifyInstance, options: McpAuthOptions): void {
  const auth = createMcpAuth(options);
  const verified = new WeakMap<object, Verified>();
  /** "METHOD url" of the routes whose own onRequest hooks check the token. */
  const checkedOnRoute = new Set<string>();

  // A missing or wrong variable stops the server when it starts to listen; an app only
  // built (tests with inject()) is not stopped: its MCP requests are answered 500 instead.
  try {
    app.addHook("onListen", async () => {
      if (auth.configProblem()) process.exit(1);
    });
  } catch {
    // A Fastify without the onListen hook: said on the first request.
  }

  // The token check, before any body is read.
  async function check(request: FastifyRequest, reply: FastifyReply) {
    const before = await auth.beforeBody(request.method, request.headers);
    if ("answer" in before) return send(reply, before.answer);
    if (Number(request.headers["content-length"]) > auth.limits.maxBytes) return send(reply, auth.bodyAnswer("too_large", before.cors));
    // On the raw response, so they reach answers an MCP transport writes itself.
    for (const [name, value] of Object.entries(before.cors)) reply.raw.setHeader(name, value);
    const deadline =
      request.method === "POST"
        ? setTimeout(() => {
            if (!reply.sent && !reply.raw.destroyed) send(reply, auth.bodyAnswer("timeout", before.cors));
          }, auth.limits.timeoutMs)
        : undefined;
    deadline?.unref();
    verified.set(request.raw, { ...before, deadline });
  }

  // On the MCP routes themselves, after their own onRequest hooks: @fastify/rate-limit adds its
  // hook to each route from an onRoute hook, which runs first when the plugin was registered
  // (awaited) before this call. So a rate limit counts bad tokens.
  app.addHook("onRoute", (route) => {
    if (!auth.isEndpoint(route.url)) return;
    const own = route.onRequest;
    route.onRequest = [...(Array.isArray(own) ? own : own ? [own] : []), check];
    for (const method of [route.method].flat()) checkedOnRoute.add(`${method} ${route.url}`);
  });

  app.addHook("onRequest", async (request, reply) => {
    if (auth.isMetadataPath(request.url)) return send(reply, auth.metadataAnswer(request.method));
    if (!auth.isEndpoint(request.url)) return;
    // A route of the endpoint the hook above reached checks the token itself; any other
    // request to the endpoint (a route added before this call, a spelling no route has) here.
    if (checkedOnRoute.has(`${request.method} ${request.routeOptions.url}`)) return;
    return check(request, reply);
  });

  // A body Fastify refused (413, 415, 400) needs no deadline any more.
  app.addHook("onError", async (request) => {
    clearTimeout(verified.get(request.raw)?.deadline);
  });

  app.addHook("preHandler", async (request, reply) => {
    const before = verified.get(request.raw);
    if (!before) return;
    clearTimeout(before.deadline);
    // Only a body parsed as JSON reaches the MCP server, so the scope check sees what runs.
    if (request.method === "POST" && !isJsonContentType(request.headers["content-type"])) {
      return send(reply, auth.bodyAnswer("wrong_type", before.cors));
    }
    // A tool handler cannot answer 403: the scopes are checked here.
    const authorized = auth.withBody(before.token, request.method === "POST" ? request.body : undefined, before.cors);
    if ("answer" in authorized) return send(reply, authorized.answer);
    (request.raw as { auth?: unknown }).auth = authorized.authInfo;
  });
}

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  const { status, headers, body } = serialize(answer);
  return reply.code(status).headers(headers).send(body);
}
