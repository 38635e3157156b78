import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../src/auth/config.js";
import { allScopes } from "../src/auth/scopes.js";
import { ScalekitTokenVerifier } from "../src/auth/verifier.js";
import { startServer, type RunningServer } from "../src/server.js";
import { toolScopes } from "../src/tools.js";
import { TestIssuer, type MintOptions } from "./issuer.js";

// The public URL differs from where the test server listens, as behind a TLS
// proxy: everything the server advertises must come from MCP_SERVER_URL.
const PUBLIC_URL = "https://mcp.example.com/mcp";
const PRM_URL = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
const RESOURCE_ID = "res_test";
const SCOPES = allScopes(toolScopes);
const scopedTools = Object.entries(toolScopes as Record<string, readonly string[]>).filter(([, s]) => s.length > 0);

let issuer: TestIssuer;
const servers: RunningServer[] = [];

beforeAll(async () => {
  issuer = await TestIssuer.start();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await issuer.close();
});

function configFor(envUrl = issuer.url): Config {
  return loadConfig({ SCALEKIT_ENVIRONMENT_URL: envUrl, SCALEKIT_RESOURCE_ID: RESOURCE_ID, MCP_SERVER_URL: PUBLIC_URL });
}

/** A fresh server, with a fresh verifier (empty key cache). */
async function start(config = configFor(), refreshCooldownMs?: number): Promise<RunningServer> {
  const verifier = new ScalekitTokenVerifier(config, { refreshCooldownMs, log: () => {} });
  const server = await startServer(config, { port: 0, host: "127.0.0.1", verifier });
  servers.push(server);
  return server;
}

const mint = (o: MintOptions = {}) => issuer.mint(RESOURCE_ID, { scopes: SCOPES, ...o });

let nextId = 1;
function rpc(server: RunningServer, body: unknown, token?: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}/mcp`, {
    method: "POST",
    ...init,
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(init.headers as Record<string, string> | undefined),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
const call = (name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id: nextId++,
  method: "tools/call",
  params: { name, arguments: args },
});

/** The parameters of a `WWW-Authenticate: Bearer ...` header. */
function challengeParams(response: Response): Record<string, string> {
  const header = response.headers.get("www-authenticate") ?? "";
  expect(header).toMatch(/^Bearer /);
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) params[m[1]!] = m[2]!.replace(/\\(.)/g, "$1");
  return params;
}

describe("protected resource metadata", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
    it(`is served at ${path}`, async () => {
      const response = await fetch(server.url + path);
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(await response.json()).toEqual({
        resource: PUBLIC_URL,
        authorization_servers: [`${issuer.url}/resources/${RESOURCE_ID}`],
        scopes_supported: SCOPES,
        bearer_methods_supported: ["header"],
        resource_name: expect.any(String),
      });
      const preflight = await fetch(server.url + path, { method: "OPTIONS" });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    });
  }
});

describe("challenges", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  it("answers 401 without error= when no token is sent", async () => {
    const response = await rpc(server, call("whoami"));
    expect(response.status).toBe(401);
    const params = challengeParams(response);
    expect(params.resource_metadata).toBe(PRM_URL);
    expect(params.error).toBeUndefined();
    if (SCOPES.length > 0) expect(params.scope).toBe(SCOPES.join(" "));
    expect(response.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/i);
    expect(await response.json()).toMatchObject({ error: expect.any(String) });
  });

  it("ignores a token in the query string", async () => {
    const token = await mint();
    const response = await fetch(`${server.url}/mcp?access_token=${token}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify(call("whoami")),
    });
    expect(response.status).toBe(401);
    expect(challengeParams(response).error).toBeUndefined();
  });

  it("treats a non-Bearer scheme as no credentials", async () => {
    const response = await rpc(server, call("whoami"), undefined, { headers: { Authorization: "Basic dXNlcjpwYXNz" } });
    expect(response.status).toBe(401);
    expect(challengeParams(response).error).toBeUndefined();
  });

  const invalid: [string, () => Promise<string>][] = [
    ["an expired token", () => mint({ expiresIn: -60 })],
    ["a token not valid yet", () => mint({ notBefore: 600 })],
    ["a token without exp", () => mint({ expiresIn: null })],
    ["a token for another audience", () => mint({ audience: ["https://other.example.com/mcp", "res_other"] })],
    ["a token from another issuer", () => mint({ issuer: "https://evil.example.com" })],
    ["a token signed by another key", () => mint({ key: "other" })],
    ["a token with an unknown key id", () => mint({ kid: "no-such-key" })],
    ["an unsigned token (alg none)", async () => `${b64({ alg: "none", kid: "key-1" })}.${b64({ sub: "x" })}.`],
    ["an HS256 token", async () => `${b64({ alg: "HS256", kid: "key-1" })}.${b64({ sub: "x" })}.c2ln`],
    ["garbage", async () => "not-a-jwt"],
    ["an oversized token", async () => `${b64({ alg: "RS256", kid: "key-1" })}.${"a".repeat(10_000)}.c2ln`],
  ];
  for (const [what, token] of invalid) {
    it(`answers 401 invalid_token to ${what}`, async () => {
      const response = await rpc(server, call("whoami"), await token());
      expect(response.status).toBe(401);
      const params = challengeParams(response);
      expect(params.error).toBe("invalid_token");
      expect(params.resource_metadata).toBe(PRM_URL);
      expect(await response.json()).toMatchObject({ error: "invalid_token" });
    });
  }

  it.skipIf(scopedTools.length === 0)("answers 403 insufficient_scope with the needed and granted scopes", async () => {
    for (const [tool, needed] of scopedTools) {
      const granted = SCOPES.filter((s) => !needed.includes(s));
      const response = await rpc(server, call(tool), await mint({ scopes: granted }));
      expect(response.status).toBe(403);
      const params = challengeParams(response);
      expect(params.error).toBe("insufficient_scope");
      expect(params.resource_metadata).toBe(PRM_URL);
      expect(params.scope?.split(" ").sort()).toEqual([...new Set([...needed, ...granted])].sort());
    }
  });

  it.skipIf(scopedTools.length === 0)("checks every call of a JSON-RPC batch", async () => {
    const [tool] = scopedTools[0]!;
    const response = await rpc(server, [call("whoami"), call(tool)], await mint({ scopes: [] }));
    expect(response.status).toBe(403);
  });

  it("answers 400, not 500, to a malformed body", async () => {
    const response = await rpc(server, "{not json", await mint());
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32700 } });
  });

  it("answers preflight without a token and 405 to GET with one", async () => {
    const preflight = await fetch(`${server.url}/mcp`, { method: "OPTIONS" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect((await fetch(`${server.url}/mcp`)).status).toBe(401);
    const get = await fetch(`${server.url}/mcp`, { headers: { Authorization: `Bearer ${await mint()}` } });
    expect(get.status).toBe(405);
  });
});

