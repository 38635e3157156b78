#!/usr/bin/env node
// bench/glue: what the glue `add` writes (src/add/glue) costs, per framework and protocol era.
//
//   npm run build && node bench/glue/run.mjs [--frameworks express,fastify,hono] [--eras 2025,2026]
//        [--duration 5] [--warmup 5] [--rounds 3] [--connections 10]
//
// The approach of bench/overhead/run.mjs, on small plain servers instead of generated projects
// (bench/glue/app: Express, Fastify and Hono on MCP SDK v2 with the same two tools, a McpServer per
// request), side by side in one run, rounds interleaved (order rotated each round), medians:
//   on    the server with the glue and auth core as `add` renders them (bench/glue/render.ts)
//   off   the same server, same process setup, without the glue (MCP_AUTH=off)
//   peer  bench/overhead/peer-server.ts: Express on SDK v2 with the SDK's requireBearerAuth and a jose
//         createRemoteJWKSet verifier, serving the same tools (it imports ./tools.js and ./mcp.js)
// Load: authenticated POST /mcp `tools/list` (autocannon, loopback); server CPU per request from /proc.
// Output: bench/glue/results.json (raw) and bench/glue/results.md (the tables); the work dir is
// .cache/bench-glue (its own npm install of the frameworks, the SDK, tsx and autocannon).
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  ensureBuilt,
  npmEnv,
  startLocalIssuer,
  startProjectServer,
  stopAll,
  stopChildrenOnSignal,
  stopProcess,
} from "../../lib/harness.mjs";
import { machineInfo, machineLine, median } from "../results-file.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const work = path.join(repo, ".cache", "bench-glue");
const ALL = ["express", "fastify", "hono"];

