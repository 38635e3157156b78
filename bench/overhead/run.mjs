#!/usr/bin/env node
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
// bench/overhead: what the generated auth layer costs, per framework.
//
//   node bench/overhead/run.mjs [--frameworks express,hono,fastify,fastmcp]
//        [--duration 5] [--warmup 10] [--rounds 3] [--connections 10]
//        [--reuse] [--skip-tests] [--cpu-prof] [--no-write]   (--no-write: raw results to .cache only)
//
// For each framework it generates a project with the real CLI (`--yes --no-git
// --no-check`), runs the project's `npm test` (a framework whose project fails
// its tests is reported as not measured), then measures with autocannon on
// loopback, side by side in one run, rounds interleaved (order rotated each
// round), medians taken:
//   on    the generated server as generated (Scalekit verifier, local issuer)
//   off   a copy of it whose createAuthorizer is a stub (bench/overhead/noauth.mjs);
//         the patch lives only in the benchmark's copy, never in templates/
//   peer  a plain SDK v2 server (createMcpExpressApp, the SDK's requireBearerAuth
//         with a jose verifier, createMcpHandler; bench/overhead/peer-server.ts)
//         around the generated project's own createMcpServer (src/mcp.ts: a plain
//         McpServer per request, as the SDK documents it), so the auth and HTTP
//         layers alone are compared (peer-server-v1.ts is the SDK v1 peer of the
//         earlier runs, kept for history)
// Load: authenticated POST /mcp `tools/list`. Then, per framework, a fresh
// auth-on server gets 100 concurrent authenticated requests as its very first
// requests; the issuer's GET /keys counter says how many JWKS fetches that cost.
//
// Output: bench/overhead/results.json (raw, every round) and the section
// "## Auth overhead (bench/overhead)" of bench/RESULTS.md (other sections kept).
// Work dir: .cache/bench-overhead/ (projects, autocannon, logs, CPU profiles).
// --reuse       keep already generated projects (default: regenerate from templates/)
// --cpu-prof    run servers with --cpu-prof (profiles in .cache/bench-overhead/prof/);
//               slows them down, so numbers of such a run are not recorded in RESULTS.md
// --render-only re-render the RESULTS.md section from results.json (+ notes.md), measure nothing
// Profiles: node bench/overhead/profile.mjs; verifier cost without HTTP: see verify-micro.ts.
import { machineInfo, machineLine, median, writeSection } from "../results-file.mjs";
import { makeNoAuthCopy } from "./noauth.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const work = path.join(repo, ".cache", "bench-overhead");
const ALL = ["express", "hono", "fastify", "fastmcp"];

const { values: args } = parseArgs({
  options: {
    frameworks: { type: "string", default: ALL.join(",") },
    eras: { type: "string", default: "2025,2026" },
    duration: { type: "string", default: "5" },
    // Every server (peer included) gets the same warm-up before the rounds, long enough for its JIT to settle:
    // at the 70-300 req/s a loaded 2-core machine gives, 2 s was a few hundred requests, and CPU per request was
    // still falling round by round through the first era (bench/RESULTS.md, "Express overhead, profiled").
    warmup: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "10" },
    reuse: { type: "boolean", default: false },
    "skip-tests": { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    "render-only": { type: "boolean", default: false },
  },
});
const frameworks = args.frameworks
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const eras = args.eras
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s === "2025" || s === "2026");
for (const fw of frameworks) if (!ALL.includes(fw)) throw new Error(`unknown framework ${fw} (known: ${ALL.join(", ")})`);
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const cpuProf = args["cpu-prof"];
const command = `node bench/overhead/run.mjs ${process.argv.slice(2).join(" ")}`.trim();

mkdirSync(work, { recursive: true });

// ---------------------------------------------------------------- processes
function log(line) {
  process.stderr.write(`[overhead] ${line}\n`);
}
stopChildrenOnSignal(log);

// ---------------------------------------------------------------- setup
function ensureAutocannon() {
  const dir = work;
  const require = createRequire(path.join(dir, "package.json"));
  try {
    return require("autocannon");
  } catch {
    log("installing autocannon@8 into .cache/bench-overhead");
    if (!existsSync(path.join(dir, "package.json"))) writeFileSync(path.join(dir, "package.json"), '{"private":true}\n');
    execFileSync("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", "autocannon@8"], {
      env: npmEnv,
      stdio: ["ignore", "ignore", "inherit"],
    });
    return require("autocannon");
  }
}

