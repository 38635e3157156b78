import { request as httpRequest } from "node:http";
import { Client, InsufficientScopeError, SdkHttpError, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../src/auth/config.js";
import { createVerifier } from "../src/auth/provider.js";
import { allScopes } from "../src/auth/scopes.js";
import { type RunningServer, startServer } from "../src/server.js";
import { scopeHierarchy, toolScopes } from "../src/tools.js";
import { type MintOptions, TestIssuer } from "./issuer.js";
import { authorizationServerFor, otherAudience, providerEnv, tokenAudience } from "./provider-env.js";
import { rpcResult } from "./rpc.js";

// The public URL differs from where the test server listens, as behind a TLS
// proxy: everything the server advertises must come from MCP_SERVER_URL.
const PUBLIC_URL = "https://mcp.example.com/mcp";
const PRM_URL = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
const SCOPES = allScopes(toolScopes, scopeHierarchy);
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

function configFor(env: Record<string, string> = {}): Config {
  return loadConfig({ ...providerEnv(issuer.url), MCP_SERVER_URL: PUBLIC_URL, ...env });
}

/** A fresh server with a fresh verifier (empty key cache), quiet. */
async function start(config = configFor(), log: (line: string) => void = () => {}): Promise<RunningServer> {
  const verifier = createVerifier(config, { keySet: { log: () => {} } });
  const server = await startServer(config, { port: 0, host: "127.0.0.1", verifier, log });
  servers.push(server);
  return server;
}

const mint = (o: MintOptions = {}) => issuer.mint({ audience: tokenAudience(PUBLIC_URL), scopes: SCOPES, ...o });

type Era = "2026-07-28" | "2025-11-25";
const ERAS: Era[] = ["2026-07-28", "2025-11-25"];
const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "test", version: "1.0.0" },
};

let nextId = 1;
function call(era: Era, name: string, args: Record<string, unknown> = {}) {
  return {
    jsonrpc: "2.0",
    id: nextId++,
    method: "tools/call",
    params: { name, arguments: args, ...(era === "2026-07-28" ? { _meta: MODERN_META } : {}) },
  };
}

interface PostOptions {
  token?: string;
  era?: Era;
  headers?: Record<string, string>;
}

/** A raw POST of one JSON-RPC body, with the headers a client of `era` sends. */
function post(server: RunningServer, body: unknown, o: PostOptions = {}): Promise<Response> {
  const era = o.era ?? "2025-11-25";
  const message = (Array.isArray(body) ? undefined : body) as { method?: string; params?: { name?: string } } | undefined;
  return fetch(`${server.url}/mcp`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "MCP-Protocol-Version": era,
      ...(era === "2026-07-28" && message?.method ? { "Mcp-Method": message.method } : {}),
      ...(era === "2026-07-28" && message?.params?.name ? { "Mcp-Name": message.params.name } : {}),
      ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}),
      ...o.headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The parameters of a `WWW-Authenticate: Bearer ...` header. */
function challengeParams(response: Response): Record<string, string> {
  const header = response.headers.get("www-authenticate") ?? "";
  expect(header).toMatch(/^Bearer /);
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) params[m[1]!] = m[2]!.replace(/\\(.)/g, "$1");
  return params;
}

/** The official MCP client (SDK v2) of one era, with a fixed token. */
async function connect(server: RunningServer, era: Era, token?: string): Promise<Client> {
  const client = new Client(
    { name: "test", version: "1.0.0" },
    era === "2026-07-28" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {},
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      ...(token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {}),
    }),
  );
  return client;
}

