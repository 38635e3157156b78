/**
 * The local issuer next to a hostile browser (issue 12 point 7): client ID
 * metadata documents only from public https hosts (checked after DNS, the
 * checked address is the one connected to, no redirects) or loopback http with
 * allowLocalCimd; one uniform error for every refused or failed fetch;
 * auto-approval only for loopback redirect URIs; CORS and Host rules; /_dev/*
 * loopback-only; and the cross-site token chain failing at its first step.
 *
 * Every server here listens on 127.0.0.1, and no request leaves loopback: names
 * other than localhost are only resolved by an injected lookup, in unit tests
 * that never connect.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Lookup } from "../src/issuer/cimd.js";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";

const LOOPBACK_REDIRECT = "http://127.0.0.1:6274/oauth/callback";

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** A loopback server that counts connections and serves client ID metadata documents. */
interface DocServer {
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

async function startDocServer(): Promise<DocServer> {
  const state = { connections: 0, requests: [] as string[] };
  const server: Server = createServer((req, res) => {
    state.requests.push(req.url ?? "");
    const self = `http://${req.headers.host}${req.url}`;
    const path = req.url ?? "";
    if (path === "/client.json") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ client_id: self, client_name: "CIMD app", redirect_uris: [LOOPBACK_REDIRECT] }));
    } else if (path === "/redirect.json") {
      res.writeHead(302, { Location: "/client.json" }).end();
    } else if (path === "/error.json") {
      res.writeHead(500).end("boom");
    } else {
      res.writeHead(404).end();
    }
  });
  server.on("connection", (_s: Socket) => state.connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port with nothing listening on it (a server that was started and stopped). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function authorizeUrl(issuer: LocalIssuer, clientId: string, redirectUri = LOOPBACK_REDIRECT, extra: Record<string, string> = {}): URL {
  const url = new URL(`${issuer.url}/oauth/authorize`);
  const params = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: pkce().challenge,
    code_challenge_method: "S256",
    state: "st",
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

async function authorizeWith(issuer: LocalIssuer, clientId: string, redirectUri = LOOPBACK_REDIRECT): Promise<Response> {
  return fetch(authorizeUrl(issuer, clientId, redirectUri), { redirect: "manual", headers: { Accept: "application/json" } });
}

/** A raw request, so Host can be set (fetch does not allow it). */
function rawRequest(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: o.method ?? "GET", headers: o.headers }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(o.body);
  });
}

async function registerPublic(issuer: LocalIssuer, redirectUris: string[], headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${issuer.url}/api/v1/resources/${issuer.resourceId}/clients:register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ client_name: "app", redirect_uris: redirectUris, token_endpoint_auth_method: "none" }),
  });
}

async function clientIdOf(res: Response): Promise<string> {
  expect(res.status).toBe(201);
  return ((await res.json()) as { client_id: string }).client_id;
}

// ---------- the address policy (unit: nothing connects) ----------

