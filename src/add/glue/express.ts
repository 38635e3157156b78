// Written by `create-mcp-auth add`: OAuth 2.1 for the MCP endpoint of an
// Express app. Registered before the MCP route, it serves the protected
// resource metadata, checks Origin and Host, answers the CORS preflight,
// verifies the token from the Authorization header before any body is read,
// then the scopes of the called tools, and hands the caller to the SDK as `req.auth`.
import type { IncomingMessage, ServerResponse } from "node:http";
import { bodyAnswer, createMcpAuth, readJsonBody, sendAnswer } from "./mcp-auth.js";

type Request = IncomingMessage & { body?: unknown; auth?: unknown; _body?: boolean };
type Next = (error?: unknown) => void;

export function mcpAuth(options: { endpoint: string }) {
  const auth = createMcpAuth(options.endpoint);

  async function handle(req: Request, res: ServerResponse, next: Next): Promise<void> {
    if (auth.isMetadataPath(req.url)) return sendAnswer(res, auth.metadataAnswer(req.method));
    if (!auth.isEndpoint(req.url)) return next();

    const before = await auth.beforeBody(req.method, req.headers);
    if ("answer" in before) return sendAnswer(res, before.answer);
    // On the response now, so they reach the answers the SDK transport writes itself.
    for (const [name, value] of Object.entries(before.cors)) res.setHeader(name, value);

    let body: unknown;
    if (req.method === "POST") {
      // A JSON parser registered earlier may have read the body already.
      if (req.body === undefined) {
        const read = await readJsonBody(req);
        if ("problem" in read) return sendAnswer(res, bodyAnswer(read.problem, before.cors));
        req.body = read.value;
        req._body = true; // body-parser 1.x (Express 4) skips a body already read
      }
      body = req.body;
    }

    // A tool handler cannot answer 403: the scopes are checked here.
    const authorized = auth.withBody(before.token, body, before.cors);
    if ("answer" in authorized) return sendAnswer(res, authorized.answer);
    req.auth = authorized.authInfo;
    next();
  }

  return (req: Request, res: ServerResponse, next: Next): void => {
    handle(req, res, next).catch(next);
  };
}
