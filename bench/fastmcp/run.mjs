#!/usr/bin/env node
// fastmcp behind add's glue, two ways, side by side in one run: the in-process
// glue (src/add/glue/fastmcp.ts: SDK v2 createMcpHandler in front of fastmcp
// sessions kept per token) and the loopback hop (bench/fastmcp/loopback.ts:
// fastmcp's own SDK v1 HTTP layer on a hidden port, requests proxied to it).
//
// One project: test/fixtures/add/fastmcp secured by the built CLI's `add`
// (install included); the loopback variant is a copy of it with
// src/auth/fastmcp.ts replaced by loopback.ts. Both run with tsx against one
// local issuer, one token with every scope. Per era (2025: a bare JSON-RPC
// request; 2026-07-28: the `_meta` envelope and Mcp-Method / Mcp-Name) and per
// method (tools/list; tools/call of find_recipes, which needs a scope):
//   - throughput: autocannon, 10 connections, req/s and server CPU per request;
//   - latency: autocannon, 1 connection, p50 / p99;
//   - in process only, "new token each request": 200 tokens in turn, more than
//     the pool keeps (128), so every request builds a fastmcp session: what
//     keeping sessions per token saves.
// Rounds are interleaved (the variants alternate), medians reported. A variant
// that does not serve an era is recorded as such (its first answer), not
// measured. Results: bench/fastmcp/results.json and a Markdown table on stdout.
//
// Usage: npm run build && node bench/fastmcp/run.mjs [--rounds 3] [--duration 3]
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBuilt, npmEnv, repo, startLocalIssuer, startProjectServer, stopAll, stopChildrenOnSignal } from "../harness.mjs";
import { machineInfo, median } from "../results-file.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: { rounds: { type: "string", default: "3" }, duration: { type: "string", default: "3" } },
});
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const work = path.join(repo, ".cache", "bench-fastmcp");
const SCOPES = "add_recipe=recipes:write,find_recipes=recipes:read";

function log(line) {
  process.stderr.write(`[fastmcp] ${line}\n`);
}
stopChildrenOnSignal(log);

// The load generator, installed once into the work dir (not a dependency of the repository).
function loadAutocannon() {
  const require = createRequire(path.join(work, "package.json"));
  try {
    return require("autocannon");
  } catch {
    log("installing autocannon@8 into .cache/bench-fastmcp");
    if (!existsSync(path.join(work, "package.json"))) writeFileSync(path.join(work, "package.json"), '{"private":true}\n');
    execFileSync("npm", ["install", "--prefix", work, "--no-audit", "--no-fund", "--no-save", "autocannon@8"], {
      env: npmEnv,
      stdio: ["ignore", "ignore", "inherit"],
    });
    return require("autocannon");
  }
}

/** The fixture secured by the built CLI's add (once; reused by later runs), and the loopback copy of it. */
function prepareProjects() {
  const inProcess = path.join(work, "in-process");
  const loopback = path.join(work, "loopback");
  if (!existsSync(path.join(inProcess, "node_modules"))) {
    rmSync(inProcess, { recursive: true, force: true });
    cpSync(path.join(repo, "test", "fixtures", "add", "fastmcp"), inProcess, { recursive: true });
    log("add --yes --no-check on a copy of test/fixtures/add/fastmcp (installs)");
    execFileSync(
      process.execPath,
      [path.join(repo, "bin", "create-mcp-auth.js"), "add", inProcess, "--yes", "--no-check", "--scopes", SCOPES],
      {
        env: npmEnv,
        stdio: ["ignore", "ignore", "inherit"],
        timeout: 600_000,
      },
    );
  } else {
    // A reused project gets the glue of this checkout.
    copyFileSync(path.join(repo, "src", "add", "glue", "fastmcp.ts"), path.join(inProcess, "src", "auth", "fastmcp.ts"));
  }
  rmSync(loopback, { recursive: true, force: true });
  cpSync(inProcess, loopback, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
  symlinkSync(path.join(inProcess, "node_modules"), path.join(loopback, "node_modules"), "dir");
  copyFileSync(path.join(here, "loopback.ts"), path.join(loopback, "src", "auth", "fastmcp.ts"));
  return { "in-process": inProcess, loopback };
}

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1" },
};
const METHODS = {
  "tools/list": {},
  "tools/call": { name: "find_recipes", arguments: { ingredient: "eggs" } },
};
/** The request of `era` for `method`: its body and headers (without the token). */
function mcpRequest(era, method) {
  const params = METHODS[method];
  const modern = era === "2026-07-28";
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": era };
  if (modern) headers["mcp-method"] = method;
  if (modern && params.name) headers["mcp-name"] = params.name;
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: modern ? { ...params, _meta: MODERN_META } : params });
  return { body, headers };
}

