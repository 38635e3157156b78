/**
 * The local issuer, in process on 127.0.0.1 with free ports: discovery, DCR,
 * authorization code + PKCE, refresh rotation, client credentials, client ID
 * metadata documents, key rotation, minted tokens, dev endpoints, malformed input,
 * and the official MCP SDK client auth helpers against it.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect } from "node:net";
import { PassThrough } from "node:stream";
import {
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  refreshAuthorization,
  registerClient,
  startAuthorization,
} from "@modelcontextprotocol/sdk/client/auth.js";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runIssuerCommand } from "../src/commands/issuer.js";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";

const SCOPES = ["todo:read", "todo:write"];
const REDIRECT = "http://127.0.0.1:6274/oauth/callback";
const RESOURCE = "http://localhost:3000/mcp";

let iss: LocalIssuer;

beforeAll(async () => {
  iss = await startIssuer({ port: 0, scopes: SCOPES, quiet: true });
});
afterAll(async () => {
  await iss?.close();
});

// ---------- helpers ----------

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions
type JsonBody = Record<string, any>;

async function json(res: Response): Promise<JsonBody> {
  return (await res.json()) as JsonBody;
}

async function jwks(issuer: LocalIssuer = iss): Promise<JSONWebKeySet> {
  return (await (await fetch(issuer.jwksUri)).json()) as JSONWebKeySet;
}

async function verify(token: string, issuer: LocalIssuer = iss, audience?: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(await jwks(issuer)), {
    issuer: issuer.issuer,
    algorithms: ["RS256"],
    ...(audience ? { audience } : {}),
  });
  return payload;
}

async function register(body: Record<string, unknown>, issuer: LocalIssuer = iss, resId = issuer.resourceId) {
  return fetch(`${issuer.url}/api/v1/resources/${resId}/clients:register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function publicClient(issuer: LocalIssuer = iss, redirect = REDIRECT): Promise<string> {
  const res = await register(
    {
      client_name: "Test public client",
      redirect_uris: [redirect],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
    },
    issuer,
  );
  expect(res.status).toBe(201);
  return (await json(res)).client_id as string;
}

async function authorize(params: Record<string, string | string[]>, issuer: LocalIssuer = iss, accept = "application/json") {
  const url = new URL(`${issuer.url}/oauth/authorize`);
  for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) url.searchParams.append(k, x);
  return fetch(url, { redirect: "manual", headers: { Accept: accept } });
}

/** Runs /oauth/authorize and returns the parsed redirect Location. */
async function authorizeRedirect(params: Record<string, string | string[]>, issuer: LocalIssuer = iss): Promise<URL> {
  const res = await authorize(params, issuer);
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location")!);
}

async function token(params: Record<string, string>, headers: Record<string, string> = {}, issuer: LocalIssuer = iss) {
  return fetch(`${issuer.url}/oauth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

async function getCode(clientId: string, extra: Record<string, string | string[]> = {}, redirect = REDIRECT, issuer = iss) {
  const { verifier, challenge } = pkce();
  const loc = await authorizeRedirect(
    {
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirect,
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...extra,
    },
    issuer,
  );
  const code = loc.searchParams.get("code");
  expect(code, `redirect without code: ${loc.href}`).toBeTruthy();
  return { code: code!, verifier, location: loc };
}

const basic = (id: string, secret: string) => ({
  Authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`,
});

async function expectOAuthError(res: Response, status: number, error: string): Promise<JsonBody> {
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = await json(res);
  expect({ status: res.status, error: body.error }).toEqual({ status, error });
  expect(typeof body.error_description).toBe("string");
  return body;
}

// ---------- discovery ----------

describe("discovery", () => {
  it("serves an RS256 JWKS at /keys and counts the requests", async () => {
    const before = iss.jwksRequests;
    const res = await fetch(iss.jwksUri);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const body = (await res.json()) as JSONWebKeySet;
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: "RSA", use: "sig", alg: "RS256" });
    expect(typeof body.keys[0]!.kid).toBe("string");
    expect(body.keys[0]).not.toHaveProperty("d");
    expect(iss.jwksRequests).toBe(before + 1);
    expect(iss.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(iss.jwksUri).toBe(`${iss.url}/keys`);
  });

  it("serves the authorization server metadata at both Scalekit paths", async () => {
    const [a, b] = iss.metadataUrls;
    expect(a).toBe(`${iss.url}/.well-known/oauth-authorization-server/resources/res_local`);
    expect(b).toBe(`${iss.url}/resources/res_local/.well-known/oauth-authorization-server`);
    const ra = await fetch(a!);
    const rb = await fetch(b!);
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    expect(ra.headers.get("access-control-allow-origin")).toBe("*");
    const ma = await json(ra);
    expect(await json(rb)).toEqual(ma);
    expect(ma).toMatchObject({
      issuer: `${iss.url}/resources/res_local`,
      authorization_endpoint: `${iss.url}/oauth/authorize`,
      token_endpoint: `${iss.url}/oauth/token`,
      registration_endpoint: `${iss.url}/api/v1/resources/res_local/clients:register`,
      jwks_uri: `${iss.url}/keys`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
      scopes_supported: SCOPES,
      client_id_metadata_document_supported: true,
    });
    expect(iss.authorizationServer).toBe(ma.issuer);
  });

  it("serves any res_ id, and 404s others", async () => {
    const m = await json(await fetch(`${iss.url}/resources/res_Other-1/.well-known/oauth-authorization-server`));
    expect(m.issuer).toBe(`${iss.url}/resources/res_Other-1`);
    expect(m.registration_endpoint).toBe(`${iss.url}/api/v1/resources/res_Other-1/clients:register`);
    await expectOAuthError(await fetch(`${iss.url}/.well-known/oauth-authorization-server/resources/nope`), 404, "not_found");
  });

  it("answers CORS preflights on the token and registration endpoints", async () => {
    for (const path of ["/oauth/token", "/api/v1/resources/res_local/clients:register", "/keys"]) {
      const res = await fetch(`${iss.url}${path}`, {
        method: "OPTIONS",
        headers: {
          Origin: "http://localhost:6274",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version",
        },
      });
      expect(res.status).toBe(204);
      // Metadata and keys are open to any origin; registration and token only to loopback ones (echoed).
      expect(res.headers.get("access-control-allow-origin")).toBe(path === "/keys" ? "*" : "http://localhost:6274");
      expect(res.headers.get("access-control-allow-headers")).toMatch(/mcp-protocol-version/i);
      expect(res.headers.get("access-control-allow-methods")).toMatch(/POST/);
    }
  });
});