describe("protected resource metadata", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
    it(`is served at ${path}, to any origin, without offline_access`, async () => {
      const response = await fetch(server.url + path, { headers: { Origin: "https://evil.example" } });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      const metadata = (await response.json()) as { scopes_supported: string[] };
      expect(metadata).toEqual({
        resource: PUBLIC_URL,
        authorization_servers: [authorizationServerFor(issuer.url)],
        scopes_supported: SCOPES,
        bearer_methods_supported: ["header"],
        resource_name: expect.any(String),
      });
      expect(metadata.scopes_supported).not.toContain("offline_access");
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
    const response = await post(server, call("2025-11-25", "whoami"));
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
      body: JSON.stringify(call("2025-11-25", "whoami")),
    });
    expect(response.status).toBe(401);
    expect(challengeParams(response).error).toBeUndefined();
  });

  it("treats a non-Bearer scheme as no credentials", async () => {
    const response = await post(server, call("2025-11-25", "whoami"), { headers: { Authorization: "Basic dXNlcjpwYXNz" } });
    expect(response.status).toBe(401);
    expect(challengeParams(response).error).toBeUndefined();
  });

  const invalid: [string, () => Promise<string>][] = [
    ["an expired token", () => mint({ expiresIn: -60 })],
    ["a token not valid yet", () => mint({ notBefore: 600 })],
    ["a token without exp", () => mint({ expiresIn: null })],
    ["a token for another audience", () => mint({ audience: otherAudience })],
    ["a token from another issuer", () => mint({ issuer: "https://evil.example.com" })],
    ["a token signed by another key", () => mint({ key: "other" })],
    ["a token with an unknown key id", () => mint({ kid: "no-such-key" })],
    ["an ID token (at_hash)", () => mint({ typ: "JWT", claims: { at_hash: "x" } })],
    ["a token of another type", () => mint({ typ: "logout+jwt" })],
    ["an unsigned token (alg none)", async () => `${b64({ alg: "none", kid: "key-1" })}.${b64({ sub: "x" })}.`],
    ["an unsigned token with a signature", async () => `${b64({ alg: "none", kid: "key-1" })}.${b64({ sub: "x" })}.c2ln`],
    ["an HS256 token", async () => `${b64({ alg: "HS256", kid: "key-1" })}.${b64({ sub: "x" })}.c2ln`],
    ["garbage", async () => "not-a-jwt"],
    ["an oversized token", async () => `${b64({ alg: "RS256", kid: "key-1" })}.${"a".repeat(10_000)}.c2ln`],
  ];
  for (const [what, token] of invalid) {
    it(`answers 401 invalid_token to ${what}`, async () => {
      const response = await post(server, call("2025-11-25", "whoami"), { token: await token() });
      expect(response.status).toBe(401);
      const params = challengeParams(response);
      expect(params.error).toBe("invalid_token");
      expect(params.resource_metadata).toBe(PRM_URL);
      expect(await response.json()).toMatchObject({ error: "invalid_token" });
    });
  }

  it("answers 400, not 500, to a malformed body, and 415 to a body that is not JSON", async () => {
    const malformed = await post(server, "{not json", { token: await mint() });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: -32700 } });
    const text = await post(server, "hello", { token: await mint(), headers: { "Content-Type": "text/plain" } });
    expect(text.status).toBe(415);
  });

  it("answers 413 to a body larger than 1 MB", async () => {
    const response = await post(server, JSON.stringify({ padding: "x".repeat(1024 * 1024) }), { token: await mint() });
    expect(response.status).toBe(413);
  });

  it("answers preflight without a token, 401 to GET without one and 405 to GET with one", async () => {
    const preflight = await fetch(`${server.url}/mcp`, { method: "OPTIONS" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect((await fetch(`${server.url}/mcp`)).status).toBe(401);
    const get = await fetch(`${server.url}/mcp`, { headers: { Authorization: `Bearer ${await mint()}` } });
    expect(get.status).toBe(405);
  });
});