/** One answer read whole (an SSE answer's data line, else the JSON). */
async function ask(url, token, era, method, session = {}) {
  const { body, headers } = mcpRequest(era, method);
  const all = { ...headers, ...session, ...(token && { authorization: `Bearer ${token}` }) };
  const res = await fetch(url, { method: "POST", headers: all, body });
  const text = await res.text();
  // An SSE answer: its message's data line (an SDK v1 stream may open with an empty priming event).
  const data = text.split("\n").find((l) => l.startsWith("data: {"));
  return { status: res.status, text: data ? data.slice(6) : text };
}

/**
 * A 2025 client's handshake (initialize, notifications/initialized): the Mcp-Session-Id header its
 * requests then carry, when the server keeps sessions (fastmcp's own HTTP layer does; a stateless one does not).
 */
async function handshake(server, token) {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` };
  const init = { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } };
  const res = await fetch(server.url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: init }),
  });
  await res.text();
  const id = res.headers.get("mcp-session-id");
  const session = id ? { "mcp-session-id": id, "mcp-protocol-version": "2025-11-25" } : {};
  const done = await fetch(server.url, {
    method: "POST",
    headers: { ...headers, ...session },
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  await done.text();
  return session;
}

/** Does `server` serve `era`: the right answer with the token, 401 without? Returns undefined if so, else what it answered. */
async function servesEra(server, token, era) {
  for (const method of Object.keys(METHODS)) {
    const answer = await ask(server.url, token, era, method, server.session[era]);
    const expected = method === "tools/list" ? '"find_recipes"' : "Pancakes";
    if (answer.status !== 200 || !answer.text.includes(expected) || answer.text.includes('"error"')) {
      return `${method}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`;
    }
  }
  const open = await ask(server.url, undefined, era, "tools/list");
  if (open.status !== 401) throw new Error(`${server.name}: a request without a token got HTTP ${open.status}`);
  return undefined;
}

/** CPU time (user + system, ms) the server process has used so far; Linux /proc only. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

let autocannon;
/** autocannon against `server`; `tokens` are used in turn, one per request. */
async function measure(server, tokens, era, method, connections, seconds) {
  const { body, headers } = mcpRequest(era, method);
  const session = server.session[era];
  let next = 0;
  const cpuBefore = cpuMs(server.child.pid);
  const result = await autocannon({
    url: server.url,
    method: "POST",
    connections,
    duration: seconds,
    requests: [
      {
        body,
        setupRequest: (request) => ({
          ...request,
          headers: { ...headers, ...session, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
        }),
      },
    ],
  });
  const cpuAfter = cpuMs(server.child.pid);
  return {
    rps: result.requests.average,
    total: result.requests.total,
    cpuUsPerRequest:
      cpuBefore === undefined || !result.requests.total ? undefined : ((cpuAfter - cpuBefore) * 1000) / result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

async function main() {
  ensureBuilt(log);
  mkdirSync(work, { recursive: true });
  autocannon = loadAutocannon();
  const projects = prepareProjects();
  const issuer = await startLocalIssuer(work);
  const servers = {};
  for (const [name, dir] of Object.entries(projects)) {
    servers[name] = await startProjectServer(name, dir, "src/index.ts", issuer);
    const audience = [servers[name].url, issuer.resourceId];
    servers[name].token = await issuer.mint(audience, { scopes: ["recipes:read", "recipes:write"] });
    servers[name].session = { "2025-11-25": await handshake(servers[name], servers[name].token), "2026-07-28": {} };
    // More tokens than the pool keeps, for the "new token each request" runs.
    if (name === "in-process") {
      servers[name].churn = await Promise.all(
        Array.from({ length: 200 }, (_, i) => issuer.mint(audience, { scopes: ["recipes:read", "recipes:write"], sub: `user-${i}` })),
      );
    }
  }

  const eras = ["2025-11-25", "2026-07-28"];
  const report = { date: new Date().toISOString(), machine: machineInfo(), settings: { rounds, duration }, served: {}, results: [] };
  for (const [name, server] of Object.entries(servers)) {
    for (const era of eras) report.served[`${name} ${era}`] = (await servesEra(server, server.token, era)) ?? "served";
  }
  log(`served: ${JSON.stringify(report.served)}`);

  // Every measured cell: variant x era x method x load shape, interleaved per round.
  const cells = [];
  for (const era of eras) {
    for (const method of Object.keys(METHODS)) {
      for (const name of Object.keys(servers)) {
        if (report.served[`${name} ${era}`] !== "served") continue;
        cells.push({ variant: name, era, method, shape: "throughput", connections: 10, tokens: "one" });
        if (method === "tools/call") cells.push({ variant: name, era, method, shape: "latency", connections: 1, tokens: "one" });
      }
      if (report.served[`in-process ${era}`] === "served") {
        cells.push({ variant: "in-process", era, method, shape: "throughput", connections: 10, tokens: "new each request" });
      }
    }
  }
  for (const cell of cells) cell.rounds = [];
  for (const cell of cells) {
    const server = servers[cell.variant];
    await measure(server, cell.tokens === "one" ? [server.token] : server.churn, cell.era, cell.method, cell.connections, 1); // warm-up
  }
  for (let round = 0; round < rounds; round++) {
    log(`round ${round + 1}/${rounds}`);
    for (const cell of round % 2 ? [...cells].reverse() : cells) {
      const server = servers[cell.variant];
      cell.rounds.push(
        await measure(server, cell.tokens === "one" ? [server.token] : server.churn, cell.era, cell.method, cell.connections, duration),
      );
    }
  }
  // fastmcp's /ready counts the sessions kept: 128 (the pool's bound) shows the churn runs did build new ones.
  report.keptSessions = (await (await fetch(new URL("/ready", servers["in-process"].url))).json()).total;
  log(`in-process: ${report.keptSessions} sessions kept`);
  for (const cell of cells) {
    const med = (key) => median(cell.rounds.map((r) => r[key]).filter((v) => v !== undefined));
    report.results.push({
      variant: cell.variant,
      era: cell.era,
      method: cell.method,
      shape: cell.shape,
      connections: cell.connections,
      tokens: cell.tokens,
      rps: Math.round(med("rps")),
      cpuUsPerRequest: Math.round(med("cpuUsPerRequest")),
      p50: med("p50"),
      p99: med("p99"),
      failed: cell.rounds.reduce((a, r) => a + r.failed, 0),
      perRound: cell.rounds.map((r) => Math.round(r.rps)),
    });
  }
  // Paired comparisons, round by round (each pair measured seconds apart): robust to a shared machine's swings.
  report.comparisons = [];
  const find = (variant, era, method, connections, tokens) =>
    report.results.find(
      (r) => r.variant === variant && r.era === era && r.method === method && r.connections === connections && r.tokens === tokens,
    );
  for (const r of report.results.filter((x) => x.variant === "in-process" && x.tokens === "one")) {
    const pairs = [
      ["in-process / loopback", find("loopback", r.era, r.method, r.connections, "one")],
      ["one token / new token each request", find("in-process", r.era, r.method, r.connections, "new each request")],
    ];
    for (const [label, other] of pairs) {
      if (!other) continue;
      const ratios = r.perRound.map((rps, i) => rps / other.perRound[i]);
      report.comparisons.push({
        label,
        era: r.era,
        method: r.method,
        connections: r.connections,
        rpsRatio: median(ratios),
        perRound: ratios.map((x) => Math.round(x * 100) / 100),
        cpuRatio: other.cpuUsPerRequest / r.cpuUsPerRequest,
      });
    }
  }
  writeFileSync(path.join(here, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(markdown(report));
  await issuer.close();
}

const pct = (x) => `${Math.round(x * 1000) / 10}%`;

function markdown(report) {
  const lines = [
    `- Date: ${report.date.slice(0, 10)}; Node ${report.machine.node}; ${report.machine.cores} cores (${report.machine.cpu}, shared)`,
    `- Command: \`node bench/fastmcp/run.mjs --rounds ${report.settings.rounds} --duration ${report.settings.duration}\``,
    "",
    `- Sessions the in-process glue kept at the end (fastmcp's /ready): ${report.keptSessions}`,
    "",
    "| variant | era | served |",
    "|---|---|---|",
    ...Object.entries(report.served).map(
      ([key, value]) => `| ${key.replace(" ", " | ")} | ${value === "served" ? "yes" : `no: ${value}`} |`,
    ),
    "",
    "| variant | era | method | load | req/s | CPU us/req | p50 ms | p99 ms | failed | per round req/s |",
    "|---|---|---|---|---:|---:|---:|---:|---:|---|",
    ...report.results.map(
      (r) =>
        `| ${r.variant} | ${r.era} | ${r.method} | ${r.connections} conn, ${r.tokens === "one" ? "one token" : "new token each request"} | ${r.rps} | ${r.cpuUsPerRequest} | ${r.p50} | ${r.p99} | ${r.failed} | ${r.perRound.join(" / ")} |`,
    ),
    "",
    "| comparison | era | method | load | req/s ratio, median of rounds | per round | CPU per request, inverse ratio |",
    "|---|---|---|---|---:|---|---:|",
    ...report.comparisons.map(
      (c) =>
        `| ${c.label} | ${c.era} | ${c.method} | ${c.connections} conn | ${pct(c.rpsRatio)} | ${c.perRound.join(" / ")} | ${pct(c.cpuRatio)} |`,
    ),
    "",
  ];
  return `${lines.join("\n")}\n`;
}

main()
  .catch((error) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  })
  .finally(() => stopAll());
