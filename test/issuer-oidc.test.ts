/**
 * OpenID Connect discovery and the plain-OIDC layout (issue 9 point 6): the
 * Scalekit layout also serves OIDC discovery per resource; `layout: "oidc"`
 * is a root issuer (iss = url) with both well-known documents and a plain
 * registration path. The official MCP client (SDK v1) completes discovery,
 * registration, PKCE and token against each layout, in front of a small MCP
 * resource server on loopback; so does SDK v2's client, which also checks the
 * authorization response's `iss` (RFC 9207) against the discovered issuer.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  Client as ClientV2,
  type OAuthClientProvider as OAuthClientProviderV2,
  StreamableHTTPClientTransport as StreamableHTTPClientTransportV2,
} from "@modelcontextprotocol/client";
import { discoverAuthorizationServerMetadata, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { OAuthMetadataSchema, OpenIdProviderDiscoveryMetadataSchema } from "@modelcontextprotocol/sdk/shared/auth.js";
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";

const SCOPES = ["todo:read", "todo:write"];
const REDIRECT = "http://127.0.0.1:6274/oauth/callback";

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function verify(issuer: LocalIssuer, token: string): Promise<JWTPayload> {
  const keys = (await (await fetch(issuer.jwksUri)).json()) as JSONWebKeySet;
  return (await jwtVerify(token, createLocalJWKSet(keys), { issuer: issuer.issuer, algorithms: ["RS256"] })).payload;
}

/** Registers a public client at the layout's registration endpoint, runs /authorize (auto-approved), returns the code. */
async function codeFlow(issuer: LocalIssuer, extra: Record<string, string> = {}) {
  const metadata = await getJson(issuer.metadataUrls[0]!);
  const reg = await fetch(String(metadata.registration_endpoint), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }),
  });
  expect(reg.status).toBe(201);
  const clientId = ((await reg.json()) as { client_id: string }).client_id;
  const { verifier, challenge } = pkce();
  const url = new URL(String(metadata.authorization_endpoint));
  for (const [k, v] of Object.entries({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  })) {
    url.searchParams.set(k, v);
  }
  const res = await fetch(url, { redirect: "manual" });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location")!);
  const tokenRes = await fetch(String(metadata.token_endpoint), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: location.searchParams.get("code")!,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
      ...(extra.resource ? { resource: extra.resource } : {}),
    }).toString(),
  });
  expect(tokenRes.status).toBe(200);
  return { clientId, location, body: (await tokenRes.json()) as { access_token: string; refresh_token: string } };
}