// ---------- dynamic client registration ----------

describe("dynamic client registration", () => {
  it("registers a public client (no secret)", async () => {
    const res = await register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", client_name: "x" });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.client_id).toMatch(/^\S+$/);
    expect(body).not.toHaveProperty("client_secret");
    expect(body).toMatchObject({ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", client_name: "x" });
  });

  it("registers a confidential client with a secret (default method client_secret_basic)", async () => {
    const body = await json(await register({ redirect_uris: ["https://app.example.com/cb", "cursor://oauth/cb"] }));
    expect(typeof body.client_secret).toBe("string");
    expect(body.token_endpoint_auth_method).toBe("client_secret_basic");
    expect(body.client_secret_expires_at).toBe(0);
  });

  it.each([
    [{ redirect_uris: ["http://evil.example.com/cb"] }, "invalid_redirect_uri"],
    [{ redirect_uris: ["http://127.0.0.1/cb#frag"] }, "invalid_redirect_uri"],
    [{ redirect_uris: ["/relative/cb"] }, "invalid_redirect_uri"],
    [{ redirect_uris: ["javascript:alert(1)"] }, "invalid_redirect_uri"],
    [{ redirect_uris: [] }, "invalid_redirect_uri"],
    [{}, "invalid_redirect_uri"],
    [{ redirect_uris: "http://127.0.0.1/cb" }, "invalid_client_metadata"],
    [{ redirect_uris: [42] }, "invalid_client_metadata"],
    [{ redirect_uris: [REDIRECT], token_endpoint_auth_method: "private_key_jwt" }, "invalid_client_metadata"],
    [{ grant_types: ["client_credentials"], token_endpoint_auth_method: "none" }, "invalid_client_metadata"],
    [{ redirect_uris: [REDIRECT], grant_types: ["implicit"] }, "invalid_client_metadata"],
    [{ redirect_uris: [REDIRECT], response_types: ["token"] }, "invalid_client_metadata"],
  ])("refuses %j with %s", async (body, error) => {
    await expectOAuthError(await register(body), 400, error);
  });

  it("accepts loopback http redirect URIs (localhost, 127.0.0.1, [::1])", async () => {
    const res = await register({
      redirect_uris: ["http://localhost:1234/cb", "http://127.0.0.1/cb", "http://[::1]:9/cb"],
      token_endpoint_auth_method: "none",
    });
    expect(res.status).toBe(201);
  });
});

// ---------- authorization code + PKCE ----------

describe("authorization code with PKCE", () => {
  let clientId: string;
  beforeAll(async () => {
    clientId = await publicClient();
  });

  it("runs the full flow: state round trip, iss, resource -> aud, scopes", async () => {
    const { code, verifier, location } = await getCode(clientId, {
      state: "st@te/1",
      scope: "todo:read",
      resource: RESOURCE,
    });
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get("state")).toBe("st@te/1");
    expect(location.searchParams.get("iss")).toBe(iss.authorizationServer);

    const res = await token({
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
      resource: RESOURCE,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await json(res);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "todo:read" });
    expect(typeof body.refresh_token).toBe("string");

    const payload = await verify(body.access_token, iss, RESOURCE);
    expect(payload.aud).toEqual([RESOURCE, "res_local"]);
    expect(payload.iss).toBe(iss.url);
    expect(payload).toMatchObject({ client_id: clientId, scope: "todo:read", scopes: ["todo:read"], sub: "usr_local" });
    expect(typeof payload.jti).toBe("string");
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.nbf).toBe(payload.iat);
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: "RS256", kid: (await jwks()).keys[0]!.kid });
  });

  it("grants all configured scopes by default and aud [res_id] without resource", async () => {
    const { code, verifier } = await getCode(clientId);
    const body = await json(
      await token({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId }),
    );
    expect(body.scope).toBe("todo:read todo:write");
    const payload = await verify(body.access_token);
    expect(payload.aud).toEqual(["res_local"]);
    expect(payload.scopes).toEqual(SCOPES);
  });

  it("wrong verifier -> invalid_grant, and the code is spent", async () => {
    const { code, verifier } = await getCode(clientId);
    const wrong = pkce().verifier;
    await expectOAuthError(
      await token({ grant_type: "authorization_code", code, code_verifier: wrong, redirect_uri: REDIRECT, client_id: clientId }),
      400,
      "invalid_grant",
    );
    await expectOAuthError(
      await token({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId }),
      400,
      "invalid_grant",
    );
  });

  it("reused code -> invalid_grant", async () => {
    const { code, verifier } = await getCode(clientId);
    const params = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId };
    expect((await token(params)).status).toBe(200);
    await expectOAuthError(await token(params), 400, "invalid_grant");
  });

  it("mismatched redirect_uri -> invalid_grant", async () => {
    const { code, verifier } = await getCode(clientId);
    await expectOAuthError(
      await token({
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: "http://127.0.0.1:6274/other",
        client_id: clientId,
      }),
      400,
      "invalid_grant",
    );
  });

  it("code of another client -> invalid_grant", async () => {
    const other = await publicClient();
    const { code, verifier } = await getCode(clientId);
    await expectOAuthError(
      await token({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: other }),
      400,
      "invalid_grant",
    );
  });

  it("codes expire after 60 s", async () => {
    const { code, verifier } = await getCode(clientId);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      await expectOAuthError(
        await token({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId }),
        400,
        "invalid_grant",
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it("redirect_uri may be omitted when the client has exactly one (then also at /token)", async () => {
    const { verifier, challenge } = pkce();
    const loc = await authorizeRedirect({
      response_type: "code",
      client_id: clientId,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    expect(`${loc.origin}${loc.pathname}`).toBe(REDIRECT);
    const res = await token({
      grant_type: "authorization_code",
      code: loc.searchParams.get("code")!,
      code_verifier: verifier,
      client_id: clientId,
    });
    expect(res.status).toBe(200);
  });

  it("a resource at /token outside the approved one -> invalid_target", async () => {
    const { code, verifier } = await getCode(clientId, { resource: RESOURCE });
    await expectOAuthError(
      await token({
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        client_id: clientId,
        resource: "https://other.example.com/mcp",
      }),
      400,
      "invalid_target",
    );
  });

  it("refuses plain PKCE and a missing challenge, by redirect with state", async () => {
    const { verifier } = pkce();
    const variants: Record<string, string>[] = [
      { code_challenge: verifier, code_challenge_method: "plain" },
      { code_challenge: pkce().challenge },
      {},
    ];
    for (const extra of variants) {
      const loc = await authorizeRedirect({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, state: "s1", ...extra });
      expect(loc.searchParams.get("error")).toBe("invalid_request");
      expect(loc.searchParams.get("state")).toBe("s1");
      expect(loc.searchParams.get("code")).toBeNull();
    }
  });

  it("redirects other errors after the redirect URI is validated", async () => {
    const { challenge } = pkce();
    const base = { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "z" };
    const cases: [Record<string, string | string[]>, string][] = [
      [{ ...base, response_type: "token" }, "unsupported_response_type"],
      [{ ...base, response_type: "code", scope: "admin" }, "invalid_scope"],
      [{ ...base, response_type: "code", resource: "not a uri" }, "invalid_target"],
      [{ ...base, response_type: "code", resource: "https://x.example.com/mcp#frag" }, "invalid_target"],
    ];
    for (const [params, error] of cases) {
      const loc = await authorizeRedirect(params);
      expect(loc.searchParams.get("error")).toBe(error);
      expect(loc.searchParams.get("state")).toBe("z");
      expect(loc.searchParams.get("iss")).toBe(iss.authorizationServer);
    }
  });

  it("answers 400 without redirecting when the client or redirect URI is bad", async () => {
    const { challenge } = pkce();
    const base = { response_type: "code", code_challenge: challenge, code_challenge_method: "S256" };
    for (const params of [
      { ...base, client_id: "nope", redirect_uri: REDIRECT },
      { ...base, redirect_uri: REDIRECT },
      { ...base, client_id: clientId, redirect_uri: "http://127.0.0.1:6274/not-registered" },
      { ...base, client_id: clientId, redirect_uri: `${REDIRECT}?x=1` },
    ]) {
      const res = await authorize(params);
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect((await json(res)).error).toMatch(/invalid_(request|client)/);
    }
    const html = await authorize({ ...base, client_id: "<script>" }, iss, "text/html");
    expect(html.status).toBe(400);
    expect(html.headers.get("content-type")).toMatch(/text\/html/);
    expect(await html.text()).not.toContain("<script>");
  });
});

// ---------- refresh tokens ----------

describe("refresh tokens", () => {
  it("rotate: the old one is invalid after use; resource and scope are kept", async () => {
    const clientId = await publicClient();
    const { code, verifier } = await getCode(clientId, { resource: RESOURCE, scope: "todo:read todo:write" });
    const first = await json(
      await token({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId }),
    );
    const r1 = first.refresh_token as string;

    const second = await json(await token({ grant_type: "refresh_token", refresh_token: r1, client_id: clientId }));
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(r1);
    expect(second.scope).toBe("todo:read todo:write");
    const payload = await verify(second.access_token, iss, RESOURCE);
    expect(payload.aud).toEqual([RESOURCE, "res_local"]);
    expect(payload.jti).not.toBe(decodeJwt(first.access_token).jti);

    await expectOAuthError(await token({ grant_type: "refresh_token", refresh_token: r1, client_id: clientId }), 400, "invalid_grant");

    // Narrowing the scope works; widening does not; another client cannot use it.
    const third = await json(
      await token({ grant_type: "refresh_token", refresh_token: second.refresh_token, client_id: clientId, scope: "todo:read" }),
    );
    expect(third.scope).toBe("todo:read");
    await expectOAuthError(
      await token({ grant_type: "refresh_token", refresh_token: third.refresh_token, client_id: clientId, scope: "todo:admin" }),
      400,
      "invalid_scope",
    );
    const other = await publicClient();
    await expectOAuthError(
      await token({ grant_type: "refresh_token", refresh_token: third.refresh_token, client_id: other }),
      400,
      "invalid_grant",
    );
    // The narrowed refresh still carries the whole grant.
    const fourth = await json(await token({ grant_type: "refresh_token", refresh_token: third.refresh_token, client_id: clientId }));
    expect(fourth.scope).toBe("todo:read todo:write");
  });
});

// ---------- client credentials ----------

describe("client credentials", () => {
  let client: { client_id: string; client_secret: string };
  beforeAll(async () => {
    client = (await json(
      await register({ grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_basic" }),
    )) as typeof client;
  });

  it("issues a token with client_secret_basic and client_secret_post", async () => {
    const viaBasic = await token({ grant_type: "client_credentials", scope: "todo:read" }, basic(client.client_id, client.client_secret));
    expect(viaBasic.status).toBe(200);
    const b = await json(viaBasic);
    expect(b).not.toHaveProperty("refresh_token");
    expect(b.scope).toBe("todo:read");
    const payload = await verify(b.access_token);
    expect(payload).toMatchObject({ sub: client.client_id, client_id: client.client_id, aud: ["res_local"] });

    const viaPost = await token({
      grant_type: "client_credentials",
      client_id: client.client_id,
      client_secret: client.client_secret,
      resource: RESOURCE,
    });
    const p = await json(viaPost);
    expect(viaPost.status).toBe(200);
    expect(p.scope).toBe("todo:read todo:write");
    expect((await verify(p.access_token)).aud).toEqual([RESOURCE, "res_local"]);
  });

  it("wrong secret -> 401 invalid_client; public client -> unauthorized_client", async () => {
    const bad = await token({ grant_type: "client_credentials" }, basic(client.client_id, "wrong"));
    expect(bad.headers.get("www-authenticate")).toMatch(/^Basic/);
    await expectOAuthError(bad, 401, "invalid_client");
    await expectOAuthError(await token({ grant_type: "client_credentials", client_id: "unknown" }), 401, "invalid_client");
    await expectOAuthError(await token({ grant_type: "client_credentials" }), 401, "invalid_client");
    const pub = await publicClient();
    await expectOAuthError(await token({ grant_type: "client_credentials", client_id: pub }), 400, "unauthorized_client");
    await expectOAuthError(
      await token({ grant_type: "client_credentials", scope: "nope" }, basic(client.client_id, client.client_secret)),
      400,
      "invalid_scope",
    );
    await expectOAuthError(
      await token({ grant_type: "client_credentials", client_secret: "x" }, basic(client.client_id, client.client_secret)),
      400,
      "invalid_request",
    );
  });
});

// ---------- client ID metadata documents ----------

describe("client ID metadata documents", () => {
  let docServer: Server;
  let base: string;
  // The documents are served on loopback: only an issuer started with allowLocalCimd fetches them
  // (test/issuer-security.test.ts has the address policy).
  let iss: LocalIssuer;
  const CB = "http://127.0.0.1:7777/callback";

  beforeAll(async () => {
    iss = await startIssuer({ port: 0, scopes: SCOPES, quiet: true, allowLocalCimd: true });
    docServer = createServer((req, res) => {
      const self = `${base}${req.url}`;
      const docs: Record<string, unknown> = {
        "/client.json": { client_id: self, client_name: "CIMD app", redirect_uris: [CB], token_endpoint_auth_method: "none" },
        "/mismatch.json": { client_id: `${base}/someone-else.json`, redirect_uris: [CB] },
        "/secret.json": { client_id: self, redirect_uris: [CB], token_endpoint_auth_method: "client_secret_basic" },
        "/notjson.json": "{ nope",
        "/big.json": { client_id: self, redirect_uris: [CB], pad: "x".repeat(100_000) },
      };
      const doc = docs[req.url ?? ""];
      if (doc === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(typeof doc === "string" ? doc : JSON.stringify(doc));
    });
    await new Promise<void>((r) => docServer.listen(0, "127.0.0.1", r));
    const addr = docServer.address();
    base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  });
  afterAll(async () => {
    await iss?.close();
    docServer.closeAllConnections();
    await new Promise((r) => docServer.close(r));
  });

  it("fetches the document and runs the flow with the URL as client_id", async () => {
    const clientId = `${base}/client.json`;
    const { code, verifier, location } = await getCode(clientId, { state: "c" }, CB, iss);
    expect(location.searchParams.get("state")).toBe("c");
    const res = await token(
      { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: CB, client_id: clientId },
      {},
      iss,
    );
    expect(res.status).toBe(200);
    const payload = await verify((await json(res)).access_token, iss);
    expect(payload.client_id).toBe(clientId);
  });

  it("refuses a document whose client_id differs, or that is broken, without redirecting", async () => {
    const { challenge } = pkce();
    const reasons: Record<string, RegExp> = {
      "/mismatch.json": /client_id does not equal/,
      "/secret.json": /client_secret/,
      "/notjson.json": /not valid JSON/,
      "/big.json": /could not be fetched/,
      "/missing.json": /could not be fetched/,
    };
    for (const [path, reason] of Object.entries(reasons)) {
      const res = await authorize(
        {
          response_type: "code",
          client_id: `${base}${path}`,
          redirect_uri: CB,
          code_challenge: challenge,
          code_challenge_method: "S256",
        },
        iss,
      );
      expect(res.status, path).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      const body = await json(res);
      expect(body.error).toBe("invalid_client");
      expect(body.error_description, path).toMatch(reason);
    }
  });

  it("refuses a redirect_uri not in the document", async () => {
    const { challenge } = pkce();
    const res = await authorize(
      {
        response_type: "code",
        client_id: `${base}/client.json`,
        redirect_uri: "http://127.0.0.1:7777/elsewhere",
        code_challenge: challenge,
        code_challenge_method: "S256",
      },
      iss,
    );
    expect(res.status).toBe(400);
    expect((await json(res)).error_description).toMatch(/redirect_uri is not registered/);
  });
});

// ---------- key rotation ----------

describe("key rotation", () => {
  it("keepOld keeps the previous key in the JWKS; otherwise it is dropped", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true });
    try {
      const oldKid = (await jwks(issuer)).keys[0]!.kid!;
      const oldToken = await issuer.mint();
      const kid2 = await issuer.rotateKey({ keepOld: true });
      expect(kid2).not.toBe(oldKid);
      let set = await jwks(issuer);
      expect(set.keys.map((k) => k.kid)).toEqual([kid2, oldKid]);
      const newToken = await issuer.mint();
      expect(decodeProtectedHeader(newToken).kid).toBe(kid2);
      await verify(oldToken, issuer);
      await verify(newToken, issuer);

      const kid3 = await issuer.rotateKey({ keepOld: false });
      set = await jwks(issuer);
      expect(set.keys.map((k) => k.kid)).toEqual([kid3]);
      await expect(verify(oldToken, issuer)).rejects.toMatchObject({ code: "ERR_JWKS_NO_MATCHING_KEY" });
      await verify(await issuer.mint(), issuer);
    } finally {
      await issuer.close();
    }
  });
});

// ---------- minted tokens ----------

describe("mint", () => {
  it("defaults: configured scopes, aud [res_id], iss = env URL, lifetime", async () => {
    const t = await iss.mint();
    const p = await verify(t, iss, "res_local");
    expect(p).toMatchObject({ iss: iss.url, aud: ["res_local"], scopes: SCOPES, scope: "todo:read todo:write" });
    expect(p.exp! - p.iat!).toBe(3600);
    expect(typeof p.sub).toBe("string");
    expect(typeof p.client_id).toBe("string");
  });

  it("expired, no exp, not yet valid", async () => {
    await expect(verify(await iss.mint({ expiresIn: -60 }))).rejects.toMatchObject({ code: "ERR_JWT_EXPIRED" });
    const noExp = await iss.mint({ expiresIn: null });
    expect(decodeJwt(noExp)).not.toHaveProperty("exp");
    await verify(noExp);
    await expect(verify(await iss.mint({ notBefore: 600 }))).rejects.toMatchObject({
      code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
      claim: "nbf",
    });
  });

  it("unknown key: its kid is not in the JWKS", async () => {
    const t = await iss.mint({ key: "unknown" });
    const kid = decodeProtectedHeader(t).kid;
    expect(kid).toBeTruthy();
    expect((await jwks()).keys.map((k) => k.kid)).not.toContain(kid);
    await expect(verify(t)).rejects.toMatchObject({ code: "ERR_JWKS_NO_MATCHING_KEY" });
  });

  it("scopes, audience, issuer override, extra claims", async () => {
    const t = await iss.mint({
      scopes: ["todo:read"],
      audience: "https://other.example.com",
      issuer: "https://evil.example.com",
      sub: "u1",
      clientId: "c1",
      claims: { custom: 1, sub: "u2" },
    });
    const p = decodeJwt(t);
    expect(p).toMatchObject({
      scope: "todo:read",
      scopes: ["todo:read"],
      aud: "https://other.example.com",
      iss: "https://evil.example.com",
      client_id: "c1",
      custom: 1,
      sub: "u2",
    });
    await expect(verify(t)).rejects.toMatchObject({ code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "iss" });
    const empty = decodeJwt(await iss.mint({ scopes: [] }));
    expect(empty).toMatchObject({ scope: "", scopes: [] });
  });

  it("issuerForm resource: iss = {url}/resources/{res_id}, in flows too", async () => {
    const other = await startIssuer({ port: 0, issuerForm: "resource", resourceId: "res_abc", tokenLifetime: 120, quiet: true });
    try {
      expect(other.issuer).toBe(`${other.url}/resources/res_abc`);
      expect(other.authorizationServer).toBe(other.issuer);
      const p = await verify(await other.mint(), other, "res_abc");
      expect(p.iss).toBe(other.issuer);
      expect(p.exp! - p.iat!).toBe(120);
      const clientId = await publicClient(other);
      const { code, verifier } = await getCode(clientId, {}, REDIRECT, other);
      const body = await json(
        await token(
          { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId },
          {},
          other,
        ),
      );
      expect(body.expires_in).toBe(120);
      expect((await verify(body.access_token, other)).aud).toEqual(["res_abc"]);
    } finally {
      await other.close();
    }
  });

  it("clients registered under another res id get tokens for it", async () => {
    const res = await register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }, iss, "res_second");
    const clientId = (await json(res)).client_id as string;
    const { code, verifier, location } = await getCode(clientId);
    expect(location.searchParams.get("iss")).toBe(`${iss.url}/resources/res_second`);
    const body = await json(
      await token({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId }),
    );
    expect((await verify(body.access_token)).aud).toEqual(["res_second"]);
  });
});

// ---------- dev endpoints ----------

function rawRequest(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: o.method ?? "GET", headers: o.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(o.body);
  });
}