describe.each(ERAS)("the %s protocol era", (era) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  it("lists and calls tools through the official MCP client", async () => {
    const client = await connect(server, era, await mint({ sub: "alice" }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(toolScopes).sort());
      const result = await client.callTool({ name: "whoami", arguments: {} });
      expect(result.structuredContent).toMatchObject({ subject: "alice", clientId: "client-test", scopes: SCOPES });
      for (const [tool] of scopedTools) {
        const ran = await client.callTool({ name: tool, arguments: { message: "hi" } });
        expect(JSON.stringify(ran.content)).toContain("ran for alice");
      }
    } finally {
      await client.close();
    }
  });

  it("the official MCP client gets 401 without a token", async () => {
    const error = await connect(server, era).then(
      (client) => client.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SdkHttpError);
    expect((error as SdkHttpError).status).toBe(401);
  });

  it.runIf(scopedTools.length > 0)("the official MCP client gets 403 insufficient_scope without a tool's scope", async () => {
    const [tool, needed] = scopedTools[0]!;
    const client = await connect(server, era, await mint({ scopes: [] }));
    try {
      const error = await client.callTool({ name: tool, arguments: {} }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InsufficientScopeError);
      expect((error as InsufficientScopeError).requiredScope?.split(" ")).toEqual(expect.arrayContaining([...needed]));
    } finally {
      await client.close();
    }
  });

  it.runIf(scopedTools.length > 0)("answers 403 insufficient_scope naming every scope the call needs, plus those granted", async () => {
    for (const [tool, needed] of scopedTools) {
      const granted = SCOPES.filter((s) => !needed.includes(s));
      const response = await post(server, call(era, tool), { era, token: await mint({ scopes: granted }) });
      expect(response.status).toBe(403);
      const params = challengeParams(response);
      expect(params.error).toBe("insufficient_scope");
      expect(params.resource_metadata).toBe(PRM_URL);
      expect(params.scope?.split(" ").sort()).toEqual([...new Set([...needed, ...granted])].sort());
      expect(params.scope?.split(" ")).not.toContain("offline_access");
    }
  });

  it.runIf(scopedTools.length > 0)("runs a scoped tool for a token with its scope, raw HTTP", async () => {
    for (const [tool, needed] of scopedTools) {
      const response = await post(server, call(era, tool, { message: "hi" }), { era, token: await mint({ scopes: [...needed] }) });
      expect(response.status).toBe(200);
      expect(JSON.stringify(await rpcResult(response))).toContain("ran for user-123");
    }
  });
});

describe("the scope decision is made on the body, never on Mcp-Name", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  it.runIf(scopedTools.length > 0)("a header naming an open tool does not open a scoped one", async () => {
    const [tool] = scopedTools[0]!;
    const response = await post(server, call("2026-07-28", tool), {
      era: "2026-07-28",
      token: await mint({ scopes: [] }),
      headers: { "Mcp-Name": "whoami" },
    });
    expect(response.status).toBe(403);
  });

  it.runIf(scopedTools.length > 0)(
    "a header naming a scoped tool does not refuse an open one: the SDK answers the mismatch 400",
    async () => {
      const [tool] = scopedTools[0]!;
      const response = await post(server, call("2026-07-28", "whoami"), {
        era: "2026-07-28",
        token: await mint({ scopes: [] }),
        headers: { "Mcp-Name": tool },
      });
      expect(response.status).toBe(400);
      expect((await rpcResult(response)).error?.code).toBe(-32020);
    },
  );
});

describe("JSON-RPC batches (the 2025-03-26 era)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  it.runIf(scopedTools.length > 0)("needs the scopes of every call in the batch", async () => {
    const [tool] = scopedTools[0]!;
    const batch = [call("2025-11-25", "whoami"), call("2025-11-25", tool)];
    const refused = await post(server, batch, { token: await mint({ scopes: [] }), headers: { "MCP-Protocol-Version": "2025-03-26" } });
    expect(refused.status).toBe(403);
    const allowed = await post(server, batch, { token: await mint(), headers: { "MCP-Protocol-Version": "2025-03-26" } });
    expect(allowed.status).toBeLessThan(300);
  });
});

