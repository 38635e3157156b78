// Written by `create-mcp-auth add`: OAuth 2.1 for the MCP endpoint of a
// Fastify app, as hooks on the root instance (so they run for every route):
// `onRequest` serves the protected resource metadata, checks Origin and Host,
// answers the CORS preflight and verifies the token before Fastify reads the
// body (Fastify itself answers 415 and 413 for a body it cannot parse);
// `preHandler` checks the scopes of the called tools on the parsed body and
// hands the caller to the SDK as `request.raw.auth`.
import type { FastifyInstance, FastifyReply } from "fastify";
import { type Answer, bodyAnswer, createMcpAuth, type VerifiedToken } from "./mcp-auth.js";

export function mcpAuth(app: FastifyInstance, options: { endpoint: string }): void {
  const auth = createMcpAuth(options.endpoint);
  const verified = new WeakMap<object, { token: VerifiedToken; cors: Record<string, string> }>();

  app.addHook("onRequest", async (request, reply) => {
    if (auth.isMetadataPath(request.url)) return send(reply, auth.metadataAnswer(request.method));
    if (!auth.isEndpoint(request.url)) return;
    const before = await auth.beforeBody(request.method, request.headers);
    if ("answer" in before) return send(reply, before.answer);
    // On the raw response, so they reach answers the SDK transport writes itself.
    for (const [name, value] of Object.entries(before.cors)) reply.raw.setHeader(name, value);
    verified.set(request.raw, before);
  });

  app.addHook("preHandler", async (request, reply) => {
    const before = verified.get(request.raw);
    if (!before) return;
    const body = request.method === "POST" ? request.body : undefined;
    // Only a JSON body reaches the MCP server, so the scope check sees what runs.
    if (request.method === "POST" && (typeof body !== "object" || body === null || Buffer.isBuffer(body))) {
      return send(reply, bodyAnswer("wrong_type", before.cors));
    }
    // A tool handler cannot answer 403: the scopes are checked here.
    const authorized = auth.withBody(before.token, body, before.cors);
    if ("answer" in authorized) return send(reply, authorized.answer);
    (request.raw as { auth?: unknown }).auth = authorized.authInfo;
  });
}

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.status).headers(answer.headers);
  return answer.body === undefined ? reply.send() : reply.type("application/json").send(JSON.stringify(answer.body));
}