describe("client ID metadata document address policy", () => {
  // Loaded in the hook so that the HTTP tests below run (and fail) on their own without this module.
  let classifyAddress: typeof import("../src/issuer/cimd.js").classifyAddress;
  let checkedAddress: typeof import("../src/issuer/cimd.js").checkedAddress;
  beforeAll(async () => {
    ({ classifyAddress, checkedAddress } = await import("../src/issuer/cimd.js"));
  });

  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.254", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "private"],
    ["100.64.0.1", "private"],
    ["0.0.0.0", "private"],
    ["224.0.0.1", "private"],
    ["255.255.255.255", "private"],
    ["fd00::1", "private"],
    ["fc12:3456::1", "private"],
    ["fe80::1", "private"],
    ["::", "private"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:192.168.0.1", "private"],
    ["64:ff9b::7f00:1", "private"],
    ["2002:7f00:1::1", "private"],
    ["ff02::1", "private"],
    ["93.184.215.14", "public"],
    ["8.8.8.8", "public"],
    ["172.32.0.1", "public"],
    ["2606:4700::1111", "public"],
  ])("%s is %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  const fixed =
    (answers: Record<string, string[]>, calls: string[] = []): Lookup =>
    async (hostname) => {
      calls.push(hostname);
      const list = answers[hostname];
      if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
      return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    };
  const strict = { allowLocal: false };

  it("accepts an https host whose every address is public, and returns the address to connect to", async () => {
    const lookup = fixed({ "app.example": ["93.184.215.14", "2606:4700::1111"] });
    await expect(checkedAddress(new URL("https://app.example/client.json"), { ...strict, lookup })).resolves.toEqual({
      address: "93.184.215.14",
      family: 4,
    });
  });

  it.each([
    [["10.0.0.5"]],
    [["127.0.0.1"]],
    [["93.184.215.14", "10.0.0.5"]],
    [["93.184.215.14", "::1"]],
    [["2606:4700::1111", "fd00::1"]],
    [["169.254.169.254"]],
    [["::ffff:127.0.0.1"]],
    [[]],
  ])("refuses an https host that resolves to %j (every address is checked)", async (addresses) => {
    const lookup = fixed({ "app.example": addresses });
    await expect(checkedAddress(new URL("https://app.example/client.json"), { ...strict, lookup })).rejects.toThrow();
  });

  it("refuses literal private and loopback addresses without asking the resolver", async () => {
    const calls: string[] = [];
    const lookup = fixed({}, calls);
    for (const url of [
      "https://127.0.0.1/c.json",
      "https://[::1]/c.json",
      "https://10.0.0.1/c.json",
      "https://192.168.0.10/c.json",
      "https://169.254.169.254/latest/meta-data",
      "https://[fd00::1]/c.json",
      "https://[fe80::1]/c.json",
      "https://[::ffff:7f00:1]/c.json",
      "https://0x7f000001/c.json",
      "https://2130706433/c.json",
    ]) {
      await expect(checkedAddress(new URL(url), { ...strict, lookup }), url).rejects.toThrow();
    }
    expect(calls).toEqual([]);
  });

  it("refuses http and other schemes unless loopback with allowLocal; allowLocal never opens private ranges", async () => {
    const lookup = fixed({ localhost: ["127.0.0.1"], "app.example": ["93.184.215.14"], "lan.example": ["192.168.1.7"] });
    await expect(checkedAddress(new URL("http://app.example/c.json"), { ...strict, lookup })).rejects.toThrow();
    await expect(checkedAddress(new URL("http://localhost:9/c.json"), { ...strict, lookup })).rejects.toThrow();
    await expect(checkedAddress(new URL("ftp://app.example/c.json"), { ...strict, lookup })).rejects.toThrow();
    const local = { allowLocal: true, lookup };
    await expect(checkedAddress(new URL("http://localhost:9/c.json"), local)).resolves.toEqual({ address: "127.0.0.1", family: 4 });
    await expect(checkedAddress(new URL("http://127.0.0.1:9/c.json"), local)).resolves.toEqual({ address: "127.0.0.1", family: 4 });
    await expect(checkedAddress(new URL("http://[::1]:9/c.json"), local)).resolves.toEqual({ address: "::1", family: 6 });
    await expect(checkedAddress(new URL("http://app.example/c.json"), local)).rejects.toThrow();
    await expect(checkedAddress(new URL("https://lan.example/c.json"), local)).rejects.toThrow();
    await expect(checkedAddress(new URL("http://10.0.0.1/c.json"), local)).rejects.toThrow();
    // A loopback name that resolves elsewhere is not loopback.
    const rebound = fixed({ localhost: ["0.0.0.0"] });
    await expect(checkedAddress(new URL("http://localhost:9/c.json"), { allowLocal: true, lookup: rebound })).rejects.toThrow();
  });

  it("a resolver failure is a refusal too", async () => {
    await expect(checkedAddress(new URL("https://nowhere.example/c.json"), { ...strict, lookup: fixed({}) })).rejects.toThrow();
  });
});

// ---------- client ID metadata documents over HTTP ----------