describe("the Scalekit layout also serves OpenID Connect discovery", () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES });
  });
  afterAll(async () => {
    await issuer?.close();
  });

  it("at both OIDC forms for each resource, the same document as RFC 8414's, valid for the SDK's OIDC schema", async () => {
    expect(issuer.layout).toBe("scalekit");
    const oauth = await getJson(issuer.metadataUrls[0]!);
    for (const res of ["res_local", "res_Other-2"]) {
      const a = await getJson(`${issuer.url}/.well-known/openid-configuration/resources/${res}`);
      const b = await getJson(`${issuer.url}/resources/${res}/.well-known/openid-configuration`);
      expect(b).toEqual(a);
      expect(a.issuer).toBe(`${issuer.url}/resources/${res}`);
      expect(a.registration_endpoint).toBe(`${issuer.url}/api/v1/resources/${res}/clients:register`);
      expect(() => OpenIdProviderDiscoveryMetadataSchema.parse(a)).not.toThrow();
      if (res === "res_local") expect(a).toEqual(oauth);
    }
    expect(() => OAuthMetadataSchema.parse(oauth)).not.toThrow();
    const res = await fetch(`${issuer.url}/.well-known/openid-configuration/resources/${issuer.resourceId}`, {
      headers: { Origin: "https://x.example" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("a client that finds only the OIDC documents (RFC 8414 paths hidden) discovers the issuer", async () => {
    const tried: string[] = [];
    const oidcOnly = async (url: string | URL, init?: RequestInit) => {
      tried.push(String(url));
      if (String(url).includes("oauth-authorization-server")) return new Response("not here", { status: 404 });
      return fetch(url, init);
    };
    const metadata = await discoverAuthorizationServerMetadata(issuer.authorizationServer, { fetchFn: oidcOnly });
    expect(metadata?.issuer).toBe(issuer.authorizationServer);
    expect(tried.at(-1)).toBe(`${issuer.url}/.well-known/openid-configuration/resources/${issuer.resourceId}`);
  });

  it("/_dev/info reports the layout", async () => {
    expect(await getJson(`${issuer.url}/_dev/info`)).toMatchObject({ layout: "scalekit", issuer: issuer.url });
  });
});

describe('layout "oidc": a plain OpenID Connect issuer', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES, layout: "oidc" });
  });
  afterAll(async () => {
    await issuer?.close();
  });

  it("is its own URL: issuer, iss, metadata at the root well-known paths, jwks at /keys, a plain registration path", async () => {
    expect(issuer.layout).toBe("oidc");
    expect(issuer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(issuer.issuer).toBe(issuer.url);
    expect(issuer.authorizationServer).toBe(issuer.url);
    expect(issuer.metadataUrls).toEqual([
      `${issuer.url}/.well-known/oauth-authorization-server`,
      `${issuer.url}/.well-known/openid-configuration`,
    ]);
    const oauth = await getJson(issuer.metadataUrls[0]!);
    const oidc = await getJson(issuer.metadataUrls[1]!);
    expect(oidc).toEqual(oauth);
    expect(oauth).toMatchObject({
      issuer: issuer.url,
      authorization_endpoint: `${issuer.url}/oauth/authorize`,
      token_endpoint: `${issuer.url}/oauth/token`,
      registration_endpoint: `${issuer.url}/oauth/register`,
      jwks_uri: `${issuer.url}/keys`,
      code_challenge_methods_supported: ["S256"],
      scopes_supported: SCOPES,
      client_id_metadata_document_supported: true,
    });
    expect(() => OpenIdProviderDiscoveryMetadataSchema.parse(oidc)).not.toThrow();
    const discovered = await discoverAuthorizationServerMetadata(issuer.url);
    expect(discovered?.issuer).toBe(issuer.url);
  });

  it("serves no Scalekit paths", async () => {
    for (const path of [
      `/.well-known/oauth-authorization-server/resources/${issuer.resourceId}`,
      `/resources/${issuer.resourceId}/.well-known/oauth-authorization-server`,
      `/.well-known/openid-configuration/resources/${issuer.resourceId}`,
    ]) {
      expect((await fetch(`${issuer.url}${path}`)).status, path).toBe(404);
    }
    const reg = await fetch(`${issuer.url}/api/v1/resources/${issuer.resourceId}/clients:register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ redirect_uris: [REDIRECT] }),
    });
    expect(reg.status).toBe(404);
  });

  it("tokens: iss = url; aud = the resource indicator when given, else the resource id; the redirect carries iss = url", async () => {
    const resource = "http://127.0.0.1:3000/mcp";
    const withResource = await codeFlow(issuer, { resource, scope: "todo:read", state: "s" });
    expect(withResource.location.searchParams.get("iss")).toBe(issuer.url);
    const p1 = await verify(issuer, withResource.body.access_token);
    expect(p1).toMatchObject({ iss: issuer.url, aud: [resource], scopes: ["todo:read"] });
    const without = await codeFlow(issuer);
    expect((await verify(issuer, without.body.access_token)).aud).toEqual([issuer.resourceId]);
    // A refreshed token keeps the audience.
    const refreshed = await fetch(`${issuer.url}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: withResource.body.refresh_token,
        client_id: withResource.clientId,
      }).toString(),
    });
    expect(refreshed.status).toBe(200);
    const p2 = await verify(issuer, ((await refreshed.json()) as { access_token: string }).access_token);
    expect(p2).toMatchObject({ iss: issuer.url, aud: [resource] });
    const minted = await verify(issuer, await issuer.mint());
    expect(minted).toMatchObject({ iss: issuer.url, aud: [issuer.resourceId] });
  });

  it("/_dev/info and the index report the layout", async () => {
    expect(await getJson(`${issuer.url}/_dev/info`)).toMatchObject({
      layout: "oidc",
      issuer: issuer.url,
      authorizationServer: issuer.url,
      metadataUrls: issuer.metadataUrls,
      registrationEndpoint: `${issuer.url}/oauth/register`,
    });
    expect(await getJson(`${issuer.url}/`)).toMatchObject({ layout: "oidc" });
  });

  it("refuses bad layout options", async () => {
    await expect(startIssuer({ port: 0, quiet: true, layout: "keycloak" as never })).rejects.toThrow(/layout/);
    await expect(startIssuer({ port: 0, quiet: true, layout: "oidc", issuerForm: "resource" })).rejects.toThrow(/issuerForm/);
  });
});

// ---------- the official MCP client, end to end ----------

interface ResourceServer {
  url: string;
  close(): Promise<void>;
}

