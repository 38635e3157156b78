// Peer baseline for bench/overhead: a plain MCP server on SDK v2, protected
// the way the official TypeScript SDK documents it: `createMcpExpressApp`
// (its Host/Origin checks), `requireBearerAuth({ verifier })` from
// @modelcontextprotocol/express with a verifier built on jose (`jwtVerify` +
// `createRemoteJWKSet`), and `createMcpHandler` with a McpServer per request.
// Same tools as the generated servers: run.mjs copies this file into a copy of
// the generated Express project (src/peer.ts, with @modelcontextprotocol/express
// added), so `./tools.js` is that project's tool list. With PEER_MCP=generated
// it takes the generated project's own createMcpServer (src/mcp.ts) instead,
// so that the auth and HTTP layers alone are compared.
//
// Env: SCALEKIT_ENVIRONMENT_URL (the local issuer), SCALEKIT_RESOURCE_ID, PORT.
import { createMcpExpressApp, requireBearerAuth } from "@modelcontextprotocol/express";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, McpServer, OAuthError, OAuthErrorCode, type OAuthTokenVerifier } from "@modelcontextprotocol/server";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { createMcpServer } from "./mcp.js";
import { serverName, tools } from "./tools.js";

const envUrl = process.env.SCALEKIT_ENVIRONMENT_URL!.replace(/\/+$/, "");
const resourceId = process.env.SCALEKIT_RESOURCE_ID ?? "res_local";
const port = Number(process.env.PORT);
const generatedMcp = process.env.PEER_MCP === "generated";
const resourceUrl = `http://127.0.0.1:${port}/mcp`;

function plainMcpServer(): McpServer {
  const server = new McpServer({ name: serverName, version: "0.1.0" });
  for (const { name, run, ...config } of tools) server.registerTool(name, config, (args, ctx) => run(args, ctx.http?.authInfo));
  return server;
}

const jwks = createRemoteJWKSet(new URL(`${envUrl}/keys`));
const verifier: OAuthTokenVerifier = {
  async verifyAccessToken(token) {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: [envUrl, `${envUrl}/resources/${resourceId}`],
        audience: [resourceUrl, resourceId],
        algorithms: ["RS256"],
      });
      const scopes =
        typeof payload.scope === "string"
          ? payload.scope.split(" ").filter(Boolean)
          : Array.isArray(payload.scopes)
            ? payload.scopes.map(String)
            : [];
      return {
        token,
        clientId: String(payload.client_id ?? payload.azp ?? ""),
        scopes,
        expiresAt: payload.exp,
        extra: { sub: payload.sub },
      };
    } catch (error) {
      throw new OAuthError(OAuthErrorCode.InvalidToken, error instanceof Error ? error.message : "Invalid token");
    }
  },
};

const handler = createMcpHandler(() => (generatedMcp ? createMcpServer() : plainMcpServer()));
const node = toNodeHandler(handler);
const app = createMcpExpressApp();
app.post(
  "/mcp",
  requireBearerAuth({ verifier, resourceMetadataUrl: `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp` }),
  (req, res) => void node(req, res, req.body),
);

const http = app.listen(port, "127.0.0.1", () => console.log(`peer baseline listening on http://127.0.0.1:${port}/mcp`));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    http.close(() => process.exit(0));
    http.closeAllConnections();
  });
}