describe("client ID metadata documents are not fetched from loopback or private addresses", () => {
  let docs: DocServer;
  let issuer: LocalIssuer;
  beforeAll(async () => {
    docs = await startDocServer();
    issuer = await startIssuer({ port: 0, quiet: true });
  });
  afterAll(async () => {
    await issuer?.close();
    await docs?.close();
  });

  it("by default, loopback http and https document URLs are refused without connecting", async () => {
    for (const clientId of [
      `http://127.0.0.1:${docs.port}/client.json`,
      `http://localhost:${docs.port}/client.json`,
      `http://[::1]:${docs.port}/client.json`,
      `https://127.0.0.1:${docs.port}/client.json`,
      `https://localhost:${docs.port}/client.json`,
      `https://0x7f000001:${docs.port}/client.json`,
    ]) {
      const res = await authorizeWith(issuer, clientId);
      expect(res.status, clientId).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(((await res.json()) as { error: string }).error).toBe("invalid_client");
    }
    expect(docs.connections).toBe(0);
  });

  it("a plain navigation from any page cannot make it fetch a loopback URL (GET and POST)", async () => {
    const clientId = `http://127.0.0.1:${docs.port}/client.json`;
    const form = authorizeUrl(issuer, clientId).searchParams.toString();
    const post = await fetch(`${issuer.url}/oauth/authorize`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://evil.example", Accept: "text/html" },
      body: form,
    });
    expect(post.status).toBe(400);
    expect(docs.connections).toBe(0);
  });

  it("the error text is the same whatever is (or is not) listening: it cannot be used as a port scanner", async () => {
    const closed = await closedPort();
    const targets = [
      `http://127.0.0.1:${docs.port}/client.json`, // a server that would answer 200
      `http://127.0.0.1:${docs.port}/missing.json`, // one that would answer 404
      `http://127.0.0.1:${closed}/client.json`, // nothing listening
      `https://127.0.0.1:${docs.port}/client.json`, // plain http where TLS is expected
      `https://localhost:${closed}/client.json`,
    ];
    const descriptions = new Set<string>();
    for (const clientId of targets) {
      const res = await authorizeWith(issuer, clientId);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; error_description: string };
      expect(body.error).toBe("invalid_client");
      expect(body.error_description).not.toMatch(/HTTP \d|\b[45]\d\d\b|refused|ECONN|timed out|TLS|SSL|EPROTO/i);
      descriptions.add(body.error_description);
    }
    expect([...descriptions]).toHaveLength(1);
    expect([...descriptions][0]).toMatch(/could not be fetched/);
    expect(docs.connections).toBe(0);
  });

  it("uses the injected resolver for names, and refuses what it resolves to when not public", async () => {
    const calls: string[] = [];
    const strictIssuer = await startIssuer({
      port: 0,
      quiet: true,
      lookup: async (hostname) => {
        calls.push(hostname);
        return [{ address: "127.0.0.1", family: 4 }];
      },
    });
    try {
      const res = await authorizeWith(strictIssuer, `https://localhost:${docs.port}/client.json`);
      expect(res.status).toBe(400);
      expect(calls).toEqual(["localhost"]);
      expect(docs.connections).toBe(0);
    } finally {
      await strictIssuer.close();
    }
  });
});