/** Generates (or reuses) the framework's project; returns { dir } or { skipped: reason }. */
function prepareProject(fw) {
  if (!existsSync(path.join(repo, "templates", "typescript", fw, "src", "index.ts.hbs"))) {
    return { skipped: `templates/typescript/${fw}/src/index.ts.hbs does not exist` };
  }
  const dir = path.join(work, "projects", fw);
  if (!(args.reuse && existsSync(path.join(dir, "node_modules")))) {
    rmSync(dir, { recursive: true, force: true });
    log(`${fw}: generating with the CLI (npm install included)`);
    try {
      execFileSync(
        process.execPath,
        [path.join(repo, "bin", "create-mcp-auth.js"), dir, "--framework", fw, "--yes", "--no-git", "--no-check"],
        { cwd: repo, env: npmEnv, stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 },
      );
    } catch (error) {
      return {
        skipped: `generation failed: ${String(error.stderr ?? error.message)
          .trim()
          .split("\n")
          .slice(-3)
          .join(" | ")}`,
      };
    }
  }
  if (!args["skip-tests"]) {
    log(`${fw}: npm test in the generated project`);
    try {
      execFileSync("npm", ["test"], { cwd: dir, env: npmEnv, stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 });
    } catch (error) {
      const out = `${error.stdout ?? ""}${error.stderr ?? ""}`
        .trim()
        .split("\n")
        .filter((l) => /fail|error|✗|×/i.test(l));
      return { skipped: `the generated project's npm test fails (${out.slice(0, 3).join(" | ") || error.message})`, dir };
    }
  }
  return { dir };
}

// ---------------------------------------------------------------- servers
const profRoot = path.join(work, "prof");
// A --cpu-prof run's profiles are its own: those of an earlier run would be summed with them.
if (cpuProf) rmSync(profRoot, { recursive: true, force: true });

async function startServer(name, cwd, entry, issuer, extraEnv = {}) {
  const nodeArgs = [];
  if (cpuProf) {
    const dir = path.join(profRoot, name);
    mkdirSync(dir, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
  }
  const server = await startProjectServer(name, cwd, entry, issuer, { extraEnv, nodeArgs });
  return { ...server, token: await issuer.mint([server.url, issuer.resourceId]), requests: 0, loadFromUs: undefined };
}

/**
 * For profile.mjs: how many requests a profiled server answered under load, and
 * when its first load began (CLOCK_MONOTONIC in us, the clock of V8's profile
 * timestamps), so that it can leave out start-up and give CPU per request.
 */
function writeProfileCounts(server) {
  if (!cpuProf) return;
  const file = path.join(profRoot, server.name, "requests.json");
  writeFileSync(file, `${JSON.stringify({ requests: server.requests, loadFromUs: server.loadFromUs })}\n`);
}

/**
 * The measured request, per protocol era: a 2025-era `tools/list` (no
 * handshake, the stateless servers answer it directly) and a 2026-07-28 one
 * (its `_meta` envelope and the Mcp-Method header).
 */
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
function headers(token, era) {
  const h = { "content-type": "application/json", accept: "application/json, text/event-stream", ...ERAS[era].headers };
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

async function post(url, token, era = "2025") {
  const res = await fetch(url, { method: "POST", headers: headers(token, era), body: ERAS[era].body });
  return { status: res.status, body: await res.text() };
}

/** Before measuring: with a token -> 200 + tools; without -> 401 (auth on) or 200 (auth off). */
async function sanityCheck(server, authOn, era) {
  const withToken = await post(server.url, server.token, era);
  if (withToken.status !== 200 || !withToken.body.includes('"tools"')) {
    throw new Error(`${server.name}: tools/list with a token answered ${withToken.status}: ${withToken.body.slice(0, 300)}`);
  }
  const without = await post(server.url, undefined, era);
  const expected = authOn ? 401 : 200;
  if (without.status !== expected) {
    throw new Error(
      `${server.name}: tools/list without a token answered ${without.status}, expected ${expected} (auth ${authOn ? "on" : "off"})`,
    );
  }
  return { toolsListBytes: withToken.body.length };
}

/** CPU time (user + system, ms) the server process has used so far; Linux /proc only, else undefined. */
const CLK_TCK = 100;
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime, stime
  } catch {
    return undefined;
  }
}

