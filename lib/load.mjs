// The load driver, its assertions and the fault runs, shared by
// bench/load/run.mjs (20,000 requests, every fault, bench/RESULTS.md) and the
// CI-sized test (test/helpers/load.ts). Plain node:http with a keep-alive
// Agent on loopback: no load tool needed, and every request's expected status
// is known before it is sent.

import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";

export const COOLDOWN_MS = 10_000; // src/auth/keyset.ts of a generated project (templates/typescript/auth/src/keyset.ts): unknown kids and failed fetches
export const DEADLINE_MS = 5_000; // the same file: one whole key-set fetch
export const RSS_SAMPLE_FROM = 2_000; // RSS growth is measured from the 2,000th request to the last
export const MAX_RSS_GROWTH_MB = 20;
/**
 * The old-space limit (MB) of the server whose RSS growth is asserted. With
 * V8's default sizing (about 4 GB of heap on this machine) a server that
 * keeps nothing still grows its heap for its first ~12,000 requests, by
 * 90-125 MB here, while the heap left after a full collection stays at 27-60
 * MB: RSS growth then says how lazily V8 collects, not what the server
 * keeps. Under this limit V8 sizes the heap by what is live, RSS is flat
 * from the first 2,000 requests on, and a leak shows as growth (and in the
 * end an out-of-memory exit).
 */
export const LEAK_RUN_HEAP_MB = 96;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- randomness

/** A small seeded generator (mulberry32): the same seed gives the same request order on every run. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- the requests

const META_2026 = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "bench-load", version: "1" },
};
const rpc = (id, method, params) => ({ jsonrpc: "2.0", id, method, params });
const v2025 = { "mcp-protocol-version": "2025-06-18" };
const v20250326 = { "mcp-protocol-version": "2025-03-26" };
const v2026 = (method, name) => ({ "mcp-protocol-version": "2026-07-28", "mcp-method": method, ...(name ? { "mcp-name": name } : {}) });
const list2025 = () => rpc(1, "tools/list", {});
const call2025 = (tool) => rpc(2, "tools/call", { name: tool, arguments: { message: "load" } });

/**
 * Every kind of request the load mixes, with the status the server must
 * answer and what the answer must hold. `token` names an entry of the
 * tokens (prepareTokens); `session` is one token a client keeps using,
 * `fresh` a token never sent before (a full signature check each time).
 */
export const KINDS = [
  { id: "tools/list 2025", expect: 200, token: "session", headers: v2025, body: list2025, result: '"tools"' },
  { id: "tools/list 2025, new token", expect: 200, token: "fresh", headers: v2025, body: list2025, result: '"tools"' },
  { id: "tools/call 2025", expect: 200, token: "session", headers: v2025, body: (c) => call2025(c.tool), result: '"content"' },
  {
    id: "tools/list 2026-07-28",
    expect: 200,
    token: "session",
    headers: v2026("tools/list"),
    body: () => rpc(3, "tools/list", { _meta: META_2026 }),
    result: '"tools"',
  },
  {
    id: "tools/call 2026-07-28",
    expect: 200,
    token: "session",
    headers: (c) => v2026("tools/call", c.tool),
    body: (c) => rpc(4, "tools/call", { name: c.tool, arguments: { message: "load" }, _meta: META_2026 }),
    result: '"content"',
  },
  {
    id: "whoami, token without scopes",
    expect: 200,
    token: "noScope",
    headers: v2026("tools/call", "whoami"),
    body: () => rpc(5, "tools/call", { name: "whoami", arguments: {}, _meta: META_2026 }),
    result: '"content"',
  },
  {
    id: "batch 2025-03-26",
    expect: 200,
    token: "session",
    headers: v20250326,
    body: (c) => [list2025(), call2025(c.tool)],
    result: '"tools"',
  },
  {
    id: "notification 2025",
    expect: 202,
    token: "session",
    headers: v2025,
    body: () => ({ jsonrpc: "2.0", method: "notifications/initialized" }),
  },
  { id: "bad signature", expect: 401, token: "badSignature", headers: v2025, body: list2025, challenge: 'error="invalid_token"' },
  { id: "no token", expect: 401, token: undefined, headers: v2025, body: list2025, challenge: 'resource_metadata="' },
  { id: "expired", expect: 401, token: "expired", headers: v2025, body: list2025, challenge: 'error="invalid_token"' },
  { id: "malformed", expect: 401, token: "malformed", headers: v2025, body: list2025, challenge: 'error="invalid_token"' },
  {
    id: "missing scope 2025",
    expect: 403,
    token: "noScope",
    headers: v2025,
    body: (c) => call2025(c.tool),
    challenge: 'error="insufficient_scope"',
  },
  {
    id: "missing scope 2026-07-28",
    expect: 403,
    token: "noScope",
    headers: (c) => v2026("tools/call", c.tool),
    body: (c) => rpc(6, "tools/call", { name: c.tool, arguments: {}, _meta: META_2026 }),
    challenge: 'error="insufficient_scope"',
  },
  {
    id: "missing scope in a batch",
    expect: 403,
    token: "noScope",
    headers: v20250326,
    body: (c) => [list2025(), call2025(c.tool)],
    challenge: 'error="insufficient_scope"',
  },
  { id: "Origin refused", expect: 403, token: "session", headers: { ...v2025, origin: "https://attacker.example" }, body: list2025 },
  { id: "invalid JSON body", expect: 400, token: "session", headers: v2025, raw: '{"jsonrpc":"2.0","id":1,"method":' },
];