const { values: args } = parseArgs({
  options: {
    frameworks: { type: "string", default: ALL.join(",") },
    eras: { type: "string", default: "2025,2026" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "10" },
  },
});
const list = (s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
const frameworks = list(args.frameworks);
for (const fw of frameworks) if (!ALL.includes(fw)) throw new Error(`unknown framework ${fw} (known: ${ALL.join(", ")})`);
const eras = list(args.eras).filter((e) => e === "2025" || e === "2026");
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const command = `node bench/glue/run.mjs ${process.argv.slice(2).join(" ")}`.trim();

const log = (line) => process.stderr.write(`[glue] ${line}\n`);
stopChildrenOnSignal(log);

const PACKAGE = {
  private: true,
  type: "module",
  dependencies: {
    "@hono/node-server": "^1.19.9",
    "@modelcontextprotocol/express": "^2.0.2",
    "@modelcontextprotocol/node": "^2.1.2",
    "@modelcontextprotocol/server": "^2.4.0",
    autocannon: "^8.0.0",
    express: "^5.1.0",
    fastify: "^5.4.0",
    hono: "^4.11.4",
    jose: "^6.2.18",
    tsx: "^4.20.0",
    zod: "^4.2.0",
  },
};

function prepare() {
  mkdirSync(work, { recursive: true });
  const manifest = `${JSON.stringify(PACKAGE, null, 2)}\n`;
  const file = path.join(work, "package.json");
  if (!existsSync(file) || readFileSync(file, "utf8") !== manifest || !existsSync(path.join(work, "node_modules", "autocannon"))) {
    writeFileSync(file, manifest);
    log("npm install in .cache/bench-glue");
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock"], {
      cwd: work,
      env: npmEnv,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  cpSync(path.join(here, "app"), work, { recursive: true });
  copyFileSync(path.join(repo, "bench", "overhead", "peer-server.ts"), path.join(work, "peer.ts"));
  execFileSync(process.execPath, ["--import", "tsx", path.join(here, "render.ts"), work], {
    cwd: work,
    stdio: ["ignore", "ignore", "inherit"],
  });
}

const ERAS = {
  2025: {
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    headers: { "mcp-protocol-version": "2025-06-18" },
  },
  2026: {
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/list",
      params: {
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1" },
        },
      },
    }),
    headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
  },
};
const headers = (token, era) => ({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  ...ERAS[era].headers,
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

async function post(url, token, era) {
  const res = await fetch(url, { method: "POST", headers: headers(token, era), body: ERAS[era].body });
  return { status: res.status, body: await res.text() };
}

/** With a token: 200 and the tools; without: 401 (auth on, the peer) or 200 (auth off). */
async function sanity(server, expectWithout, era) {
  const withToken = await post(server.url, server.token, era);
  if (withToken.status !== 200 || !withToken.body.includes('"tools"')) {
    throw new Error(`${server.name} (${era}): tools/list with a token answered ${withToken.status}: ${withToken.body.slice(0, 300)}`);
  }
  const without = await post(server.url, undefined, era);
  if (without.status !== expectWithout)
    throw new Error(`${server.name} (${era}): without a token ${without.status}, expected ${expectWithout}`);
}

const CLK_TCK = 100;
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

let autocannon;
async function load(server, seconds, era) {
  const before = cpuMs(server.child.pid);
  const result = await autocannon({
    url: server.url,
    method: "POST",
    headers: headers(server.token, era),
    body: ERAS[era].body,
    connections,
    duration: seconds,
  });
  const after = cpuMs(server.child.pid);
  return {
    rps: result.requests.average,
    cpuUsPerRequest: before === undefined || !result.requests.total ? undefined : ((after - before) * 1000) / result.requests.total,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function start(name, entry, issuer, extraEnv = {}) {
  const server = await startProjectServer(name, work, entry, issuer, { extraEnv });
  return { ...server, token: await issuer.mint([server.url, issuer.resourceId]) };
}

async function main() {
  ensureBuilt(log);
  prepare();
  autocannon = createRequire(path.join(work, "package.json"))("autocannon");
  const issuer = await startLocalIssuer(work);
  const report = {
    date: new Date().toISOString(),
    command,
    machine: machineInfo(),
    settings: { duration, warmup, rounds, connections, request: "POST /mcp tools/list" },
    rows: {},
  };
  try {
    for (const fw of frameworks) {
      // Three fresh processes per framework, so none is warmer than the others.
      const servers = {
        on: await start(`${fw}-on`, `${fw}.js`, issuer),
        off: await start(`${fw}-off`, `${fw}.js`, issuer, { MCP_AUTH: "off" }),
        peer: await start(`peer-for-${fw}`, "peer.ts", issuer),
      };
      try {
        for (const era of eras) {
          const label = `${fw} (${era === "2026" ? "2026-07-28" : "2025"})`;
          for (const [variant, server] of Object.entries(servers)) await sanity(server, variant === "off" ? 200 : 401, era);
          for (const [variant, server] of Object.entries(servers)) {
            log(`${label}: warm-up ${variant}`);
            await load(server, warmup, era);
          }
          const measured = { on: [], off: [], peer: [] };
          const order = Object.keys(servers);
          for (let r = 0; r < rounds; r++) {
            for (const variant of [...order.slice(r % order.length), ...order.slice(0, r % order.length)]) {
              const m = await load(servers[variant], duration, era);
              measured[variant].push(m);
              log(`${label}: round ${r + 1} ${variant.padEnd(4)} ${m.rps.toFixed(0)} req/s, ${m.cpuUsPerRequest?.toFixed(0)} us CPU/req`);
            }
          }
          report.rows[label] = summarize(measured);
        }
      } finally {
        await Promise.all(Object.values(servers).map((server) => stopProcess(server.child)));
      }
    }
  } finally {
    await stopProcess(issuer.child);
  }
  writeFileSync(path.join(here, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
  const table = render(report);
  writeFileSync(path.join(here, "results.md"), `${table}\n`);
  process.stdout.write(`${table}\n`);
}

function summarize(measured) {
  const rps = Object.fromEntries(Object.entries(measured).map(([v, ms]) => [v, median(ms.map((m) => m.rps))]));
  const cpu = Object.fromEntries(Object.entries(measured).map(([v, ms]) => [v, median(ms.map((m) => m.cpuUsPerRequest ?? Number.NaN))]));
  const paired = (a, b) => median(measured[a].map((m, i) => m.rps / measured[b][i].rps));
  const bad = Object.values(measured)
    .flat()
    .reduce((n, m) => n + m.non2xx + m.errors, 0);
  return {
    rounds: measured,
    rps,
    cpuUsPerRequest: cpu,
    onOff: rps.on / rps.off,
    onPeer: rps.on / rps.peer,
    pairedOnOff: paired("on", "off"),
    pairedOnPeer: paired("on", "peer"),
    cpuOnOff: cpu.off / cpu.on,
    cpuOnPeer: cpu.peer / cpu.on,
    bad,
  };
}

const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "n/a");
const num = (x) => (Number.isFinite(x) ? x.toFixed(0) : "n/a");

function render(report) {
  const lines = [
    "## Glue overhead (bench/glue)",
    "",
    "Authenticated POST /mcp `tools/list` on small plain MCP SDK v2 servers (bench/glue/app) with the glue and auth core as `add` " +
      "renders them (**on**), the same servers without it (**off**), and the SDK's own `requireBearerAuth` + jose peer " +
      "(bench/overhead/peer-server.ts, **peer**), same tools. " +
      `autocannon on loopback, ${report.settings.connections} connections, ${report.settings.warmup} s warm-up, ${report.settings.rounds} rounds of ` +
      `${report.settings.duration} s per variant interleaved, medians. Targets: on/off >= 90%, on/peer >= 100%.`,
    "",
    machineLine(report),
    `- Command: \`npm run build && ${report.command}\``,
    "",
    "| framework (era) | on req/s | off req/s | on/off | peer req/s | on/peer | on/off per-round median | on/peer per-round median | CPU us/req on / off / peer | on/off by CPU | on/peer by CPU | non-2xx + errors | targets |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const [label, e] of Object.entries(report.rows)) {
    const missed = [];
    if (e.onOff < 0.9) missed.push("on/off < 90%");
    if (e.onPeer < 1) missed.push("on/peer < 100%");
    if (e.bad > 0) missed.push("non-2xx/errors");
    const c = e.cpuUsPerRequest;
    lines.push(
      `| ${label} | ${num(e.rps.on)} | ${num(e.rps.off)} | ${pct(e.onOff)} | ${num(e.rps.peer)} | ${pct(e.onPeer)} | ${pct(e.pairedOnOff)} | ${pct(e.pairedOnPeer)} | ${num(c.on)} / ${num(c.off)} / ${num(c.peer)} | ${pct(e.cpuOnOff)} | ${pct(e.cpuOnPeer)} | ${e.bad} | ${missed.length ? `missed: ${missed.join(", ")}` : "met"} |`,
    );
  }
  lines.push("", "Per-round req/s (on / off / peer):", "");
  for (const [label, e] of Object.entries(report.rows)) {
    lines.push(
      `- ${label}: ${e.rounds.on.map((_, i) => ["on", "off", "peer"].map((v) => num(e.rounds[v][i].rps)).join(" / ")).join("; ")}`,
    );
  }
  return lines.join("\n");
}

try {
  await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
