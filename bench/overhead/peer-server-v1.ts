// Peer baseline for bench/overhead: a plain Express MCP server protected the
// way the official TypeScript SDK documents it, `requireBearerAuth({ verifier })`,
// with a verifier built on jose (`jwtVerify` + `createRemoteJWKSet`), and an
// McpServer built per request the way the SDK documents it (default options).
// Same tools as the generated servers: run.mjs copies this file into a copy of
// the generated Express project (src/peer.ts), so `./tools.js` is that
// project's tool list and express, the SDK and jose resolve from its
// node_modules. With PEER_MCP=generated it takes the generated project's own
// createMcpServer (src/mcp.ts) instead, which differs from the SDK's default
// in one way: it does not build an Ajv instance per McpServer. That variant
// compares the auth and HTTP layers alone, with the same MCP server behind them.
//
// Env: SCALEKIT_ENVIRONMENT_URL (the local issuer), SCALEKIT_RESOURCE_ID, PORT.
import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import type { OAuthTokenVerifier } from "@modelcontextprotocol/sdk/server/auth/provider.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import express from "express";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { createMcpServer } from "./mcp.js";
import { registerTools, serverName } from "./tools.js";

const envUrl = process.env.SCALEKIT_ENVIRONMENT_URL!.replace(/\/+$/, "");
const resourceId = process.env.SCALEKIT_RESOURCE_ID ?? "res_local";
const port = Number(process.env.PORT);
const generatedMcp = process.env.PEER_MCP === "generated";

function plainMcpServer(): McpServer {
  const server = new McpServer({ name: serverName, version: "0.1.0" });
  registerTools(server);
  return server;
}
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
      throw new InvalidTokenError(error instanceof Error ? error.message : "Invalid token");
    }
  },
};

const app = express();
app.disable("x-powered-by");
app.post(
  "/mcp",
  express.json(),
  requireBearerAuth({ verifier, resourceMetadataUrl: `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp` }),
  async (req, res) => {
    const server = generatedMcp ? createMcpServer() : plainMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  },
);

const http = app.listen(port, "127.0.0.1", () => console.log(`peer baseline listening on http://127.0.0.1:${port}/mcp`));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    http.close(() => process.exit(0));
    http.closeAllConnections();
  });
}