describe("DNS-rebinding protection", () => {
  it("refuses a foreign Origin with 403 before any auth work, and allows its own and MCP_ALLOWED_ORIGINS", async () => {
    const server = await start(configFor({ MCP_ALLOWED_ORIGINS: "https://app.example.com" }));
    const token = await mint();
    const foreign = await post(server, call("2025-11-25", "whoami"), { headers: { Origin: "https://evil.example" } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("www-authenticate")).toBeNull();
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    expect((await post(server, call("2025-11-25", "whoami"), { token, headers: { Origin: "http://localhost:6274" } })).status).toBe(403);
    for (const origin of ["https://mcp.example.com", "https://app.example.com"]) {
      const allowed = await post(server, call("2025-11-25", "whoami"), { token, headers: { Origin: origin } });
      expect(allowed.status, origin).toBe(200);
      expect(allowed.headers.get("access-control-allow-origin")).toBe(origin);
    }
    // No Origin: a server-to-server client.
    expect((await post(server, call("2025-11-25", "whoami"), { token })).status).toBe(200);
  });

  it("on a local server: any loopback origin is allowed, and Host must be this machine", async () => {
    const port = 39_000 + Math.floor(Math.random() * 1000);
    const config = loadConfig({ ...providerEnv(issuer.url), MCP_SERVER_URL: `http://localhost:${port}/mcp`, PORT: String(port) });
    const verifier = createVerifier(config, { keySet: { log: () => {} } });
    const server = await startServer(config, { port: 0, host: config.host, verifier, log: () => {} });
    servers.push(server);
    const token = await issuer.mint({ audience: tokenAudience(`http://localhost:${port}/mcp`), scopes: SCOPES });
    expect((await post(server, call("2025-11-25", "whoami"), { token, headers: { Origin: "http://localhost:6274" } })).status).toBe(200);
    expect((await post(server, call("2025-11-25", "whoami"), { token, headers: { Origin: "https://evil.example" } })).status).toBe(403);
    // A page on evil.example whose name resolves to 127.0.0.1 sends its own Host (fetch cannot set Host).
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify(call("2025-11-25", "whoami"));
        const req = httpRequest(`${server.url}/mcp`, {
          method: "POST",
          headers: {
            Host: host,
            Authorization: `Bearer ${token}`,
            "Content-Type": "application/json",
            Accept: "application/json, text/event-stream",
          },
        });
        req.on("response", (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end(body);
      });
    expect(await withHost(`evil.example:${port}`)).toBe(403);
    expect(await withHost(`localhost:${port}`)).toBe(200);
  });
});

describe("valid tokens", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  const accepted: [string, () => MintOptions][] = [
    ["scopes only in the `scope` string", () => ({ scopeClaim: "scope" })],
    ["scopes only in the `scopes` array", () => ({ scopeClaim: "scopes" })],
    ["scopes only in the `scp` array", () => ({ scopeClaim: "scp" })],
    ["a plain JWT type", () => ({ typ: "JWT" })],
    ["an ES256 signature", () => ({ key: "es256" })],
    ["the server URL as audience", () => ({ audience: PUBLIC_URL })],
  ];
  for (const [what, options] of accepted) {
    it(`accept ${what}`, async () => {
      const response = await post(server, call("2025-11-25", "whoami"), { token: await mint(options()) });
      expect(response.status).toBe(200);
      const { result } = await rpcResult(response);
      expect(result?.structuredContent).toEqual({ subject: "user-123", clientId: "client-test", scopes: SCOPES });
    });
  }
});

describe("operations", () => {
  it("GET /healthz answers 200 without a token and tells nothing about the configuration", async () => {
    const server = await start();
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: "ok" });
    for (const secret of [issuer.url, "mcp.example.com", "res_"]) expect(text).not.toContain(secret);
    expect((await fetch(`${server.url}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("logs one JSON line per request, with the caller and the tool, never the token", async () => {
    const lines: string[] = [];
    const server = await start(configFor(), (line) => lines.push(line));
    const token = await mint({ sub: "alice", clientId: "client-9" });
    await post(server, call("2025-11-25", "whoami"), { token });
    await fetch(`${server.url}/mcp?access_token=${token}`, { method: "POST" });
    await fetch(`${server.url}/healthz`);
    expect(lines).toHaveLength(3);
    const [called, refused, health] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(called).toMatchObject({
      method: "POST",
      path: "/mcp",
      status: 200,
      rpcMethod: "tools/call",
      tool: "whoami",
      subject: "alice",
      clientId: "client-9",
    });
    expect(called).toEqual(expect.objectContaining({ time: expect.any(String), durationMs: expect.any(Number) }));
    expect(refused).toMatchObject({ path: "/mcp", status: 401 });
    expect(health).toMatchObject({ method: "GET", path: "/healthz", status: 200 });
    for (const line of lines) expect(line).not.toContain(token.slice(-20));
  });

  it("close() lets a request in flight finish, then stops", async () => {
    const server = await start();
    const token = await mint();
    const body = JSON.stringify(call("2025-11-25", "whoami"));
    const answered = new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/mcp`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          "Content-Length": Buffer.byteLength(body),
        },
      });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.write(body.slice(0, 10)); // the request is in flight, its body half sent
      setTimeout(() => req.end(body.slice(10)), 300);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = server.close();
    expect(await answered).toBe(200);
    await closed;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