describe("allowLocalCimd: loopback http documents for development", () => {
  let docs: DocServer;
  beforeAll(async () => {
    docs = await startDocServer();
  });
  afterAll(async () => {
    await docs?.close();
  });

  it("fetches a loopback http document and connects to the address it checked (a rebinding resolver is asked once)", async () => {
    let calls = 0;
    // First answer: the doc server. Any later answer: another loopback address where nothing listens.
    const issuer = await startIssuer({
      port: 0,
      quiet: true,
      allowLocalCimd: true,
      lookup: async () => [{ address: calls++ === 0 ? "127.0.0.1" : "127.0.0.2", family: 4 }],
    });
    try {
      const before = docs.requests.length;
      const res = await authorizeWith(issuer, `http://localhost:${docs.port}/client.json`);
      expect(res.status, await res.clone().text()).toBe(302);
      expect(new URL(res.headers.get("location")!).searchParams.get("code")).toBeTruthy();
      expect(calls).toBe(1);
      expect(docs.requests.slice(before)).toEqual(["/client.json"]);
    } finally {
      await issuer.close();
    }
  });

  it("a loopback name that resolves to a non-loopback address is refused", async () => {
    const issuer = await startIssuer({
      port: 0,
      quiet: true,
      allowLocalCimd: true,
      lookup: async () => [{ address: "0.0.0.0", family: 4 }],
    });
    try {
      const before = docs.connections;
      const res = await authorizeWith(issuer, `http://localhost:${docs.port}/client.json`);
      expect(res.status).toBe(400);
      expect(docs.connections).toBe(before);
    } finally {
      await issuer.close();
    }
  });

  it("refuses redirects, and errors still say only 'could not be fetched'", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true, allowLocalCimd: true });
    const closed = await closedPort();
    try {
      const descriptions = new Set<string>();
      for (const path of [`${docs.port}/redirect.json`, `${docs.port}/missing.json`, `${docs.port}/error.json`, `${closed}/client.json`]) {
        const res = await authorizeWith(issuer, `http://127.0.0.1:${path}`);
        expect(res.status, path).toBe(400);
        const body = (await res.json()) as { error: string; error_description: string };
        expect(body.error).toBe("invalid_client");
        descriptions.add(body.error_description);
      }
      expect([...descriptions]).toHaveLength(1);
      expect([...descriptions][0]).toMatch(/could not be fetched/);
      // The redirect was not followed: /client.json was not requested after /redirect.json.
      const i = docs.requests.lastIndexOf("/redirect.json");
      expect(docs.requests[i + 1]).not.toBe("/client.json");
    } finally {
      await issuer.close();
    }
  });

  it("every address of a loopback name must be loopback, even with allowLocalCimd", async () => {
    const issuer = await startIssuer({
      port: 0,
      quiet: true,
      allowLocalCimd: true,
      lookup: async () => [
        { address: "127.0.0.1", family: 4 },
        { address: "0.0.0.0", family: 4 },
      ],
    });
    try {
      const res = await authorizeWith(issuer, `http://localhost:${docs.port}/client.json`);
      expect(res.status).toBe(400);
    } finally {
      await issuer.close();
    }
  });
});

// ---------- auto-approval ----------

describe("auto-approval only for loopback redirect URIs", () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer({ port: 0, quiet: true });
  });
  afterAll(async () => {
    await issuer?.close();
  });

  it.each(["http://127.0.0.1:6274/cb", "http://localhost:33418/cb", "http://[::1]:9/cb"])(
    "%s is approved without a page",
    async (redirect) => {
      const clientId = await clientIdOf(await registerPublic(issuer, [redirect]));
      const res = await authorizeWith(issuer, clientId, redirect);
      expect(res.status).toBe(302);
      expect(new URL(res.headers.get("location")!).searchParams.get("code")).toBeTruthy();
    },
  );

  it.each(["https://app.example/cb", "cursor://anysphere.cursor-retrieval/oauth/callback", "https://localhost.evil.example/cb"])(
    "%s gets the consent page even without consent mode",
    async (redirect) => {
      const clientId = await clientIdOf(await registerPublic(issuer, [redirect]));
      const res = await authorizeWith(issuer, clientId, redirect);
      expect(res.status).toBe(200);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toContain('name="request_id"');
      expect(html).toContain("Approve");
    },
  );
});

// ---------- CORS, Host and Origin ----------

