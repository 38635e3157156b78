// Written by `create-mcp-auth add`: OAuth 2.1 for the MCP endpoint of a Hono
// app, as middleware registered before the MCP route: it serves the protected
// resource metadata, checks Origin and Host, answers the CORS preflight,
// verifies the token from the Authorization header, then the scopes of the
// called tools on a copy of the body (the route still reads the original).
// The caller is `c.get("auth")`: pass it on as
// `transport.handleRequest(c.req.raw, { authInfo: c.get("auth") })`.
import type { MiddlewareHandler } from "hono";
import { answerResponse, bodyAnswer, createMcpAuth, readJsonRequest } from "./mcp-auth.js";

export function mcpAuth(options: { endpoint: string }): MiddlewareHandler {
  const auth = createMcpAuth(options.endpoint);

  return async (c, next) => {
    const path = new URL(c.req.url).pathname;
    if (auth.isMetadataPath(path)) return answerResponse(auth.metadataAnswer(c.req.method));
    if (!auth.isEndpoint(path)) return next();

    const before = await auth.beforeBody(c.req.method, c.req.raw.headers);
    if ("answer" in before) return answerResponse(before.answer);

    let body: unknown;
    if (c.req.method === "POST") {
      const read = await readJsonRequest(c.req.raw);
      if ("problem" in read) return answerResponse(bodyAnswer(read.problem, before.cors));
      body = read.value;
    }
    // A tool handler cannot answer 403: the scopes are checked here.
    const authorized = auth.withBody(before.token, body, before.cors);
    if ("answer" in authorized) return answerResponse(authorized.answer);
    c.set("auth", authorized.authInfo);

    await next();
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