/** `requests` kinds, equally many of each, in an order shuffled with `seed` (Fisher-Yates). */
export function buildPlan(requests, seed = 20261, kinds = KINDS) {
  const plan = Array.from({ length: requests }, (_, i) => kinds[i % kinds.length]);
  const random = seededRandom(seed);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }
  return plan;
}

/** The bytes and headers of one request of `kind`. */
export function buildRequest(kind, ctx) {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(typeof kind.headers === "function" ? kind.headers(ctx) : kind.headers),
  };
  const token = kind.token === "fresh" ? ctx.nextFresh() : kind.token ? ctx.tokens[kind.token] : undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  const body = kind.raw ?? JSON.stringify(kind.body(ctx));
  headers["content-length"] = String(Buffer.byteLength(body));
  return { headers, body };
}

/** Why an answer does not match its kind, or undefined when it does. */
export function mismatch(kind, answer) {
  if (answer.error) return `network error ${answer.error}`;
  if (answer.status !== kind.expect) return `status ${answer.status}`;
  if (kind.result && !answer.body.includes(kind.result)) return "no result in the body";
  if (kind.expect === 200 && /"isError":\s*true/.test(answer.body)) return "tool error in the body";
  if (kind.challenge && !String(answer.headers["www-authenticate"] ?? "").includes(kind.challenge)) return "challenge missing";
  return undefined;
}

// ---------------------------------------------------------------- tokens

/** A token with the same claims under a key id no key set has, and a signature that is not one: free to forge. */
export function forgedKidToken(token, kid) {
  const [, payload] = token.split(".");
  const header = Buffer.from(JSON.stringify({ alg: "RS256", kid, typ: "JWT" })).toString("base64url");
  return `${header}.${payload}.${Buffer.from(`not a signature ${kid}`).toString("base64url")}`;
}