describe("CORS on registration and token endpoints: loopback origins only", () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer({ port: 0, quiet: true });
  });
  afterAll(async () => {
    await issuer?.close();
  });
  const paths = () => [`/api/v1/resources/${issuer.resourceId}/clients:register`, "/oauth/token"];

  it.each(["https://evil.example", "http://evil.example", "null", "http://localhost.evil.example", "https://127.0.0.1.evil.example"])(
    "refuses a preflight and the request itself from %s",
    async (origin) => {
      for (const path of paths()) {
        const pre = await fetch(`${issuer.url}${path}`, {
          method: "OPTIONS",
          headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
        });
        expect(pre.status, path).toBe(403);
        expect(pre.headers.get("access-control-allow-origin")).toBeNull();
        const post = await fetch(`${issuer.url}${path}`, {
          method: "POST",
          headers: { Origin: origin, "Content-Type": "application/x-www-form-urlencoded" },
          body: "grant_type=client_credentials",
        });
        expect(post.status, path).toBe(403);
        expect(post.headers.get("access-control-allow-origin")).toBeNull();
        expect(((await post.json()) as { error: string }).error).toBe("access_denied");
      }
    },
  );

  it.each(["http://localhost:6274", "http://127.0.0.1:6274", "http://[::1]:3000", "https://localhost"])(
    "allows %s, echoing it",
    async (origin) => {
      for (const path of paths()) {
        const pre = await fetch(`${issuer.url}${path}`, {
          method: "OPTIONS",
          headers: {
            Origin: origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, mcp-protocol-version",
          },
        });
        expect(pre.status).toBe(204);
        expect(pre.headers.get("access-control-allow-origin")).toBe(origin);
        expect(pre.headers.get("vary")).toMatch(/origin/i);
        expect(pre.headers.get("access-control-allow-headers")).toMatch(/mcp-protocol-version/i);
      }
      const reg = await registerPublic(issuer, [LOOPBACK_REDIRECT], { Origin: origin });
      expect(reg.status).toBe(201);
      expect(reg.headers.get("access-control-allow-origin")).toBe(origin);
    },
  );

  it("never answers '*' on them; no Origin (a server or CLI) needs no CORS and works", async () => {
    const reg = await registerPublic(issuer, [LOOPBACK_REDIRECT]);
    expect(reg.status).toBe(201);
    expect(reg.headers.get("access-control-allow-origin")).toBeNull();
    const tok = await fetch(`${issuer.url}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=authorization_code&code=x&code_verifier=y&client_id=z",
    });
    expect(tok.status).toBe(401);
    expect(tok.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("metadata and JWKS stay open to any origin", async () => {
    for (const url of [issuer.jwksUri, ...issuer.metadataUrls]) {
      const res = await fetch(url, { headers: { Origin: "https://evil.example" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
    }
  });

  it("authorize, register and token refuse a non-loopback Host (DNS rebinding)", async () => {
    const port = new URL(issuer.url).port;
    const reg = await rawRequest(`${issuer.url}/api/v1/resources/${issuer.resourceId}/clients:register`, {
      method: "POST",
      headers: { Host: `evil.example:${port}`, "Content-Type": "application/json" },
      body: JSON.stringify({ redirect_uris: [LOOPBACK_REDIRECT], token_endpoint_auth_method: "none" }),
    });
    expect(reg.status).toBe(403);
    const tok = await rawRequest(`${issuer.url}/oauth/token`, {
      method: "POST",
      headers: { Host: `evil.example:${port}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(tok.status).toBe(403);
    const clientId = await clientIdOf(await registerPublic(issuer, [LOOPBACK_REDIRECT]));
    const authz = authorizeUrl(issuer, clientId);
    const page = await rawRequest(authz.href, { headers: { Host: `evil.example:${port}` } });
    expect(page.status).toBe(403);
    expect(page.headers.location).toBeUndefined();
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await rawRequest(authz.href, { headers: { Host: host } })).status, host).toBe(302);
    }
    // Metadata is public: any Host.
    expect((await rawRequest(issuer.metadataUrls[0]!, { headers: { Host: `evil.example:${port}` } })).status).toBe(200);
  });

  it("the consent decision is accepted only from the issuer's own page (Origin)", async () => {
    const consent = await startIssuer({ port: 0, quiet: true, consent: true });
    try {
      const clientId = await clientIdOf(await registerPublic(consent, [LOOPBACK_REDIRECT]));
      const page = await fetch(authorizeUrl(consent, clientId), { headers: { Accept: "text/html" } });
      const id = /name="request_id" value="([^"]+)"/.exec(await page.text())![1]!;
      const decide = (origin: string) =>
        fetch(`${consent.url}/oauth/authorize`, {
          method: "POST",
          redirect: "manual",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin },
          body: new URLSearchParams({ request_id: id, decision: "approve" }).toString(),
        });
      const forged = await decide("https://evil.example");
      expect(forged.status).toBe(403);
      expect(forged.headers.get("location")).toBeNull();
      // A browser's own word that the form came from another site counts too.
      const crossSite = await fetch(`${consent.url}/oauth/authorize`, {
        method: "POST",
        redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site" },
        body: new URLSearchParams({ request_id: id, decision: "approve" }).toString(),
      });
      expect(crossSite.status).toBe(403);
      // Still pending: the real page can answer it.
      const real = await decide(consent.url);
      expect(real.status).toBe(302);
      expect(new URL(real.headers.get("location")!).searchParams.get("code")).toBeTruthy();
    } finally {
      await consent.close();
    }
  });
});