let autocannon;
async function load(server, seconds, era) {
  server.loadFromUs ??= Number(process.hrtime.bigint() / 1000n);
  const cpuBefore = cpuMs(server.child.pid);
  const result = await autocannon({
    url: server.url,
    method: "POST",
    headers: headers(server.token, era),
    body: ERAS[era].body,
    connections,
    duration: seconds,
  });
  const cpuAfter = cpuMs(server.child.pid);
  server.requests += result.requests.total;
  return {
    rps: result.requests.average,
    // Server CPU per request: far less sensitive than req/s to other load on a shared machine.
    cpuUsPerRequest:
      cpuBefore === undefined || !result.requests.total ? undefined : ((cpuAfter - cpuBefore) * 1000) / result.requests.total,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
  };
}

/** 100 concurrent authenticated requests as the very first requests of a fresh server. */
async function jwksBurst(name, cwd, entry, issuer) {
  const server = await startServer(`${name}-jwks`, cwd, entry, issuer);
  try {
    const before = await issuer.jwksRequests();
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 100 }, () => post(server.url, server.token).catch((e) => ({ status: String(e) }))),
    );
    const ms = performance.now() - started;
    const after = await issuer.jwksRequests();
    const statuses = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    return { fetches: after - before, statuses, ms: Math.round(ms) };
  } finally {
    await stopProcess(server.child);
  }
}

/** Medians, ratios and CPU figures of one framework's rounds in one era. */
function summarize(entry) {
  const med = (v) => median(entry.rounds[v].map((m) => m.rps));
  const sum = (v, k) => entry.rounds[v].reduce((a, m) => a + m[k], 0);
  const variants = Object.keys(entry.rounds);
  const perVariant = (f) => Object.fromEntries(variants.map((v) => [v, f(v)]));
  entry.rps = perVariant(med);
  entry.onOff = entry.rps.on / entry.rps.off;
  entry.onPeer = entry.rps.on / entry.rps.peer;
  entry.roundRatios = entry.rounds.on.map((m, i) => ({
    onOff: m.rps / entry.rounds.off[i].rps,
    onPeer: m.rps / entry.rounds.peer[i].rps,
  }));
  entry.pairedOnOff = median(entry.roundRatios.map((r) => r.onOff));
  entry.pairedOnPeer = median(entry.roundRatios.map((r) => r.onPeer));
  const cpu = (v) =>
    entry.rounds[v].every((m) => m.cpuUsPerRequest !== undefined) ? median(entry.rounds[v].map((m) => m.cpuUsPerRequest)) : undefined;
  entry.cpuUsPerRequest = perVariant(cpu);
  if (entry.cpuUsPerRequest.on !== undefined) {
    // What on/off and on/peer would be if the server were CPU-bound on a quiet machine.
    entry.cpuOnOff = entry.cpuUsPerRequest.off / entry.cpuUsPerRequest.on;
    entry.cpuOnPeer = entry.cpuUsPerRequest.peer / entry.cpuUsPerRequest.on;
  }
  entry.non2xx = perVariant((v) => sum(v, "non2xx"));
  entry.errors = perVariant((v) => sum(v, "errors") + sum(v, "timeouts"));
}

// ---------------------------------------------------------------- main

