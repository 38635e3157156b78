import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allScopes } from "../src/scopes.js";
import { scopeHierarchy, toolScopes } from "../src/tool-scopes.js";
import { type MintOptions, TestIssuer } from "./issuer.js";
import { ENDPOINT, START } from "./project.js";
import { authorizationServerFor, otherAudience, providerEnv, tokenAudience } from "./provider-env.js";
import { rpcResult } from "./rpc.js";

// The server as it runs (its own start command, a child process), in front of
// a test authorization server. The public URL differs from where it listens,
// as behind a TLS proxy: everything it advertises must come from MCP_SERVER_URL.
const PUBLIC_ORIGIN = "https://mcp.example.com";
const PUBLIC_URL = `${PUBLIC_ORIGIN}${ENDPOINT === "/" ? "" : ENDPOINT}`;
const PRM_PATH = `/.well-known/oauth-protected-resource${ENDPOINT === "/" ? "" : ENDPOINT}`;
const SCOPES = allScopes(toolScopes, scopeHierarchy);
const scopedTools = Object.entries(toolScopes as Record<string, readonly string[]>).filter(([, s]) => s.length > 0);

interface Running {
  /** Where the child listens, e.g. http://127.0.0.1:41234 */
  url: string;
  child: ChildProcess;
}

let issuer: TestIssuer;
const children: ChildProcess[] = [];
beforeAll(async () => {
  issuer = await TestIssuer.start();
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await issuer.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the server with the test issuer's settings, resolves once its metadata answers. */
async function start(env: Record<string, string> = {}, publicUrl = PUBLIC_URL): Promise<Running> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, START, {
    env: { ...process.env, ...providerEnv(issuer.url), MCP_SERVER_URL: publicUrl, PORT: String(port), HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(url + PRM_PATH).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return { url, child };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
function message(era: Era, method: string, params: Record<string, unknown> = {}) {
  return { jsonrpc: "2.0", id: nextId++, method, params: { ...params, ...(era === "2026-07-28" ? { _meta: MODERN_META } : {}) } };
}
const call = (era: Era, name: string, args: Record<string, unknown> = {}) => message(era, "tools/call", { name, arguments: args });

interface PostOptions {
  token?: string;
  era?: Era;
  headers?: Record<string, string>;
}

/** A raw POST of one JSON-RPC body, with the headers a client of `era` sends. */
function post(server: Running, body: unknown, o: PostOptions = {}): Promise<Response> {
  const era = o.era ?? "2025-11-25";
  const sent = (Array.isArray(body) ? undefined : body) as { method?: string; params?: { name?: string } } | undefined;
  return fetch(server.url + ENDPOINT, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "MCP-Protocol-Version": era,
      ...(era === "2026-07-28" && sent?.method ? { "Mcp-Method": sent.method } : {}),
      ...(era === "2026-07-28" && sent?.params?.name ? { "Mcp-Name": sent.params.name } : {}),
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

let server: Running;
beforeAll(async () => {
  server = await start({ MCP_ALLOWED_ORIGINS: "https://app.example.com" });
}, 60_000);

describe("protected resource metadata", () => {
  for (const path of [PRM_PATH, "/.well-known/oauth-protected-resource"]) {
    it(`is served at ${path}, to any origin, without offline_access`, async () => {
      const response = await fetch(server.url + path, { headers: { Origin: "https://evil.example" } });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      const metadata = (await response.json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({
        resource: PUBLIC_URL,
        authorization_servers: [authorizationServerFor(issuer.url)],
        scopes_supported: SCOPES,
        bearer_methods_supported: ["header"],
      });
      expect(metadata.scopes_supported).not.toContain("offline_access");
      const preflight = await fetch(server.url + path, { method: "OPTIONS" });
      expect(preflight.status).toBe(204);
    });
  }
});

describe("challenges", () => {
  it("answers 401 without error= when no token is sent", async () => {
    const response = await post(server, message("2025-11-25", "tools/list"));
    expect(response.status).toBe(401);
    const params = challengeParams(response);
    expect(params.resource_metadata).toBe(PUBLIC_ORIGIN + PRM_PATH);
    expect(params.error).toBeUndefined();
    if (SCOPES.length > 0) expect(params.scope).toBe(SCOPES.join(" "));
    expect(response.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/i);
  });

  it("ignores a token in the query string, and a non-Bearer scheme", async () => {
    const token = await mint();
    const query = await fetch(`${server.url}${ENDPOINT}?access_token=${token}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify(message("2025-11-25", "tools/list")),
    });
    expect(query.status).toBe(401);
    expect(challengeParams(query).error).toBeUndefined();
    const basic = await post(server, message("2025-11-25", "tools/list"), { headers: { Authorization: "Basic dXNlcjpwYXNz" } });
    expect(basic.status).toBe(401);
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
    ["an unsigned token (alg none)", async () => `${b64({ alg: "none", kid: "key-1" })}.${b64({ sub: "x" })}.`],
    ["an HS256 token", async () => `${b64({ alg: "HS256", kid: "key-1" })}.${b64({ sub: "x" })}.c2ln`],
    ["garbage", async () => "not-a-jwt"],
  ];
  for (const [what, token] of invalid) {
    it(`answers 401 invalid_token to ${what}`, async () => {
      const response = await post(server, message("2025-11-25", "tools/list"), { token: await token() });
      expect(response.status).toBe(401);
      const params = challengeParams(response);
      expect(params.error).toBe("invalid_token");
      expect(params.resource_metadata).toBe(PUBLIC_ORIGIN + PRM_PATH);
    });
  }

  it("answers 400, not 500, to a malformed body, and 413 to a body larger than 1 MB", async () => {
    const malformed = await post(server, "{not json", { token: await mint() });
    expect(malformed.status).toBe(400);
    const large = await post(server, JSON.stringify({ padding: "x".repeat(1024 * 1024) }), { token: await mint() });
    expect(large.status).toBe(413);
  });

  it("answers the CORS preflight without a token, naming Authorization", async () => {
    const preflight = await fetch(server.url + ENDPOINT, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization/i);
  });
});

describe.each(ERAS)("the %s protocol era", (era) => {
  it("lists the tools for a valid token", async () => {
    const response = await post(server, message(era, "tools/list"), { era, token: await mint() });
    expect(response.status).toBe(200);
    const { result } = await rpcResult(response);
    const names = ((result?.tools ?? []) as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(scopedTools.map(([tool]) => tool)));
  });

  it("answers 403 insufficient_scope to each scoped tool, naming every scope it needs plus those granted", async () => {
    for (const [tool, needed] of scopedTools) {
      const granted = SCOPES.filter((s) => !needed.includes(s));
      const response = await post(server, call(era, tool), { era, token: await mint({ scopes: granted }) });
      expect(response.status, tool).toBe(403);
      const params = challengeParams(response);
      expect(params.error).toBe("insufficient_scope");
      expect(params.resource_metadata).toBe(PUBLIC_ORIGIN + PRM_PATH);
      expect(params.scope?.split(" ").sort()).toEqual([...new Set([...needed, ...granted])].sort());
      expect(params.scope?.split(" ")).not.toContain("offline_access");
    }
  });

  it("runs each scoped tool for a token with its scopes", async () => {
    for (const [tool, needed] of scopedTools) {
      const response = await post(server, call(era, tool), { era, token: await mint({ scopes: [...needed] }) });
      expect(response.status, tool).toBe(200);
      await response.body?.cancel();
    }
  });
});

describe("DNS-rebinding protection", () => {
  it("refuses a foreign Origin with 403 before any auth work, and allows its own and MCP_ALLOWED_ORIGINS", async () => {
    const token = await mint();
    const foreign = await post(server, message("2025-11-25", "tools/list"), { headers: { Origin: "https://evil.example" } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("www-authenticate")).toBeNull();
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    for (const origin of [PUBLIC_ORIGIN, "https://app.example.com"]) {
      const allowed = await post(server, message("2025-11-25", "tools/list"), { token, headers: { Origin: origin } });
      expect(allowed.status, origin).toBe(200);
      expect(allowed.headers.get("access-control-allow-origin")).toBe(origin);
    }
  });

  it("on a local server: a loopback origin is allowed, and Host must be this machine", async () => {
    const port = await freePort();
    const localUrl = `http://localhost:${port}${ENDPOINT === "/" ? "" : ENDPOINT}`;
    const local = await start({ PORT: String(port) }, localUrl);
    const token = await issuer.mint({ audience: tokenAudience(localUrl), scopes: SCOPES });
    const list = message("2025-11-25", "tools/list");
    expect((await post(local, list, { token, headers: { Origin: "http://localhost:6274" } })).status).toBe(200);
    expect((await post(local, list, { token, headers: { Origin: "https://evil.example" } })).status).toBe(403);
    // A page on evil.example whose name resolves to 127.0.0.1 sends its own Host (fetch cannot set Host).
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(local.url + ENDPOINT, {
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
        req.end(JSON.stringify(list));
      });
    expect(await withHost(`evil.example:${port}`)).toBe(403);
    expect(await withHost(`localhost:${port}`)).toBe(200);
  }, 60_000);
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