describe("/_dev/* answers only loopback callers", () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer({ port: 0, quiet: true });
  });
  afterAll(async () => {
    await issuer?.close();
  });

  it("refuses foreign Host headers and cross-origin callers on every dev endpoint", async () => {
    const port = new URL(issuer.url).port;
    const endpoints: [string, string][] = [
      ["GET", "/_dev/info"],
      ["POST", "/_dev/mint"],
      ["POST", "/_dev/rotate"],
    ];
    for (const [method, path] of endpoints) {
      const body = method === "POST" ? "{}" : undefined;
      const json: Record<string, string> = method === "POST" ? { "Content-Type": "application/json" } : {};
      for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `localhost:${Number(port) + 1}`]) {
        const r = await rawRequest(`${issuer.url}${path}`, { method, headers: { Host: host, ...json }, body });
        expect(r.status, `${path} Host ${host}`).toBe(403);
      }
      for (const origin of ["https://evil.example", "null", `http://localhost:${Number(port) + 1}`, `https://127.0.0.1:${port}`]) {
        const r = await rawRequest(`${issuer.url}${path}`, { method, headers: { Origin: origin, ...json }, body });
        expect(r.status, `${path} Origin ${origin}`).toBe(403);
        expect(r.headers["access-control-allow-origin"]).toBeUndefined();
      }
      const pre = await rawRequest(`${issuer.url}${path}`, {
        method: "OPTIONS",
        headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
      });
      expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
      const ok = await rawRequest(`${issuer.url}${path}`, {
        method,
        headers: { Host: `localhost:${port}`, Origin: `http://localhost:${port}`, ...json },
        body,
      });
      expect(ok.status, path).toBe(200);
    }
  });
});

// ---------- the cross-site chain of issue 12 ----------

describe("the cross-site token chain fails at its first step", () => {
  it("a page on https://evil.example cannot register, is not auto-approved, and cannot exchange a code", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true });
    const EVIL = "https://evil.example";
    const evilRedirect = `${EVIL}/cb`;
    try {
      // Step 1, as the browser runs it: the JSON POST needs a preflight, which is refused...
      const preflight = await fetch(`${issuer.url}/api/v1/resources/${issuer.resourceId}/clients:register`, {
        method: "OPTIONS",
        headers: { Origin: EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      expect(preflight.ok).toBe(false);
      // ...and the registration itself, were it sent anyway, creates no client.
      const reg = await registerPublic(issuer, [evilRedirect], { Origin: EVIL });
      expect(reg.status).toBe(403);
      expect(reg.headers.get("access-control-allow-origin")).toBeNull();
      expect(await reg.json()).not.toHaveProperty("client_id");

      // Each later step fails on its own too. A client with that redirect (registered by other means)...
      const clientId = await clientIdOf(await registerPublic(issuer, [evilRedirect]));
      // ...step 2: no auto-approval: the user sees a consent page, no code is sent to the site.
      const authz = await fetch(authorizeUrl(issuer, clientId, evilRedirect), { redirect: "manual", headers: { Accept: "text/html" } });
      expect(authz.status).toBe(200);
      expect(authz.headers.get("location")).toBeNull();
      // ...step 3: the site's cross-origin token request is refused.
      const tok = await fetch(`${issuer.url}/oauth/token`, {
        method: "POST",
        headers: { Origin: EVIL, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code: "x",
          code_verifier: pkce().verifier,
          client_id: clientId,
        }).toString(),
      });
      expect(tok.status).toBe(403);
      expect(tok.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await issuer.close();
    }
  });
});