/** A small MCP resource server on loopback that trusts `issuer` (its layout decides the AS URL and audience). */
async function startResourceServer(issuer: LocalIssuer): Promise<ResourceServer> {
  const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
  let origin = "";
  const endpoint = () => `${origin}/mcp`;
  const prmUrl = () => `${origin}/.well-known/oauth-protected-resource/mcp`;
  const challenge = (res: ServerResponse) => {
    res.writeHead(401, { "WWW-Authenticate": `Bearer resource_metadata="${prmUrl()}", scope="${SCOPES.join(" ")}"` });
    res.end();
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path.startsWith("/.well-known/oauth-protected-resource")) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ resource: endpoint(), authorization_servers: [issuer.authorizationServer], scopes_supported: SCOPES }));
      return;
    }
    if (path !== "/mcp") return void res.writeHead(404).end();
    const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!token) return challenge(res);
    try {
      await jwtVerify(token, jwks, { issuer: issuer.issuer, audience: endpoint(), algorithms: ["RS256"], requiredClaims: ["exp"] });
    } catch {
      return challenge(res);
    }
    const server = new McpServer({ name: "oidc-test", version: "1.0.0" });
    server.registerTool("list_todos", { description: "List todos" }, async () => ({ content: [{ type: "text", text: "none" }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => void server.close());
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url: endpoint(),
    close: () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}

/** An OAuthClientProvider whose "browser" follows the authorization URL and keeps the code. */
class TestProvider implements OAuthClientProvider {
  private info: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = "";
  code: string | undefined;
  authorizationUrl: URL | undefined;
  readonly redirectUrl = REDIRECT;
  readonly clientMetadata = {
    client_name: "official SDK client",
    redirect_uris: [REDIRECT],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
    const res = await fetch(url, { redirect: "manual" });
    const location = new URL(res.headers.get("location") ?? "about:blank");
    this.code = location.searchParams.get("code") ?? undefined;
  }
}

describe.each(["scalekit", "oidc"] as const)("the official MCP client (SDK v1) against the %s layout", (layout) => {
  let issuer: LocalIssuer;
  let server: ResourceServer;
  beforeAll(async () => {
    issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES, layout });
    server = await startResourceServer(issuer);
  });
  afterAll(async () => {
    await server?.close();
    await issuer?.close();
  });

  it("completes discovery, registration, PKCE and token, then lists tools", async () => {
    const provider = new TestProvider();
    const first = new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider });
    await expect(new Client({ name: "t", version: "1" }).connect(first)).rejects.toThrow(/Unauthorized/i);
    expect(provider.authorizationUrl?.origin).toBe(issuer.url);
    expect(provider.authorizationUrl?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(provider.authorizationUrl?.searchParams.get("resource")).toBe(server.url);
    expect(provider.code, "the redirect carried a code").toBeTruthy();
    expect(provider.clientInformation()?.client_id).toMatch(/^skc_dcr_/);
    await first.finishAuth(provider.code!);
    const token = provider.tokens()!.access_token;
    const claims = await verify(issuer, token);
    expect(claims.iss).toBe(layout === "oidc" ? issuer.url : issuer.issuer);
    expect(claims.aud).toEqual(layout === "oidc" ? [server.url] : [server.url, issuer.resourceId]);

    const client = new Client({ name: "t", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["list_todos"]);
    await client.close();
  });
});

/** SDK v2's provider: the same "browser", keeping the whole callback (v2 checks its iss). */
class TestProviderV2 implements OAuthClientProviderV2 {
  private info: Parameters<OAuthClientProviderV2["saveTokens"]>[0] | undefined;
  private client: Parameters<NonNullable<OAuthClientProviderV2["saveClientInformation"]>>[0] | undefined;
  private verifier = "";
  callback: URL | undefined;
  readonly redirectUrl = REDIRECT;
  readonly clientMetadata = {
    client_name: "official SDK v2 client",
    redirect_uris: [REDIRECT],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: NonNullable<typeof this.client>) {
    this.client = info;
  }
  tokens() {
    return this.info;
  }
  saveTokens(tokens: NonNullable<typeof this.info>) {
    this.info = tokens;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  // Kept beside the code verifier, so the SDK checks the callback leg against the discovered server (SEP-2352).
  private discovery: Parameters<NonNullable<OAuthClientProviderV2["saveDiscoveryState"]>>[0] | undefined;
  saveDiscoveryState(state: NonNullable<typeof this.discovery>) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
  async redirectToAuthorization(url: URL) {
    const res = await fetch(url, { redirect: "manual" });
    this.callback = new URL(res.headers.get("location") ?? "about:blank");
  }
}

describe.each(["scalekit", "oidc"] as const)("the official MCP client (SDK v2) against the %s layout", (layout) => {
  let issuer: LocalIssuer;
  let server: ResourceServer;
  beforeAll(async () => {
    issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES, layout });
    server = await startResourceServer(issuer);
  });
  afterAll(async () => {
    await server?.close();
    await issuer?.close();
  });

  it("completes discovery, registration, PKCE, an iss-checked callback and token, then lists tools", async () => {
    const provider = new TestProviderV2();
    const first = new StreamableHTTPClientTransportV2(new URL(server.url), { authProvider: provider });
    await expect(new ClientV2({ name: "t", version: "1" }).connect(first)).rejects.toThrow();
    expect(provider.callback?.searchParams.get("code"), "the redirect carried a code").toBeTruthy();
    expect(provider.callback?.searchParams.get("iss")).toBe(issuer.authorizationServer);
    await first.finishAuth(provider.callback!.searchParams);
    const claims = await verify(issuer, provider.tokens()!.access_token);
    expect(claims.aud).toEqual(layout === "oidc" ? [server.url] : [server.url, issuer.resourceId]);

    const client = new ClientV2({ name: "t", version: "1" });
    await client.connect(new StreamableHTTPClientTransportV2(new URL(server.url), { authProvider: provider }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["list_todos"]);
    await client.close();
  });
});
