import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { AuthorizationServerDiscovery } from "../src/discovery.js";
import { createVerifier } from "../src/provider.js";
import { TestIssuer } from "./issuer.js";

const PUBLIC_URL = "https://mcp.example.com/mcp";

describe("OpenID provider settings", () => {
  it("default the audience to the server URL and advertise the issuer itself", () => {
    const { provider } = loadConfig({ OIDC_ISSUER_URL: "https://auth.example.com/realms/mcp", MCP_SERVER_URL: PUBLIC_URL });
    expect(provider.authorizationServer).toBe("https://auth.example.com/realms/mcp");
    expect(provider.audiences).toEqual([PUBLIC_URL, `${PUBLIC_URL}/`]);
    expect(provider.issuers).toEqual(["https://auth.example.com/realms/mcp", "https://auth.example.com/realms/mcp/"]);
  });

  it("take OIDC_AUDIENCE as the accepted audiences", () => {
    const { provider } = loadConfig({
      OIDC_ISSUER_URL: "https://auth.example.com",
      OIDC_AUDIENCE: "api://mcp, https://mcp.example.com",
      MCP_SERVER_URL: PUBLIC_URL,
    });
    expect(provider.audiences).toEqual(["api://mcp", "https://mcp.example.com"]);
  });

  it("name OIDC_ISSUER_URL when it is missing or not https", () => {
    for (const value of ["", "http://auth.example.com", "https://auth.example.com/?x=1"]) {
      expect(() => loadConfig({ OIDC_ISSUER_URL: value, MCP_SERVER_URL: PUBLIC_URL })).toThrow(ConfigError);
    }
  });

  it("try RFC 8414 first, then OpenID Connect Discovery, in both path forms", () => {
    expect(AuthorizationServerDiscovery.metadataUrls("https://auth.example.com")).toEqual([
      "https://auth.example.com/.well-known/oauth-authorization-server",
      "https://auth.example.com/.well-known/openid-configuration",
    ]);
    expect(AuthorizationServerDiscovery.metadataUrls("https://auth.example.com/realms/mcp/")).toEqual([
      "https://auth.example.com/.well-known/oauth-authorization-server/realms/mcp",
      "https://auth.example.com/realms/mcp/.well-known/openid-configuration",
      "https://auth.example.com/.well-known/openid-configuration/realms/mcp",
      "https://auth.example.com/realms/mcp/.well-known/oauth-authorization-server",
    ]);
  });
});

describe("discovery at boot", () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });
  afterAll(() => issuer.close());

  it("finds the key set through the metadata and verifies tokens", async () => {
    const config = loadConfig({ OIDC_ISSUER_URL: issuer.url, MCP_SERVER_URL: PUBLIC_URL });
    const verifier = createVerifier(config, { keySet: { log: () => {} } });
    await expect(verifier.verify(await issuer.mint({ audience: PUBLIC_URL }))).resolves.toMatchObject({ subject: "user-123" });
  });

  it("refuses tokens (401) while the metadata cannot be read, names the URL, and recovers by itself", async () => {
    issuer.metadataFailWith = 503;
    const lines: string[] = [];
    const config = loadConfig({ OIDC_ISSUER_URL: issuer.url, MCP_SERVER_URL: PUBLIC_URL });
    const verifier = createVerifier(config, { keySet: { log: (line) => lines.push(line), cooldownMs: 100 } });
    try {
      await expect(verifier.verify(await issuer.mint({ audience: PUBLIC_URL }))).rejects.toMatchObject({ reason: "keys_unavailable" });
      expect(lines.join("\n")).toContain(`${issuer.url}/.well-known/oauth-authorization-server`);
    } finally {
      issuer.metadataFailWith = undefined;
    }
    // The first retry comes 1 s after the failure.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    await expect(verifier.verify(await issuer.mint({ audience: PUBLIC_URL }))).resolves.toMatchObject({ subject: "user-123" });
  });

  it("refuses metadata that names another issuer", async () => {
    const impostor: Server = createServer((_req, res) => {
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify({ issuer: "https://evil.example", jwks_uri: `${issuer.url}/keys` }));
    });
    impostor.listen(0, "127.0.0.1");
    await new Promise((resolve) => impostor.once("listening", resolve));
    const url = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
    try {
      const lines: string[] = [];
      const config = loadConfig({ OIDC_ISSUER_URL: url, MCP_SERVER_URL: PUBLIC_URL });
      const verifier = createVerifier(config, { keySet: { log: (line) => lines.push(line) } });
      await expect(verifier.verify(await issuer.mint({ audience: PUBLIC_URL, issuer: url }))).rejects.toMatchObject({
        reason: "keys_unavailable",
      });
      expect(lines.join("\n")).toMatch(/its issuer is "https:\/\/evil.example"/);
    } finally {
      impostor.closeAllConnections();
      impostor.close();
    }
  });
});
