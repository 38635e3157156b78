// Written by `create-mcp-auth add`: OAuth 2.1 for the MCP endpoint of a
// Fastify app, as hooks on the root instance (so they run for every route):
// `onRequest` serves the protected resource metadata, checks Origin, answers
// the CORS preflight and verifies the token before Fastify reads the body;
// `preHandler` checks the scopes of the called tools on the parsed body and
// hands the caller to the SDK as `request.raw.auth`.
import type { FastifyInstance, FastifyReply } from "fastify";
import { BODY_WRONG_TYPE, corsHeaders, createMcpAuth, type Answer, type Token } from "./mcp-auth.js";

export function mcpAuth(app: FastifyInstance, options: { endpoint: string }): void {
  const auth = createMcpAuth(options.endpoint);
  const tokens = new WeakMap<object, Token>();

  app.addHook("onRequest", async (request, reply) => {
    if (auth.isMetadataPath(request.url)) return send(reply, auth.metadataAnswer(request.method));
    if (!auth.isEndpoint(request.url)) return;
    const before = await auth.beforeBody(request.method, request.headers);
    if ("answer" in before) return send(reply, before.answer);
    // On the raw response, so they reach answers the SDK transport writes itself.
    for (const [name, value] of Object.entries(corsHeaders)) reply.raw.setHeader(name, value);
    tokens.set(request.raw, before.token);
  });

  app.addHook("preHandler", async (request, reply) => {
    const token = tokens.get(request.raw);
    if (!token) return;
    const body = request.method === "POST" ? request.body : undefined;
    // Only a JSON body reaches the MCP server, so the scope check sees what runs.
    if (request.method === "POST" && (typeof body !== "object" || body === null || Buffer.isBuffer(body))) {
      return send(reply, BODY_WRONG_TYPE);
    }
    // A tool handler cannot answer 403: the scopes are checked here.
    const authorized = auth.withBody(token, body);
    if ("answer" in authorized) return send(reply, authorized.answer);
    (request.raw as { auth?: unknown }).auth = authorized.authInfo;
  });
}

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.status).headers(answer.headers);
  return answer.body === undefined ? reply.send() : reply.type("application/json").send(JSON.stringify(answer.body));
}