describe("development endpoints", () => {
  it("GET /_dev/info", async () => {
    const info = await json(await fetch(`${iss.url}/_dev/info`));
    expect(info).toMatchObject({
      url: iss.url,
      issuer: iss.issuer,
      resourceId: "res_local",
      issuerForm: "env",
      authorizationServer: iss.authorizationServer,
      scopes: SCOPES,
    });
  });

  it("POST /_dev/mint and /_dev/rotate", async () => {
    const res = await fetch(`${iss.url}/_dev/mint`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ scopes: ["todo:write"], audience: ["a", "res_local"], expiresIn: 30 }),
    });
    expect(res.status).toBe(200);
    const p = await verify((await json(res)).token);
    expect(p).toMatchObject({ scopes: ["todo:write"], aud: ["a", "res_local"] });
    expect(p.exp! - p.iat!).toBe(30);

    const noExp = decodeJwt(
      (
        await json(
          await fetch(`${iss.url}/_dev/mint`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ expiresIn: null, key: "unknown" }),
          }),
        )
      ).token,
    );
    expect(noExp).not.toHaveProperty("exp");

    const empty = await fetch(`${iss.url}/_dev/mint`, { method: "POST" });
    expect(empty.status).toBe(200);

    const rot = await fetch(`${iss.url}/_dev/rotate`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ keepOld: true }),
    });
    const { kid } = await json(rot);
    expect((await jwks()).keys[0]!.kid).toBe(kid);
    expect((await jwks()).keys.length).toBeGreaterThanOrEqual(2);
  });

  it("refuses bad options, cross-origin callers and foreign Host headers", async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${iss.url}/_dev/mint`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
    await expectOAuthError(await post(JSON.stringify({ expiresIn: "soon" })), 400, "invalid_request");
    await expectOAuthError(await post(JSON.stringify({ key: "other" })), 400, "invalid_request");
    await expectOAuthError(await post(JSON.stringify({ bogus: 1 })), 400, "invalid_request");
    await expectOAuthError(await post("[1]"), 400, "invalid_request");
    await expectOAuthError(await post("{}", { Origin: "https://evil.example.com" }), 403, "access_denied");
    const rebinding = await rawRequest(`${iss.url}/_dev/info`, { headers: { Host: "evil.example.com" } });
    expect(rebinding.status).toBe(403);
    expect(JSON.parse(rebinding.body).error).toBe("access_denied");
    await expectOAuthError(
      await fetch(`${iss.url}/_dev/rotate`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"keepOld":"yes"}' }),
      400,
      "invalid_request",
    );
  });
});

// ---------- consent page ----------

describe("consent page", () => {
  it("approve issues a code; deny redirects with access_denied", async () => {
    const issuer = await startIssuer({ port: 0, consent: true, quiet: true });
    try {
      const clientId = await publicClient(issuer);
      const { challenge } = pkce();
      const params = {
        response_type: "code",
        client_id: clientId,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: "S256",
        state: "cs",
      };
      const decide = async (decision: string) => {
        const page = await authorize(params, issuer, "text/html");
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toContain("Test public client");
        expect(html).toContain("for development only");
        const id = /name="request_id" value="([^"]+)"/.exec(html)![1]!;
        return fetch(`${issuer.url}/oauth/authorize`, {
          method: "POST",
          redirect: "manual",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ request_id: id, decision }).toString(),
        });
      };
      const ok = new URL((await decide("approve")).headers.get("location")!);
      expect(ok.searchParams.get("code")).toBeTruthy();
      expect(ok.searchParams.get("state")).toBe("cs");
      const no = new URL((await decide("deny")).headers.get("location")!);
      expect(no.searchParams.get("error")).toBe("access_denied");
      expect(no.searchParams.get("state")).toBe("cs");
      expect(no.searchParams.get("code")).toBeNull();
      const stale = await fetch(`${issuer.url}/oauth/authorize`, {
        method: "POST",
        redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "request_id=nope&decision=approve",
      });
      expect(stale.status).toBe(400);
    } finally {
      await issuer.close();
    }
  });
});

// ---------- malformed input ----------

describe("malformed requests get 4xx OAuth JSON errors", () => {
  it("token endpoint", async () => {
    await expectOAuthError(await token({ grant_type: "password", username: "a" }), 400, "unsupported_grant_type");
    await expectOAuthError(await token({}), 400, "invalid_request");
    await expectOAuthError(
      await fetch(`${iss.url}/oauth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: '{"grant_type":"client_credentials"}',
      }),
      400,
      "invalid_request",
    );
    await expectOAuthError(
      await fetch(`${iss.url}/oauth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "grant_type=authorization_code&grant_type=refresh_token",
      }),
      400,
      "invalid_request",
    );
    await expectOAuthError(
      await fetch(`${iss.url}/oauth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: Buffer.from([0x67, 0x3d, 0xff, 0xfe]),
      }),
      400,
      "invalid_request",
    );
    const pub = await publicClient();
    // Missing code_verifier (PKCE) and missing code.
    await expectOAuthError(await token({ grant_type: "authorization_code", code: "x", client_id: pub }), 400, "invalid_request");
    await expectOAuthError(
      await token({ grant_type: "authorization_code", code_verifier: pkce().verifier, client_id: pub }),
      400,
      "invalid_request",
    );
    // Client authentication comes first: an unknown client is invalid_client (401).
    await expectOAuthError(await token({ grant_type: "authorization_code", code: "x", client_id: "nope" }), 401, "invalid_client");
    await expectOAuthError(await token({ grant_type: "refresh_token", refresh_token: "made-up", client_id: pub }), 400, "invalid_grant");
    await expectOAuthError(
      await token({ grant_type: "authorization_code", code: "x", code_verifier: pkce().verifier }, { Authorization: "Basic !!!" }),
      401,
      "invalid_client",
    );
  });

  it("huge bodies -> 413", async () => {
    const big = `a=${"x".repeat(200 * 1024)}`;
    await expectOAuthError(
      await fetch(`${iss.url}/oauth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: big,
      }),
      413,
      "invalid_request",
    );
    await expectOAuthError(
      await fetch(`${iss.url}/api/v1/resources/res_local/clients:register`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ pad: "x".repeat(200 * 1024) }),
      }),
      413,
      "invalid_request",
    );
  });

  it("bad JSON, wrong method, unknown path, raw garbage", async () => {
    for (const body of ["{not json", "", "null", "[]", '"s"']) {
      const res = await fetch(`${iss.url}/api/v1/resources/res_local/clients:register`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      await expectOAuthError(res, 400, "invalid_request");
    }
    const wrongMethod = await fetch(`${iss.url}/oauth/token`);
    expect(wrongMethod.headers.get("allow")).toMatch(/POST/);
    await expectOAuthError(wrongMethod, 405, "invalid_request");
    await expectOAuthError(await fetch(`${iss.url}/keys`, { method: "DELETE" }), 405, "invalid_request");
    await expectOAuthError(await fetch(`${iss.url}/nope`), 404, "not_found");
    await expectOAuthError(await fetch(`${iss.url}/oauth/token/`, { method: "POST" }), 404, "not_found");
    const repeated = await authorize({ client_id: ["a", "b"] });
    await expectOAuthError(repeated, 400, "invalid_request");

    const port = Number(new URL(iss.url).port);
    const garbage = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
      let data = "";
      socket.on("data", (c) => (data += c.toString()));
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    expect(garbage).toContain('"error":"invalid_request"');
  });

  it("still serves afterwards", async () => {
    expect((await fetch(iss.jwksUri)).status).toBe(200);
    expect((await fetch(iss.metadataUrls[0]!)).status).toBe(200);
  });
});

// ---------- the official MCP SDK client helpers ----------

describe("MCP SDK client auth helpers", () => {
  it("discover, register, authorize, exchange, refresh", async () => {
    const metadata = await discoverAuthorizationServerMetadata(`${iss.url}/resources/res_local`);
    expect(metadata?.issuer).toBe(iss.authorizationServer);
    expect(metadata?.registration_endpoint).toBe(`${iss.url}/api/v1/resources/res_local/clients:register`);

    const info = await registerClient(iss.authorizationServer, {
      metadata,
      clientMetadata: {
        redirect_uris: [REDIRECT],
        client_name: "sdk",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      },
    });
    const { authorizationUrl, codeVerifier } = await startAuthorization(iss.authorizationServer, {
      metadata,
      clientInformation: info,
      redirectUrl: REDIRECT,
      scope: "todo:read",
      state: "sdk-state",
      resource: new URL(RESOURCE),
    });
    const res = await fetch(authorizationUrl, { redirect: "manual" });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get("location")!);
    expect(loc.searchParams.get("state")).toBe("sdk-state");
    const tokens = await exchangeAuthorization(iss.authorizationServer, {
      metadata,
      clientInformation: info,
      authorizationCode: loc.searchParams.get("code")!,
      codeVerifier,
      redirectUri: REDIRECT,
      resource: new URL(RESOURCE),
    });
    expect((await verify(tokens.access_token, iss, RESOURCE)).scopes).toEqual(["todo:read"]);
    const refreshed = await refreshAuthorization(iss.authorizationServer, {
      metadata,
      clientInformation: info,
      refreshToken: tokens.refresh_token!,
      resource: new URL(RESOURCE),
    });
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await verify(refreshed.access_token, iss, RESOURCE);

    // A confidential client, through the SDK's client_secret_basic.
    const conf = await registerClient(iss.authorizationServer, {
      metadata,
      clientMetadata: { redirect_uris: [REDIRECT], token_endpoint_auth_method: "client_secret_basic" },
    });
    expect(conf.client_secret).toBeTruthy();
    const start2 = await startAuthorization(iss.authorizationServer, { metadata, clientInformation: conf, redirectUrl: REDIRECT });
    const loc2 = new URL((await fetch(start2.authorizationUrl, { redirect: "manual" })).headers.get("location")!);
    const t2 = await exchangeAuthorization(iss.authorizationServer, {
      metadata,
      clientInformation: conf,
      authorizationCode: loc2.searchParams.get("code")!,
      codeVerifier: start2.codeVerifier,
      redirectUri: REDIRECT,
    });
    expect((await verify(t2.access_token)).client_id).toBe(conf.client_id);
  });
});

// ---------- lifecycle and the CLI command ----------

describe("lifecycle", () => {
  it("a busy port fails with code EADDRINUSE", async () => {
    const port = Number(new URL(iss.url).port);
    await expect(startIssuer({ port, quiet: true })).rejects.toMatchObject({
      code: "EADDRINUSE",
      message: expect.stringContaining(String(port)),
    });
  });

  it("refuses bad options", async () => {
    await expect(startIssuer({ port: 70000 })).rejects.toThrow(/port/);
    await expect(startIssuer({ port: 0, resourceId: "local" })).rejects.toThrow(/res_/);
    await expect(startIssuer({ port: 0, tokenLifetime: 0 })).rejects.toThrow(/tokenLifetime/);
  });

  it("close() ends keep-alive connections promptly", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true });
    await fetch(issuer.jwksUri); // leaves a keep-alive socket open
    const started = Date.now();
    await issuer.close();
    await issuer.close(); // idempotent
    // Not a speed target: a server that waited for the idle socket would take Node's 5 s keep-alive timeout.
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(fetch(issuer.jwksUri)).rejects.toThrow();
  });

  it("runIssuerCommand without --json prints the URLs on stderr, nothing on stdout", async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (c) => (out += c));
    stderr.on("data", (c) => (err += c));
    const ac = new AbortController();
    const done = runIssuerCommand({ port: 0, scopes: ["a:b"], consent: true, signal: ac.signal, stdout, stderr });
    await expect.poll(() => err.includes("Ctrl+C"), { timeout: 10_000 }).toBe(true);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err)![1]!;
    expect(err).toContain(`${url}/keys`);
    expect(err).toContain(`${url}/.well-known/oauth-authorization-server/resources/res_local`);
    expect(err).toMatch(/for development only/);
    await fetch(`${url}/keys`);
    await expect.poll(() => err.includes("GET /keys -> 200"), { timeout: 5_000 }).toBe(true);
    ac.abort();
    await done;
    expect(out).toBe("");
  });

  it("with no scopes configured, any requested scope is granted", async () => {
    const open = await startIssuer({ port: 0, quiet: true });
    try {
      const clientId = await publicClient(open);
      const { code, verifier } = await getCode(clientId, { scope: "anything:goes other" }, REDIRECT, open);
      const body = await json(
        await token(
          { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId },
          {},
          open,
        ),
      );
      expect(body.scope).toBe("anything:goes other");
      expect((await json(await fetch(open.metadataUrls[0]!))).scopes_supported).toEqual([]);
    } finally {
      await open.close();
    }
  });

  it("runIssuerCommand --json prints one JSON document and stops on abort", async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (c) => (out += c));
    stderr.on("data", (c) => (err += c));
    const ac = new AbortController();
    const done = runIssuerCommand({
      port: 0,
      json: true,
      resourceId: "res_cmd",
      issuerForm: "resource",
      signal: ac.signal,
      stdout,
      stderr,
    });
    await expect.poll(() => out.includes("\n"), { timeout: 10_000 }).toBe(true);
    const doc = JSON.parse(out);
    expect(doc).toMatchObject({
      resourceId: "res_cmd",
      issuer: `${doc.url}/resources/res_cmd`,
      authorizationServer: `${doc.url}/resources/res_cmd`,
      jwksUri: `${doc.url}/keys`,
      metadataUrls: [
        `${doc.url}/.well-known/oauth-authorization-server/resources/res_cmd`,
        `${doc.url}/resources/res_cmd/.well-known/oauth-authorization-server`,
      ],
    });
    expect(err).toMatch(/for development only/);
    expect((await fetch(doc.jwksUri)).status).toBe(200);
    ac.abort();
    await done;
    expect(out.trim().split("\n")).toHaveLength(1);
    await expect(fetch(doc.jwksUri)).rejects.toThrow();
  });
});
