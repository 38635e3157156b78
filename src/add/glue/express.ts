// Written by `create-mcp-auth add`: OAuth 2.1 for the MCP endpoint of an
// Express app, as middleware registered before the routes
// (`app.use(mcpAuth({ endpoint: "/mcp" }))`). For the MCP endpoint it checks
// Origin and Host, answers the CORS preflight, verifies the token from the
// Authorization header before any body is read, reads the JSON body (at most
// 1 MB, within 20 s) unless a parser of the app has, checks the scopes of the
// called tools on it, and hands the caller on as `req.auth`, which both MCP
// SDK generations pass to tools. It also serves the protected resource
// metadata. Every other request goes on untouched, to the app's own parsers
// and routes. An app whose own CORS middleware (`cors`) runs first registers
// `mcpMetadata` before it too: `cors` ends every preflight itself, and the
// metadata is public, for any origin. The server's own time limits: see
// mcp-auth.ts.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createMcpAuth, isJsonContentType, type McpAuthOptions, sendAnswer as send } from "./mcp-auth.js";

type Request = IncomingMessage & { body?: unknown; auth?: unknown; _body?: boolean };
type Next = (error?: unknown) => void;

/**
 * The protected resource metadata alone (GET, HEAD and its CORS preflight),
 * for the head of an app whose own CORS middleware answers preflights before
 * mcpAuth runs; every other request goes on untouched.
 */
export function mcpMetadata(options: McpAuthOptions) {
  // An auth layer of its own, as each app gets its own: its configuration is read on its first request.
  const auth = createMcpAuth(options);
  return (req: Request, res: ServerResponse, next: Next): void => {
    if (auth.isMetadataPath(req.url)) send(res, auth.metadataAnswer(req.method));
    else next();
  };
}

export function mcpAuth(options: McpAuthOptions) {
  const auth = createMcpAuth(options);

  async function handle(req: Request, res: ServerResponse, next: Next): Promise<void> {
    if (auth.isMetadataPath(req.url)) return send(res, auth.metadataAnswer(req.method));
    if (!auth.isEndpoint(req.url)) return next();

    const before = await auth.beforeBody(req.method, req.headers);
    if ("answer" in before) return send(res, before.answer);
    // On the response now, so they reach the answers the MCP transport writes itself.
    for (const [name, value] of Object.entries(before.cors)) res.setHeader(name, value);

    if (req.method === "POST") {
      if (req.body === undefined) {
        const read = await auth.readJsonBody(req);
        if ("problem" in read) return send(res, auth.bodyAnswer(read.problem, before.cors));
        req.body = read.value;
        req._body = true; // body-parser 1.x (Express 4) then skips it; 2.x sees the stream finished
      } else if (!isJsonContentType(req.headers["content-type"])) {
        // Parsed already, by another of the app's parsers: only JSON reaches the MCP server.
        return send(res, auth.bodyAnswer("wrong_type", before.cors));
      }
    }

    // A tool handler cannot answer 403: the scopes are checked here.
    const authorized = auth.withBody(before.token, req.method === "POST" ? req.body : undefined, before.cors);
    if ("answer" in authorized) return send(res, authorized.answer);
    req.auth = authorized.authInfo;
    next();
  }

  return (req: Request, res: ServerResponse, next: Next): void => {
    handle(req, res, next).catch(next);
  };
}