/** The same token with one signature character changed (in the middle: the last one may only change padding bits). */
export function tamperedSignature(token) {
  const at = token.lastIndexOf(".") + 20;
  return `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
}

/**
 * What the server publishes about itself: the scopes (protected resource
 * metadata) and a tool that needs one (its tools/list), so the mix works for
 * a project of any scopes.
 */
export async function discoverServer(url, token) {
  const prm = await fetch(`${new URL(url).origin}/.well-known/oauth-protected-resource${new URL(url).pathname}`).then((r) => r.json());
  const agent = agentFor(1);
  const answer = await send(agent, new URL(url), buildRequest(KINDS[0], { tokens: { session: token } }));
  agent.destroy();
  const tools = [...answer.body.matchAll(/"name":"([^"]+)"/g)].map((m) => m[1]);
  const tool = tools.find((name) => name !== "whoami");
  if (answer.status !== 200 || !tool)
    throw new Error(`tools/list answered ${answer.status} without a scoped tool: ${answer.body.slice(0, 300)}`);
  return { scopes: prm.scopes_supported ?? [], tool };
}

/**
 * The tokens of the mix, from `mint(options)` (the local issuer's /_dev/mint
 * options): a session token with every scope, `fresh` ones never sent before,
 * one without scopes, an expired one, a tampered one and a malformed one.
 */
export async function prepareTokens(mint, scopes, freshCount) {
  const session = await mint({ scopes });
  const fresh = [];
  for (let i = 0; i < freshCount; i++) fresh.push(await mint({ scopes }));
  return {
    tokens: {
      session,
      noScope: await mint({ scopes: [] }),
      expired: await mint({ scopes, expiresIn: -120 }),
      badSignature: tamperedSignature(session),
      malformed: "not-a.jwt",
    },
    fresh,
  };
}

// ---------------------------------------------------------------- HTTP

export function agentFor(connections) {
  return new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, scheduling: "lifo" });
}

/** One POST; resolves with status, headers and body, or `{ error }` (never rejects). */
export function send(agent, url, { headers, body }, timeoutMs = 30_000) {
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers, timeout: timeoutMs },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (error) => resolve({ status: 0, error: error.code ?? error.message }));
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (error) => resolve({ status: 0, error: error.code ?? error.message }));
    req.end(body);
  });
}

/** The resident set size of a process in kB (VmRSS of /proc/<pid>/status), undefined off Linux. */
export function rssKb(pid) {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// ---------------------------------------------------------------- the load run

/**
 * Sends `plan` (buildPlan) to `url` over `connections` keep-alive
 * connections, each answer checked against its kind. The server's RSS
 * (`pid`) is read when the 2,000th answer arrived, at a few points after, and
 * at the last; nothing is forced (no GC).
 */
export async function runLoad({ url, plan, connections, tokens, fresh, tool, pid }) {
  const target = new URL(url);
  const agent = agentFor(connections);
  let freshIndex = 0;
  const ctx = { tokens, tool, nextFresh: () => fresh[freshIndex++ % fresh.length] };
  const n = plan.length;
  const latencies = new Float64Array(n);
  const byKind = Object.fromEntries(
    [...new Set(plan)].map((k) => [k.id, { expect: k.expect, sent: 0, statuses: {}, mismatches: {}, example: undefined }]),
  );
  const statuses = {};
  const sampleAt = new Set(
    [RSS_SAMPLE_FROM, ...[0.25, 0.5, 0.75].map((f) => Math.round(n * f)), n].filter((x) => x >= RSS_SAMPLE_FROM && x <= n),
  );
  const rss = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  async function worker() {
    while (next < n) {
      const i = next++;
      const kind = plan[i];
      const request = buildRequest(kind, ctx);
      const t0 = performance.now();
      const answer = await send(agent, target, request);
      latencies[i] = performance.now() - t0;
      const entry = byKind[kind.id];
      entry.sent += 1;
      const key = answer.error ? `error ${answer.error}` : String(answer.status);
      entry.statuses[key] = (entry.statuses[key] ?? 0) + 1;
      statuses[key] = (statuses[key] ?? 0) + 1;
      const wrong = mismatch(kind, answer);
      if (wrong) {
        entry.mismatches[wrong] = (entry.mismatches[wrong] ?? 0) + 1;
        entry.example ??= `${answer.status} ${String(answer.body ?? answer.error).slice(0, 200)}`;
      }
      done += 1;
      if (sampleAt.has(done)) rss.push({ request: done, rssKb: rssKb(pid) });
    }
  }
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  const first = rss.find((s) => s.request === RSS_SAMPLE_FROM);
  const last = rss.find((s) => s.request === n);
  return {
    requests: n,
    connections,
    seconds,
    rps: n / seconds,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[n - 1] ?? 0 },
    statuses,
    byKind,
    rss,
    rssGrowthMb: first?.rssKb !== undefined && last?.rssKb !== undefined ? (last.rssKb - first.rssKb) / 1024 : undefined,
  };
}

/** How many answers in a status count map were 5xx. */
function count5xx(statuses) {
  return Object.entries(statuses)
    .filter(([status]) => /^5\d\d$/.test(status))
    .reduce((a, [, c]) => a + c, 0);
}

/** A traffic stream of requests with no token, each of which must be 401. */
function noTokenStream() {
  return {
    id: "no token",
    expect: 401,
    connections: 1,
    next: () =>
      buildRequest(
        KINDS.find((k) => k.id === "no token"),
        {},
      ),
  };
}

/**
 * What is wrong with a load run: 5xx answers, mismatched answers by kind,
 * and (with `assertRss`) RSS growth; [] when all holds.
 */
export function loadFailures(result, { maxRssGrowthMb = MAX_RSS_GROWTH_MB, assertRss = true } = {}) {
  const failures = [];
  const fiveXX = count5xx(result.statuses);
  if (fiveXX) failures.push(`${fiveXX} answers were 5xx`);
  for (const [id, k] of Object.entries(result.byKind)) {
    const wrong = Object.entries(k.mismatches);
    if (wrong.length)
      failures.push(`${id} (expected ${k.expect}): ${wrong.map(([why, c]) => `${c}x ${why}`).join(", ")}; e.g. ${k.example}`);
  }
  if (!assertRss) return failures;
  if (result.rssGrowthMb === undefined) {
    if (result.requests >= RSS_SAMPLE_FROM) failures.push("RSS not measured (no /proc/<pid>/status)");
  } else if (result.rssGrowthMb >= maxRssGrowthMb) {
    failures.push(
      `RSS grew ${result.rssGrowthMb.toFixed(1)} MB from request ${RSS_SAMPLE_FROM} to ${result.requests} (limit ${maxRssGrowthMb} MB)`,
    );
  }
  return failures;
}

/**
 * The load run as a whole, on a running server: discovery, tokens, plan,
 * run, failures. `mint(options)` mints a token for this server.
 */
export async function loadRun({ url, pid, mint, requests, connections, seed, assertRss = true }) {
  const warm = await mint({});
  const { scopes, tool } = await discoverServer(url, warm);
  // Enough new tokens that they outnumber the verifier's cache (1,000 entries) on a full run.
  const { tokens, fresh } = await prepareTokens(mint, scopes, Math.min(1500, Math.max(50, Math.ceil(requests / KINDS.length))));
  const result = await runLoad({ url, plan: buildPlan(requests, seed), connections, tokens, fresh, tool, pid });
  return { ...result, tool, scopes, failures: loadFailures(result, { assertRss }) };
}

// ---------------------------------------------------------------- traffic during a fault

/**
 * Requests sent continuously until `stop()`: each stream has its own
 * connections, its own request builder (returning undefined when it has
 * nothing left to send) and one expected status. Answers are counted per
 * stream and per `phase` (set by the caller while it runs).
 */
export function startTraffic(url, streams, { pauseMs = 5, phase = "before" } = {}) {
  const target = new URL(url);
  const total = streams.reduce((a, s) => a + s.connections, 0);
  const agent = agentFor(total);
  let running = true;
  const traffic = { phase, stats: {} };
  const statsFor = (stream, phase) => {
    const key = `${stream.id}|${phase}`;
    traffic.stats[key] ??= {
      stream: stream.id,
      phase,
      expect: stream.expect,
      sent: 0,
      statuses: {},
      wrong: 0,
      maxLatencyMs: 0,
      example: undefined,
    };
    return traffic.stats[key];
  };
  async function loop(stream) {
    while (running) {
      const request = stream.next();
      if (!request) {
        await sleep(50);
        continue;
      }
      const phase = traffic.phase;
      const t0 = performance.now();
      const answer = await send(agent, target, request);
      const ms = performance.now() - t0;
      const s = statsFor(stream, phase);
      s.sent += 1;
      const key = answer.error ? `error ${answer.error}` : String(answer.status);
      s.statuses[key] = (s.statuses[key] ?? 0) + 1;
      s.maxLatencyMs = Math.max(s.maxLatencyMs, ms);
      if (answer.status !== stream.expect) {
        s.wrong += 1;
        s.example ??= `${key} ${String(answer.body ?? "").slice(0, 160)}`;
      }
      const pause = stream.pauseMs ?? pauseMs;
      if (pause) await sleep(pause);
    }
  }
  const loops = streams.flatMap((s) => Array.from({ length: s.connections }, () => loop(s)));
  traffic.stop = async () => {
    running = false;
    await Promise.all(loops);
    agent.destroy();
    return Object.values(traffic.stats);
  };
  return traffic;
}

/** Streams of a fault run: already-verified and new known-key tokens (200), unknown kids (401), no token (401). */
export function faultStreams({ verified, fresh, unknown, forgeFrom }) {
  let freshIndex = 0;
  let forged = 0;
  const list = (token) => buildRequest(KINDS[0], { tokens: { session: token } });
  const streams = [
    { id: "known key, already verified", expect: 200, connections: 2, next: () => list(verified) },
    // About 25 a second, each sent once: a key-set lookup, not the verifier's cache.
    {
      id: "known key, new token",
      expect: 200,
      connections: 1,
      pauseMs: 40,
      next: () => (freshIndex < fresh.length ? list(fresh[freshIndex++]) : undefined),
    },
    // A real token signed by a key the issuer never published, and a flood of forged key ids.
    {
      id: "unknown kid",
      expect: 401,
      connections: 2,
      next: () => list(forged++ % 8 === 0 && unknown ? unknown : forgedKidToken(forgeFrom, `forged-${forged}`)),
    },
    noTokenStream(),
  ];
  return { streams, freshUsed: () => freshIndex };
}

/** Failures of traffic stats: any 5xx, any answer other than the stream's status. */
export function trafficFailures(stats, label) {
  const failures = [];
  for (const s of stats) {
    const fiveXX = count5xx(s.statuses);
    if (fiveXX) failures.push(`${label}: ${s.stream} (${s.phase}): ${fiveXX} answers 5xx`);
    if (s.wrong)
      failures.push(
        `${label}: ${s.stream} (${s.phase}): ${s.wrong} of ${s.sent} not ${s.expect} (${JSON.stringify(s.statuses)}; e.g. ${s.example})`,
      );
  }
  return failures;
}

/**
 * Sends tools/list with `token` every `intervalMs` until it is answered 200;
 * resolves with the time since `since` (performance.now()), or undefined
 * after `timeoutMs`.
 */
export async function timeTo200(url, token, since, { intervalMs = 100, timeoutMs = 60_000 } = {}) {
  const agent = agentFor(1);
  const target = new URL(url);
  const seen = {};
  try {
    while (performance.now() - since < timeoutMs) {
      const answer = await send(agent, target, buildRequest(KINDS[0], { tokens: { session: token } }), 10_000);
      const key = answer.error ? `error ${answer.error}` : String(answer.status);
      seen[key] = (seen[key] ?? 0) + 1;
      if (answer.status === 200) return { ms: performance.now() - since, seen };
      await sleep(intervalMs);
    }
    return { ms: undefined, seen };
  } finally {
    agent.destroy();
  }
}

export async function statusOf(url, token) {
  const agent = agentFor(1);
  try {
    return (await send(agent, new URL(url), buildRequest(KINDS[0], { tokens: { session: token } }), 10_000)).status;
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------- the JWKS fault proxy

/** What the proxy answers to GET /keys while a fault is on. */
export const JWKS_FAULTS = {
  garbage: "garbage JWKS (200, not JSON)",
  hang: "hanging JWKS (accepts, never answers)",
  trickle: "trickling JWKS (1 byte/s)",
  status500: "JWKS 500 + unknown-kid flood",
  empty: 'empty key set {"keys":[]}',
};

/**
 * A loopback HTTP proxy in front of the issuer: everything is forwarded,
 * except GET /keys while `fault` is set. `keysRequests` counts every GET
 * /keys, faulty or not: the server's key-set fetches.
 */
export async function startJwksProxy(target) {
  const upstream = new URL(target);
  const open = new Set();
  const timers = new Set();
  const proxy = { fault: undefined, keysRequests: 0, url: "" };
  const server = http.createServer((req, res) => {
    const isKeys = req.method === "GET" && req.url.split("?")[0] === "/keys";
    if (isKeys) proxy.keysRequests += 1;
    if (isKeys && proxy.fault) return answerFault(proxy.fault, res);
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(error));
    });
    req.pipe(forward);
  });
  server.on("connection", (socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  async function answerFault(fault, res) {
    if (fault === "garbage")
      return void res.writeHead(200, { "content-type": "application/json" }).end('<html>this is not a key set</html>{"keys":');
    if (fault === "status500") return void res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
    if (fault === "empty") return void res.writeHead(200, { "content-type": "application/json" }).end('{"keys":[]}');
    if (fault === "hang") return; // the socket stays open and silent
    if (fault === "trickle") {
      const body = await fetch(`${upstream.origin}/keys`).then((r) => r.text());
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed || at >= body.length) {
          clearInterval(timer);
          timers.delete(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(body[at++]);
      }, 1000);
      timers.add(timer);
    }
  }
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      for (const timer of timers) clearInterval(timer);
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

// ---------------------------------------------------------------- fault runs
//
// Each takes `launch(issuerLike)`, which starts a fresh server of the project
// against `{ url, resourceId }` and resolves with `{ url, pid, stop() }`, and
// an issuer factory or a running issuer (`{ url, resourceId, mint(aud, o),
// rotate(), close() }`, lib/harness.mjs startLocalIssuer). Each resolves
// with its figures and `failures` ([] when everything held).

/** Tokens for `server` from `issuer`, with `iss` = `issuerUrl` when the server knows the issuer by another URL (the proxy's). */
function minterFor(issuer, server, issuerUrl) {
  return (o = {}) => issuer.mint([server.url, issuer.resourceId], { ...(issuerUrl ? { issuer: issuerUrl } : {}), ...o });
}

async function freshTokens(mint, count) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(await mint());
  return out;
}

function summarizeTraffic(stats, phase) {
  const of = (stream) => stats.find((s) => s.stream === stream && s.phase === phase);
  const known = [of("known key, already verified"), of("known key, new token")].filter(Boolean);
  const unknown = of("unknown kid");
  return {
    knownKeySent: known.reduce((a, s) => a + s.sent, 0),
    knownKey200: known.reduce((a, s) => a + (s.statuses["200"] ?? 0), 0),
    knownKeyMaxMs: Math.max(0, ...known.map((s) => s.maxLatencyMs)),
    newKnownKeyTokens: of("known key, new token")?.sent,
    unknownKidSent: unknown?.sent,
    unknownKid401: unknown?.statuses["401"],
    unknownKidMaxMs: unknown?.maxLatencyMs,
    fiveXX: stats.reduce((a, s) => a + count5xx(s.statuses), 0),
  };
}

/**
 * The issuer stopped under load and restarted on the same port. While it
 * is down, tokens signed by a key the server already has keep 200 (already
 * verified ones and new ones), unknown kids get 401, nothing 5xx. The
 * restarted local issuer has new keys, so recovery is the first 200 for a
 * token it mints: the server has to notice the new kid and fetch again.
 */
export async function faultIssuerDownMidRun({ launch, startIssuerOn, port, faultMs, recoveryTimeoutMs = 60_000 }) {
  const failures = [];
  let issuer = await startIssuerOn(port);
  const server = await launch(issuer);
  try {
    const mint = minterFor(issuer, server);
    const verified = await mint();
    if ((await statusOf(server.url, verified)) !== 200) failures.push("issuer down mid-run: a valid token was not 200 before the fault");
    const fresh = await freshTokens(mint, Math.ceil((faultMs + 1000) / 40) + 20);
    const { streams, freshUsed } = faultStreams({ verified, fresh, unknown: await mint({ key: "unknown" }), forgeFrom: verified });
    const traffic = startTraffic(server.url, streams);
    await sleep(1000);
    await issuer.close();
    traffic.phase = "fault";
    await sleep(faultMs);
    const stats = await traffic.stop();
    failures.push(...trafficFailures(stats, "issuer down mid-run"));
    issuer = await startIssuerOn(port);
    const upAt = performance.now();
    const next = minterFor(issuer, server);
    const recovery = await timeTo200(server.url, await next(), upAt, { timeoutMs: recoveryTimeoutMs });
    if (recovery.ms === undefined)
      failures.push(
        `issuer down mid-run: no 200 for a new token within ${recoveryTimeoutMs} ms of the restart (${JSON.stringify(recovery.seen)})`,
      );
    // The restarted issuer no longer publishes the old key: its tokens are refused once the new set is in.
    const oldKeyAfter = await statusOf(server.url, verified);
    if (recovery.ms !== undefined && oldKeyAfter !== 401)
      failures.push(`issuer down mid-run: a token of the retired key answered ${oldKeyAfter} after the new key set loaded, not 401`);
    return {
      fault: "issuer down mid-run",
      during: summarizeTraffic(stats, "fault"),
      freshUsed: freshUsed(),
      recoveryMs: recovery.ms,
      recoveryAttempts: recovery.seen,
      oldKeyAfter,
      failures,
      stats,
    };
  } finally {
    await server.stop();
    await issuer.close();
  }
}

/**
 * The server started while nothing answers at the issuer URL: every request
 * is a 401 (never a 5xx, the server stays up); then the issuer comes up on
 * that port and a token it mints is 200 after at most one cooldown.
 */
export async function faultIssuerDownAtBoot({ launch, startIssuerOn, port, resourceId, otherIssuer, faultMs, recoveryTimeoutMs = 60_000 }) {
  const failures = [];
  const issuerUrl = `http://127.0.0.1:${port}`;
  const server = await launch({ url: issuerUrl, resourceId });
  let issuer;
  try {
    // Signed by another issuer's key, named as this one: a token the server cannot check while the issuer is down.
    const token = await minterFor(otherIssuer, server, issuerUrl)();
    const streams = [
      { id: "token, issuer down", expect: 401, connections: 2, next: () => buildRequest(KINDS[0], { tokens: { session: token } }) },
      {
        id: "unknown kid",
        expect: 401,
        connections: 1,
        next: () => buildRequest(KINDS[0], { tokens: { session: forgedKidToken(token, `forged-${Math.random()}`) } }),
      },
      noTokenStream(),
    ];
    const traffic = startTraffic(server.url, streams, { phase: "fault" });
    await sleep(faultMs);
    const stats = await traffic.stop();
    failures.push(...trafficFailures(stats, "issuer down at boot"));
    issuer = await startIssuerOn(port);
    const upAt = performance.now();
    const recovery = await timeTo200(server.url, await minterFor(issuer, server)(), upAt, { timeoutMs: recoveryTimeoutMs });
    if (recovery.ms === undefined)
      failures.push(
        `issuer down at boot: no 200 within ${recoveryTimeoutMs} ms of the issuer coming up (${JSON.stringify(recovery.seen)})`,
      );
    const sent = stats.reduce((a, s) => a + s.sent, 0);
    const fiveXX = stats.reduce((a, s) => a + count5xx(s.statuses), 0);
    return {
      fault: "issuer down at boot",
      during: { requests: sent, all401: stats.every((s) => s.wrong === 0), fiveXX },
      recoveryMs: recovery.ms,
      recoveryAttempts: recovery.seen,
      failures,
      stats,
    };
  } finally {
    await server.stop();
    await issuer?.close();
  }
}

/**
 * Key rotation under load (the old key stays published): old tokens keep
 * 200; a token of the new key is 200 at once when no unknown-kid fetch ran
 * in the last cooldown, and after at most one cooldown when one just did.
 */
export async function faultRotation({ launch, issuer, cooldownMs = COOLDOWN_MS, slackMs = 3000 }) {
  const failures = [];
  const server = await launch(issuer);
  try {
    const mint = minterFor(issuer, server);
    const verified = await mint();
    if ((await statusOf(server.url, verified)) !== 200) failures.push("rotation: a valid token was not 200 before the rotation");
    const streams = [
      {
        id: "known key, already verified",
        expect: 200,
        connections: 2,
        next: () => buildRequest(KINDS[0], { tokens: { session: verified } }),
      },
      noTokenStream(),
    ];
    const traffic = startTraffic(server.url, streams, { phase: "fault" });
    await sleep(500);
    await issuer.rotate(true);
    let at = performance.now();
    const cold = await timeTo200(server.url, await mint(), at, { timeoutMs: cooldownMs * 3 });
    // Wait out the cooldown the first rotation's fetch started, then make an
    // unknown kid start a new one just before rotating again: the worst case.
    await sleep(cooldownMs + 500);
    await statusOf(server.url, forgedKidToken(verified, "forged-before-rotation"));
    await issuer.rotate(true);
    at = performance.now();
    const warm = await timeTo200(server.url, await mint(), at, { timeoutMs: cooldownMs * 3 });
    const stats = await traffic.stop();
    failures.push(...trafficFailures(stats, "rotation"));
    if (cold.ms === undefined) failures.push(`rotation: a new-key token never 200 (${JSON.stringify(cold.seen)})`);
    if (warm.ms === undefined) failures.push(`rotation after an unknown kid: a new-key token never 200 (${JSON.stringify(warm.seen)})`);
    else if (warm.ms > cooldownMs + slackMs)
      failures.push(
        `rotation after an unknown kid: new-key tokens accepted after ${Math.round(warm.ms)} ms, more than one cooldown (${cooldownMs} ms)`,
      );
    return {
      fault: "key rotation under load",
      during: summarizeTraffic(stats, "fault"),
      recoveryMs: cold.ms,
      recoveryAfterUnknownKidMs: warm.ms,
      failures,
      stats,
    };
  } finally {
    await server.stop();
  }
}

/**
 * A JWKS fault (JWKS_FAULTS) through the proxy, under load with a flood of
 * unknown kids: known-key tokens keep 200 and fast, unknown kids get 401
 * within the fetch deadline, key-set fetches stay within one per cooldown.
 * Then the fault ends, the issuer rotates, and recovery is the first 200 of
 * a new-key token.
 */
export async function faultJwks({ fault, launch, issuer, faultMs, cooldownMs = COOLDOWN_MS, deadlineMs = DEADLINE_MS, slackMs = 3000 }) {
  const failures = [];
  const label = JWKS_FAULTS[fault];
  const proxy = await startJwksProxy(issuer.url);
  const server = await launch({ url: proxy.url, resourceId: issuer.resourceId });
  try {
    const mint = minterFor(issuer, server, proxy.url);
    const verified = await mint();
    if ((await statusOf(server.url, verified)) !== 200) failures.push(`${label}: a valid token was not 200 before the fault`);
    const fresh = await freshTokens(mint, Math.ceil(faultMs / 40) + 20);
    const { streams, freshUsed } = faultStreams({ verified, fresh, unknown: await mint({ key: "unknown" }), forgeFrom: verified });
    const before = proxy.keysRequests;
    const faultStart = performance.now();
    proxy.fault = fault;
    const traffic = startTraffic(server.url, streams, { phase: "fault" });
    await sleep(faultMs);
    const stats = await traffic.stop();
    const windowMs = performance.now() - faultStart;
    const fetches = proxy.keysRequests - before;
    proxy.fault = undefined;
    const endedAt = performance.now();
    failures.push(...trafficFailures(stats, label));
    const bound = Math.floor(windowMs / cooldownMs) + 1;
    if (fetches > bound)
      failures.push(`${label}: ${fetches} key-set fetches in ${Math.round(windowMs)} ms, more than one per cooldown (${bound})`);
    const during = summarizeTraffic(stats, "fault");
    if (during.unknownKidMaxMs > deadlineMs + slackMs)
      failures.push(
        `${label}: an unknown-kid request took ${Math.round(during.unknownKidMaxMs)} ms, past the ${deadlineMs} ms fetch deadline`,
      );
    await issuer.rotate(true);
    const recovery = await timeTo200(server.url, await mint(), endedAt, { timeoutMs: cooldownMs + deadlineMs + 30_000 });
    if (recovery.ms === undefined)
      failures.push(`${label}: no 200 for a new-key token after the fault ended (${JSON.stringify(recovery.seen)})`);
    else if (recovery.ms > cooldownMs + deadlineMs + slackMs)
      failures.push(
        `${label}: new-key tokens accepted ${Math.round(recovery.ms)} ms after the fault ended, more than a cooldown and a deadline`,
      );
    return {
      fault: label,
      during,
      freshUsed: freshUsed(),
      jwksFetches: fetches,
      fetchBound: bound,
      windowMs,
      recoveryMs: recovery.ms,
      recoveryAttempts: recovery.seen,
      failures,
      stats,
    };
  } finally {
    await server.stop();
    await proxy.close();
  }
}
