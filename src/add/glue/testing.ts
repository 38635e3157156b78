// Written by `create-mcp-auth add`: access tokens for your own tests, offline.
// startTestAuth() starts a small authorization server on 127.0.0.1 (its keys
// and metadata, nothing else), points this process's auth configuration at it
// and signs tokens it accepts. Call it before the first request to the MCP
// endpoint (the auth layer reads its configuration then), in the test process:
//   const auth = await startTestAuth();
//   fetch(url, { headers: { Authorization: `Bearer ${await auth.token()}` } });
//   await auth.stop();
// Only for tests: it changes process.env, and the server it starts trusts no one else.
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseEnv } from "node:util";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { testEnvironment } from "./provider.js";
import { toolScopes } from "./tool-scopes.js";

export interface TestAuth {
  /** The test authorization server's URL (the issuer of its tokens). */
  issuer: string;
  /** The MCP endpoint's URL the tokens are for (MCP_SERVER_URL). */
  resource: string;
  /** A signed access token; by default with every scope of tool-scopes, valid for an hour. */
  token(options?: { scopes?: string[]; subject?: string; expiresIn?: number }): Promise<string>;
  /** Stops the server (the environment it set stays). */
  stop(): Promise<void>;
}

/** `serverUrl`: the MCP endpoint's URL; default MCP_SERVER_URL from the environment, .env or .env.example. */
export async function startTestAuth(options: { serverUrl?: string } = {}): Promise<TestAuth> {
  const resource = (options.serverUrl ?? configuredServerUrl()).replace(/\/+$/, "");
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/keys") return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    if (path === "/.well-known/openid-configuration" || path === "/.well-known/oauth-authorization-server") {
      res.writeHead(200, { "Content-Type": "application/json" });
      return void res.end(
        JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/keys`,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
        }),
      );
    }
    res.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  Object.assign(process.env, { MCP_SERVER_URL: resource, ...testEnvironment(issuer) });
  const allScopes = [...new Set(Object.values(toolScopes).flat())];

  return {
    issuer,
    resource,
    token: ({ scopes = allScopes, subject = "test-user", expiresIn = 3600 } = {}) =>
      new SignJWT({ scope: scopes.join(" "), client_id: "test-client" })
        .setProtectedHeader({ alg: "RS256", kid: jwk.kid, typ: "at+jwt" })
        .setIssuer(issuer)
        .setAudience(resource)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
        .sign(privateKey),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function configuredServerUrl(): string {
  // Destructured: strict projects (noPropertyAccessFromIndexSignature) refuse env.NAME.
  const { MCP_SERVER_URL: fromEnv } = process.env;
  if (fromEnv) return fromEnv;
  for (const file of [".env", ".env.example"]) {
    const { MCP_SERVER_URL: fromFile } = existsSync(file) ? parseEnv(readFileSync(file, "utf8")) : {};
    if (fromFile) return fromFile;
  }
  throw new Error("startTestAuth: MCP_SERVER_URL is not set (in the environment, .env or .env.example); pass { serverUrl }");
}