describe("valid tokens", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  it("run whoami through the official MCP client", async () => {
    const token = await mint({ sub: "alice" });
    const client = new Client({ name: "test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    const result = await client.callTool({ name: "whoami", arguments: {} });
    expect(result.structuredContent).toMatchObject({ subject: "alice", clientId: "client-test", scopes: SCOPES });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(toolScopes).sort());
    await client.close();
  });

  it.skipIf(scopedTools.length === 0)("run a scoped tool when the token has its scope", async () => {
    for (const [tool, needed] of scopedTools) {
      const response = await rpc(server, call(tool, { message: "hi" }), await mint({ scopes: [...needed] }));
      expect(response.status).toBe(200);
      expect(JSON.stringify(await response.json())).toContain("ran for user-123");
    }
  });

  const accepted: [string, () => MintOptions][] = [
    ["the environment URL as issuer", () => ({ issuer: issuer.url })],
    ["the per-resource issuer", () => ({ issuer: `${issuer.url}/resources/${RESOURCE_ID}` })],
    ["the resource id as audience", () => ({ audience: RESOURCE_ID })],
    ["the server URL as audience", () => ({ audience: PUBLIC_URL })],
    ["the server URL with a trailing slash as audience", () => ({ audience: `${PUBLIC_URL}/` })],
    ["scopes only in the `scope` string", () => ({ scopeClaim: "scope" })],
    ["scopes only in the `scopes` array", () => ({ scopeClaim: "scopes" })],
  ];
  for (const [what, options] of accepted) {
    it(`accept ${what}`, async () => {
      const response = await rpc(server, call("whoami"), await mint(options()));
      expect(response.status).toBe(200);
      const { result } = (await response.json()) as { result: { structuredContent: unknown } };
      expect(result.structuredContent).toEqual({ subject: "user-123", clientId: "client-test", scopes: SCOPES });
    });
  }
});

describe("signing keys", () => {
  it("answers 401, not 500, when the key set cannot be fetched", async () => {
    issuer.failWith = 503;
    try {
      const server = await start();
      const response = await rpc(server, call("whoami"), await mint());
      expect(response.status).toBe(401);
      expect(challengeParams(response).error).toBe("invalid_token");
    } finally {
      issuer.failWith = undefined;
    }
    const unreachable = await start(configFor("http://127.0.0.1:9"));
    expect((await rpc(unreachable, call("whoami"), await mint())).status).toBe(401);
  });

  it("fetches the key set once for 100 concurrent first requests", async () => {
    const server = await start();
    const token = await mint();
    const before = issuer.keysRequests;
    issuer.delayMs = 200; // all 100 arrive while the first fetch is in flight
    try {
      const responses = await Promise.all(Array.from({ length: 100 }, () => rpc(server, call("whoami"), token)));
      expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    } finally {
      issuer.delayMs = 0;
    }
    expect(issuer.keysRequests - before).toBe(1);
  });

  it("accepts a rotated key without a restart, and refreshes at most once per cooldown", async () => {
    const server = await start();
    expect((await rpc(server, call("whoami"), await mint())).status).toBe(200);
    await issuer.rotate();
    const before = issuer.keysRequests;
    expect((await rpc(server, call("whoami"), await mint())).status).toBe(200);
    expect(issuer.keysRequests - before).toBe(1);
    // Unknown key ids right after a refresh do not make the server fetch again.
    for (let i = 0; i < 5; i++) expect((await rpc(server, call("whoami"), await mint({ kid: `forged-${i}` }))).status).toBe(401);
    expect(issuer.keysRequests - before).toBe(1);
  });

  it("remembers a verified token only until it expires", async () => {
    const server = await start();
    const token = await mint({ expiresIn: 2 });
    expect((await rpc(server, call("whoami"), token)).status).toBe(200);
    expect((await rpc(server, call("whoami"), token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await rpc(server, call("whoami"), token)).status).toBe(401);
  });

  it("forgets remembered tokens when the key set is refreshed", async () => {
    const server = await start(configFor(), 0);
    const old = await mint();
    expect((await rpc(server, call("whoami"), old)).status).toBe(200);
    await issuer.rotate(); // the old key leaves the key set
    expect((await rpc(server, call("whoami"), await mint())).status).toBe(200);
    expect((await rpc(server, call("whoami"), old)).status).toBe(401);
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
