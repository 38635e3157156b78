// Written by `create-mcp-auth add`: OAuth 2.1 for the MCP endpoint of a
// Fastify app (`mcpAuth(app, { endpoint: "/mcp" })`), as hooks on the root
// instance, so they run for the MCP route wherever it is registered:
// - onRequest serves the protected resource metadata, checks Origin and Host,
//   answers the CORS preflight and verifies the token before any body is read;
// - preParsing reads the body of an MCP request (JSON only, at most 1 MB,
//   within 20 s) and hands the same bytes to Fastify's own parser;
// - preHandler checks the scopes of the called tools on the parsed body and
//   hands the caller to the MCP SDK as `request.raw.auth`.
// Other requests pass every hook untouched. Fastify sets no time limit on a
// whole request by default: `Fastify({ requestTimeout: 60_000 })` bounds it
// for every route (mcp-auth.ts says which limits to set).
import { PassThrough } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import { type Answer, createMcpAuth, type McpAuthOptions, serialize, type VerifiedToken } from "./mcp-auth.js";

export function mcpAuth(app: FastifyInstance, options: McpAuthOptions): void {
  const auth = createMcpAuth(options);
  const verified = new WeakMap<object, { token: VerifiedToken; cors: Record<string, string> }>();

  app.addHook("onRequest", async (request, reply) => {
    if (auth.isMetadataPath(request.url)) return send(reply, auth.metadataAnswer(request.method));
    if (!auth.isEndpoint(request.url)) return;
    const before = await auth.beforeBody(request.method, request.headers);
    if ("answer" in before) return send(reply, before.answer);
    // On the raw response, so they reach answers an MCP transport writes itself.
    for (const [name, value] of Object.entries(before.cors)) reply.raw.setHeader(name, value);
    verified.set(request.raw, before);
  });

  app.addHook("preParsing", async (request, reply, payload) => {
    const before = verified.get(request.raw);
    if (!before || request.method !== "POST") return payload;
    const chunks = payload[Symbol.asyncIterator]();
    const read = await auth.readBody(request.headers["content-type"], request.headers["content-length"], () => chunks.next());
    if ("problem" in read) {
      send(reply, auth.bodyAnswer(read.problem, before.cors));
      return payload;
    }
    const body = new PassThrough();
    body.end(read.bytes);
    return body;
  });

  app.addHook("preHandler", async (request, reply) => {
    const before = verified.get(request.raw);
    if (!before) return;
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
