// Peer baseline for bench/overhead: a plain MCP server on SDK v2, protected
// the way the official TypeScript SDK documents it: `createMcpExpressApp`
// (its Host/Origin checks), `requireBearerAuth({ verifier })` from
// @modelcontextprotocol/express with a verifier built on jose (`jwtVerify` +
// `createRemoteJWKSet`), and `createMcpHandler` with a McpServer per request.
// The same MCP server as the generated ones: run.mjs copies this file into a
// copy of the generated Express project (src/peer.ts, with
// @modelcontextprotocol/express added), and it serves that project's own
// createMcpServer (src/mcp.ts: a plain McpServer per request, its tools
// registered as the SDK documents it), so the auth and HTTP layers alone are
// compared.
//
// Env: SCALEKIT_ENVIRONMENT_URL (the local issuer), SCALEKIT_RESOURCE_ID, PORT.
import { createMcpExpressApp, requireBearerAuth } from "@modelcontextprotocol/express";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, OAuthError, OAuthErrorCode, type OAuthTokenVerifier } from "@modelcontextprotocol/server";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { createMcpServer } from "./mcp.js";

const envUrl = process.env.SCALEKIT_ENVIRONMENT_URL!.replace(/\/+$/, "");
const resourceId = process.env.SCALEKIT_RESOURCE_ID ?? "res_local";
const port = Number(process.env.PORT);
const resourceUrl = `http://127.0.0.1:${port}/mcp`;

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

const handler = createMcpHandler(createMcpServer);
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
