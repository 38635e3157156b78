// Written by `create-mcp-auth add`: OAuth 2.1 for the MCP endpoint of a Hono
// app, as middleware registered before the routes
// (`app.use(mcpAuth({ endpoint: "/mcp" }))`). For the MCP endpoint it checks
// Origin and Host, answers the CORS preflight, verifies the token from the
// Authorization header before any body is read, reads the JSON body (at most
// 1 MB, within 20 s) and checks the scopes of the called tools on it; the
// route gets the same request with the same body (`c.req.raw`, `c.req.json()`),
// the checked body as `c.get("parsedBody")` (the MCP SDK's Hono convention) and
// the caller as `c.get("auth")`: pass both on, as in
// `handler.fetch(c.req.raw, { authInfo: c.get("auth"), parsedBody: c.get("parsedBody") })`.
// It also serves the protected resource metadata; every other request goes
// on untouched. An app whose own CORS middleware (hono/cors) runs first
// registers `mcpMetadata` before it too: hono/cors answers every preflight
// itself, and the metadata is public, for any origin. A route that writes the
// Node response itself (`transport.handleRequest(c.env.incoming, c.env.outgoing)`)
// gets the CORS headers on that response, the caller as `c.env.incoming.auth`
// (where the SDK's Node transport reads it), and Hono is told it was sent. The
// server's own time limits: see mcp-auth.ts.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { MiddlewareHandler } from "hono";
import { type Answer, type AuthInfo, createMcpAuth, type McpAuthOptions, parseJson, serialize } from "./mcp-auth.js";

/**
 * The protected resource metadata alone (GET, HEAD and its CORS preflight),
 * for the head of an app whose own CORS middleware answers preflights before
 * mcpAuth runs; every other request goes on untouched.
 */
export function mcpMetadata(options: McpAuthOptions): MiddlewareHandler {
  // An auth layer of its own, as each app gets its own: its configuration is read on its first request.
  const auth = createMcpAuth(options);
  return async (c, next) => {
    if (auth.isMetadataPath(c.req.path)) return respond(auth.metadataAnswer(c.req.method));
    return next();
  };
}

export function mcpAuth(options: McpAuthOptions): MiddlewareHandler {
  const auth = createMcpAuth(options);

  return async (c, next) => {
    if (auth.isMetadataPath(c.req.path)) return respond(auth.metadataAnswer(c.req.method));
    if (!auth.isEndpoint(c.req.path)) return next();

    const request = c.req.raw;
    const before = await auth.beforeBody(request.method, (name) => request.headers.get(name));
    if ("answer" in before) return respond(before.answer);

    let body: unknown;
    if (request.method === "POST") {
      const incoming = untouchedNodeRequest(c.env);
      let read: Awaited<ReturnType<typeof auth.readBody>>;
      if (incoming) {
        // Served by @hono/node-server, body not touched yet: read from the Node request itself, which spares
        // building a web Request just to read it (the route gets one below either way).
        read = await auth.readNodeBody(incoming);
      } else {
        const reader = request.body?.getReader();
        read = await auth.readBody(
          request.headers.get("content-type") ?? undefined,
          request.headers.get("content-length") ?? undefined,
          reader && (() => reader.read()),
        );
      }
      const parsed = "bytes" in read ? parseJson(read.bytes) : read;
      if ("problem" in parsed) return respond(auth.bodyAnswer(parsed.problem, before.cors));
      body = parsed.value;
      // The body is read: the handler gets the value that was checked (the SDK then parses nothing again),
      // and a route that reads the request itself gets a request with the text that was checked.
      c.set("parsedBody", body);
      c.req.raw = new Request(request.url, { method: "POST", headers: request.headers, body: parsed.text });
    }
    // A tool handler cannot answer 403: the scopes are checked here.
    const authorized = auth.withBody(before.token, body, before.cors);
    if ("answer" in authorized) return respond(authorized.answer);
    c.set("auth", authorized.authInfo);
    // A route that hands the Node request to the SDK's Node transport (`handleRequest(c.env.incoming, ...)`): the
    // transport takes the caller from `req.auth`, as behind Express.
    const incomingRequest = nodeRequest(c.env);
    if (incomingRequest) incomingRequest.auth = authorized.authInfo;

    const outgoing = nodeResponse(c.env);
    // A route may answer on the Node response itself: it gets the CORS headers there, before it writes.
    if (outgoing && !outgoing.headersSent) for (const [name, value] of Object.entries(before.cors)) outgoing.setHeader(name, value);
    await next();
    if (outgoing?.headersSent) {
      // The route answered on the Node response: whatever Hono holds now (nothing, its 404, an error handler's
      // answer, or a middleware's `return next()`, which Hono takes for an answer) must not be written too.
      // @hono/node-server's "already sent" marker, or Node throws ERR_HTTP_HEADERS_SENT and the socket is destroyed
      // under the next request of a kept-alive connection.
      c.res = new Response(null, { headers: { "x-hono-already-sent": "true" } });
      return;
    }
    for (const [name, value] of Object.entries(before.cors)) {
      try {
        c.res.headers.set(name, value);
      } catch {
        c.res = new Response(c.res.body, c.res); // a response with immutable headers
        c.res.headers.set(name, value);
      }
    }
  };
}

/**
 * The Node request under the app (@hono/node-server's `c.env.incoming`) when
 * nothing has started reading it: no listener, no pipe, not ended. Anything
 * else (another runtime, a middleware that read the body) goes through the
 * web request.
 */
function untouchedNodeRequest(env: unknown): IncomingMessage | undefined {
  const incoming = nodeRequest(env);
  return incoming && incoming.readableFlowing === null && !incoming.readableEnded ? incoming : undefined;
}

/** The Node request under the app (@hono/node-server's `c.env.incoming`), if any. */
function nodeRequest(env: unknown): (IncomingMessage & { auth?: AuthInfo }) | undefined {
  const incoming = (env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof Readable && "headers" in incoming ? (incoming as IncomingMessage & { auth?: AuthInfo }) : undefined;
}

/** The Node response under the app (@hono/node-server's `c.env.outgoing`), if any. */
function nodeResponse(env: unknown): ServerResponse | undefined {
  const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing && typeof (outgoing as ServerResponse).setHeader === "function" && "headersSent" in (outgoing as object)
    ? (outgoing as ServerResponse)
    : undefined;
}

function respond(answer: Answer): Response {
  const { status, headers, body } = serialize(answer);
  return new Response(body ?? null, { status, headers });
}