async function main() {
  autocannon = ensureAutocannon();
  ensureBuilt(log);

  const prepared = {};
  for (const fw of frameworks) prepared[fw] = prepareProject(fw);
  // The peer baseline runs inside a copy of the generated Express project (its deps, its tools).
  let peerBase = prepared.express?.skipped ? undefined : prepared.express?.dir;
  if (!peerBase) {
    const p = prepareProject("express");
    if (p.skipped) throw new Error(`peer baseline needs the generated Express project: ${p.skipped}`);
    peerBase = p.dir;
  }
  const peerDir = path.join(work, "peer");
  // A real copy (not a node_modules symlink): the peer adds the SDK's Express and Node adapters.
  rmSync(peerDir, { recursive: true, force: true });
  cpSync(peerBase, peerDir, { recursive: true });
  execFileSync(
    "npm",
    ["install", "--no-save", "--no-audit", "--no-fund", "@modelcontextprotocol/express@^2.0.2", "@modelcontextprotocol/node@^2.1.2"],
    {
      cwd: peerDir,
      env: npmEnv,
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  copyFileSync(path.join(here, "peer-server.ts"), path.join(peerDir, "src", "peer.ts"));

  const issuer = await startLocalIssuer(work);
  log(`issuer at ${issuer.url}`);
  const report = {
    date: new Date().toISOString(),
    command,
    machine: machineInfo(),
    settings: { duration, warmup, rounds, connections, cpuProf, request: "POST /mcp tools/list" },
    frameworks: {},
  };

  for (const fw of frameworks) {
    const p = prepared[fw];
    if (p.skipped) {
      log(`${fw}: not measured: ${p.skipped}`);
      report.frameworks[fw] = { measured: false, reason: p.skipped };
      continue;
    }
    const offDir = path.join(work, "projects", `${fw}-noauth`);
    makeNoAuthCopy(p.dir, offDir);
    log(`${fw}: starting auth-on, auth-off and the peer server`);
    const servers = {
      on: await startServer(`${fw}-on`, p.dir, "src/index.ts", issuer),
      off: await startServer(`${fw}-off`, offDir, "src/index.ts", issuer),
      peer: await startServer(`peer-for-${fw}`, peerDir, "src/peer.ts", issuer),
    };
    const entries = {};
    try {
      for (const era of eras) {
        const label = `${fw} (${era === "2026" ? "2026-07-28" : "2025"})`;
        const entry = { measured: true, era, rounds: { on: [], off: [], peer: [] }, sanity: {} };
        for (const [variant, server] of Object.entries(servers)) {
          entry.sanity[variant] = await sanityCheck(server, variant !== "off", era);
        }
        for (const [variant, server] of Object.entries(servers)) {
          log(`${label}: warm-up ${variant} ${warmup} s`);
          await load(server, warmup, era);
        }
        const order = Object.keys(servers);
        for (let r = 0; r < rounds; r++) {
          const rotated = [...order.slice(r % order.length), ...order.slice(0, r % order.length)];
          for (const variant of rotated) {
            const m = await load(servers[variant], duration, era);
            entry.rounds[variant].push(m);
            log(`${label}: round ${r + 1} ${variant.padEnd(7)} ${m.rps.toFixed(0)} req/s  non-2xx ${m.non2xx}  errors ${m.errors}`);
          }
        }
        summarize(entry);
        log(
          `${label}: on ${entry.rps.on.toFixed(0)} off ${entry.rps.off.toFixed(0)} peer ${entry.rps.peer.toFixed(0)} on/off ${(entry.onOff * 100).toFixed(1)}% on/peer ${(entry.onPeer * 100).toFixed(1)}%`,
        );
        entries[label] = entry;
      }
    } finally {
      await Promise.all(Object.values(servers).map((s) => stopProcess(s.child)));
      for (const s of Object.values(servers)) writeProfileCounts(s);
    }
    log(`${fw}: JWKS fetches for 100 concurrent first requests`);
    const jwks = await jwksBurst(fw, p.dir, "src/index.ts", issuer);
    for (const [label, entry] of Object.entries(entries)) report.frameworks[label] = { ...entry, jwks };
  }
  log("peer: JWKS fetches for 100 concurrent first requests");
  report.peerJwks = await jwksBurst("peer", peerDir, "src/peer.ts", issuer);

  await stopProcess(issuer.child);

  // Only a recorded run replaces bench/overhead/results.json; the others keep theirs in .cache.
  const recorded = !cpuProf && !args["no-write"];
  const resultsFile = recorded
    ? path.join(here, "results.json")
    : path.join(work, cpuProf ? "results-cpu-prof.json" : "results-unrecorded.json");
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`raw results: ${path.relative(repo, resultsFile)}`);
  const section = renderSection(report);
  process.stdout.write(`${section}\n`);
  if (recorded) {
    writeSection(section);
    log("updated bench/RESULTS.md");
  }
}

// ---------------------------------------------------------------- report
const HEADING = "## Auth overhead (bench/overhead)";
const pct = (x) => `${(x * 100).toFixed(1)}%`;
const rps = (x) => x.toFixed(0);

function renderSection(report) {
  const lines = [HEADING, ""];
  lines.push(
    "Requests per second of an authenticated MCP `tools/list` (POST /mcp, JSON response, stateless McpServer per request) " +
      "against the generated server as generated (**on**), the same project with its auth layer stubbed out by the benchmark " +
      "(**off**; the patch lives in bench/overhead/noauth.mjs and touches only the benchmark's copy), and a plain Express server " +
      "on MCP SDK v2 with the SDK's own `requireBearerAuth` (@modelcontextprotocol/express) and a jose `createRemoteJWKSet` verifier " +
      "(**peer**; `createMcpExpressApp`, `createMcpHandler`) around the generated project's own `createMcpServer` (a plain McpServer per request, as the SDK documents it), " +
      "so that on/peer compares the auth and HTTP layers alone. " +
      `autocannon on loopback, ${report.settings.connections} connections, ${report.settings.warmup} s warm-up per server, ` +
      `${report.settings.rounds} rounds of ${report.settings.duration} s per variant interleaved (order rotated each round), medians. ` +
      "Targets: on/off >= 90%, on/peer >= 100%, JWKS fetches for 100 concurrent first requests = 1.",
    "",
    machineLine(report),
    `- Command: \`npm run build && ${report.command}\``,
    "",
    "| framework | on req/s | off req/s | on/off | peer req/s | on/peer | JWKS fetches (100 concurrent first requests) | non-2xx + errors | targets |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|",
  );
  for (const [fw, e] of Object.entries(report.frameworks)) {
    if (!e.measured) {
      lines.push(`| ${fw} | - | - | - | - | - | - | - | not measured: ${e.reason} |`);
      continue;
    }
    const missed = [];
    if (e.onOff < 0.9) missed.push("on/off < 90%");
    if (e.onPeer < 1) missed.push("on/peer < 100%");
    if (e.jwks.fetches !== 1) missed.push(`JWKS fetches ${e.jwks.fetches}`);
    const bad = Object.values(e.non2xx).reduce((a, n) => a + n, 0) + Object.values(e.errors).reduce((a, n) => a + n, 0);
    if (bad > 0) missed.push("non-2xx/errors: numbers not valid");
    const burstOk = e.jwks.statuses["200"] === 100 ? "" : ` (burst statuses ${JSON.stringify(e.jwks.statuses)})`;
    lines.push(
      `| ${fw} | ${rps(e.rps.on)} | ${rps(e.rps.off)} | ${pct(e.onOff)} | ${rps(e.rps.peer)} | ${pct(e.onPeer)} | ${e.jwks.fetches}${burstOk} | ${bad} | ${missed.length ? `missed: ${missed.join(", ")}` : "met"} |`,
    );
  }
  lines.push("");
  lines.push(`Peer baseline, same JWKS test: ${report.peerJwks.fetches} fetch(es) for 100 concurrent first requests.`);
  lines.push("");
  lines.push("Per-round req/s (on / off / peer), to show the noise:");
  lines.push("");
  for (const [fw, e] of Object.entries(report.frameworks)) {
    if (!e.measured) continue;
    const rounds = e.rounds.on.map((_, i) => ["on", "off", "peer"].map((v) => rps(e.rounds[v][i].rps)).join(" / "));
    lines.push(`- ${fw}: ${rounds.join("; ")} (per-round on/off ${e.roundRatios.map((r) => pct(r.onOff)).join(", ")})`);
  }
  lines.push("");
  lines.push(
    "Cross-check that the machine noise cannot move much: server CPU time per request (user + system of the server process, " +
      "from /proc, median over rounds), and the ratios it implies (off CPU / on CPU, peer CPU / on CPU); also the medians of the " +
      "per-round ratios (each measured back to back).",
  );
  lines.push("");
  lines.push(
    "| framework | CPU us/req on | off | peer | on/off by CPU | on/peer by CPU | on/off, per-round median | on/peer, per-round median |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const [fw, e] of Object.entries(report.frameworks)) {
    if (!e.measured) continue;
    const c = e.cpuUsPerRequest;
    const f = (x) => (x === undefined ? "n/a" : x.toFixed(0));
    const p = (x) => (x === undefined ? "n/a" : pct(x));
    lines.push(
      `| ${fw} | ${f(c.on)} | ${f(c.off)} | ${f(c.peer)} | ${p(e.cpuOnOff)} | ${p(e.cpuOnPeer)} | ${pct(e.pairedOnOff)} | ${pct(e.pairedOnPeer)} |`,
    );
  }
  lines.push("");
  lines.push("Raw data: bench/overhead/results.json.");
  // Hand-written analysis (profiles, what would fix a missed target) survives re-runs.
  const notes = path.join(here, "notes.md");
  if (existsSync(notes)) lines.push("", readFileSync(notes, "utf8").trim());
  return lines.join("\n");
}

try {
  if (args["render-only"]) {
    const report = JSON.parse(readFileSync(path.join(here, "results.json"), "utf8"));
    writeSection(renderSection(report));
    log("re-rendered bench/RESULTS.md from bench/overhead/results.json");
  } else await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
