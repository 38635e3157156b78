import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthorizer } from "../src/authorize.js";
import { loadConfig } from "../src/config.js";
import { type KeySetOptions, RemoteKeySet } from "../src/keyset.js";
import { createVerifier } from "../src/provider.js";
import { allScopes } from "../src/scopes.js";
import { scopeHierarchy, toolScopes } from "../src/tool-scopes.js";
import { JwtVerifier } from "../src/verifier.js";
import { type MintOptions, TestIssuer } from "./issuer.js";
import { providerEnv, tokenAudience } from "./provider-env.js";

const PUBLIC_URL = "https://mcp.example.com/mcp";
const SCOPES = allScopes(toolScopes, scopeHierarchy);

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start();
});
afterAll(async () => {
  await issuer.close();
});

/** What the MCP endpoint does first with a request's Authorization header, on a fresh key set with the given settings. */
type Server = ReturnType<typeof createAuthorizer>;
async function start(keySet: KeySetOptions = {}): Promise<Server> {
  const config = loadConfig({ ...providerEnv(issuer.url), MCP_SERVER_URL: PUBLIC_URL });
  return createAuthorizer(config, createVerifier(config, { keySet: { log: () => {}, ...keySet } }));
}

const mint = (o: MintOptions = {}) => issuer.mint({ audience: tokenAudience(PUBLIC_URL), scopes: SCOPES, ...o });

/** The HTTP status the endpoint answers for this token before reading the body: 200 (on to the tool) or the challenge's. */
async function whoami(server: Server, token: string): Promise<number> {
  const authenticated = await server.authenticate(`Bearer ${token}`);
  return authenticated.ok ? 200 : authenticated.challenge.status;
}

function resetIssuer(): void {
  issuer.failWith = undefined;
  issuer.trickleMs = undefined;
  issuer.keysBody = undefined;
  issuer.delayMs = 0;
}

describe("the key set, under attack", () => {
  it("issuer down + a forged key id: tokens signed by a known key still pass", async () => {
    const server = await start();
    expect(await whoami(server, await mint())).toBe(200); // the key set is loaded
    issuer.failWith = 503;
    try {
      expect(await whoami(server, await mint({ kid: "forged" }))).toBe(401); // makes the server refetch, which fails
      expect(await whoami(server, await mint())).toBe(200); // a new token, same key: the old set was kept
    } finally {
      resetIssuer();
    }
  });

  it("a JWKS that trickles: known-key requests are unaffected, unknown-key ones get 401 within the deadline", async () => {
    const server = await start({ timeoutMs: 1000 });
    expect(await whoami(server, await mint())).toBe(200);
    issuer.trickleMs = 1000; // one byte a second
    try {
      const started = Date.now();
      const unknown = whoami(server, await mint({ kid: "forged" }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await whoami(server, await mint())).toBe(200); // while the slow fetch runs
      expect(await unknown).toBe(401);
      expect(Date.now() - started).toBeLessThan(20_000); // a liveness bound, not a speed target
    } finally {
      resetIssuer();
    }
  });

  it("a JWKS answering 500 and a flood of unknown key ids: one fetch per cooldown", async () => {
    const server = await start();
    expect(await whoami(server, await mint())).toBe(200);
    issuer.failWith = 500;
    try {
      const before = issuer.keysRequests;
      const statuses = await Promise.all(Array.from({ length: 50 }, async (_, i) => whoami(server, await mint({ kid: `forged-${i}` }))));
      expect(statuses).toEqual(Array(50).fill(401));
      expect(issuer.keysRequests - before).toBe(1);
    } finally {
      resetIssuer();
    }
  });

  it('an empty key set ({"keys":[]}) does not replace the good one, and costs one fetch per cooldown', async () => {
    const server = await start();
    expect(await whoami(server, await mint())).toBe(200);
    issuer.keysBody = '{"keys":[]}';
    try {
      const before = issuer.keysRequests;
      for (let i = 0; i < 10; i++) expect(await whoami(server, await mint({ kid: `forged-${i}` }))).toBe(401);
      expect(issuer.keysRequests - before).toBe(1);
      expect(await whoami(server, await mint())).toBe(200);
    } finally {
      resetIssuer();
    }
  });

  it("refuses a key set larger than the size limit (401, not a hang or a crash)", async () => {
    const server = await start({ maxBytes: 10_000 });
    issuer.keysBody = JSON.stringify({ keys: [], padding: "x".repeat(20_000) });
    try {
      expect(await whoami(server, await mint())).toBe(401);
    } finally {
      resetIssuer();
    }
  });

  it("issuer down at boot: 401 until it answers, then 200 (after the cooldown)", async () => {
    const server = await start({ cooldownMs: 200 });
    issuer.failWith = 503;
    try {
      expect(await whoami(server, await mint())).toBe(401);
    } finally {
      resetIssuer();
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await whoami(server, await mint())).toBe(200);
  });
});

describe("the key set, in normal life", () => {
  it("fetches once for 100 concurrent first requests", async () => {
    const server = await start();
    const token = await mint();
    const before = issuer.keysRequests;
    issuer.delayMs = 200; // all 100 arrive while the first fetch is in flight
    try {
      const statuses = await Promise.all(Array.from({ length: 100 }, () => whoami(server, token)));
      expect(statuses).toEqual(Array(100).fill(200));
    } finally {
      resetIssuer();
    }
    expect(issuer.keysRequests - before).toBe(1);
  });

  it("accepts a rotated-in key without a restart, and refetches at most once per cooldown", async () => {
    const server = await start();
    expect(await whoami(server, await mint())).toBe(200);
    await issuer.rotate();
    const before = issuer.keysRequests;
    expect(await whoami(server, await mint())).toBe(200);
    expect(issuer.keysRequests - before).toBe(1);
    for (let i = 0; i < 5; i++) expect(await whoami(server, await mint({ kid: `forged-${i}` }))).toBe(401);
    expect(issuer.keysRequests - before).toBe(1);
  });

  it("remembers a verified token only until it expires", async () => {
    const server = await start();
    const token = await mint({ expiresIn: 2 });
    expect(await whoami(server, token)).toBe(200);
    expect(await whoami(server, token)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await whoami(server, token)).toBe(401);
  });

  it("a periodic refresh retires a key the issuer removed, and forgets tokens it had verified", async () => {
    let now = 1_000_000;
    const keys = new RemoteKeySet(`${issuer.url}/keys`, { now: () => now, log: () => {} });
    const verifier = new JwtVerifier({ keys, issuers: [issuer.url], audiences: ["aud-1"] });
    const old = await issuer.mint({ audience: "aud-1" });
    await expect(verifier.verify(old)).resolves.toMatchObject({ subject: "user-123" });
    await issuer.rotate(); // the old key leaves the issuer's set
    await expect(verifier.verify(old)).resolves.toBeDefined(); // remembered, and the set is fresh
    now += 11 * 60_000; // past the 10-minute refresh interval
    await verifier.verify(await issuer.mint({ audience: "aud-1" })).catch(() => {}); // starts the background refresh
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(keys.state().keyIds).not.toContain("key-1");
    await expect(verifier.verify(old)).rejects.toMatchObject({ reason: "unknown_key" });
  });
});
