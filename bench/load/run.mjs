#!/usr/bin/env node
// bench/load: the generated servers under load and under authorization-server faults.
//
//   node bench/load/run.mjs [--frameworks express,hono,fastify,fastmcp] [--requests 20000]
//        [--connections 64] [--fault-seconds 12] [--faults boot,down,rotation,garbage,hang,trickle,status500,empty]
//        [--heap-limit 96] [--reuse] [--no-write] [--render-only]
//
// For each framework (scalekit provider) it generates a project with the real
// CLI (`--yes --no-git --no-check`; --reuse keeps one already generated),
// starts the local issuer and the project's server, and:
//  1. load: N requests over C keep-alive connections on loopback, in a fixed
//     shuffled order, mixing valid tokens (tools/list and tools/call, both
//     protocol eras, a 2025-03-26 batch, a notification), bad signature, no
//     token, expired, malformed, missing scope (single, 2026-07-28, in a
//     batch), a refused Origin and an invalid JSON body. Every answer must have
//     the status decided in advance (and a result, or a challenge), no 5xx.
//     req/s and latency are recorded, not targets. Run twice: as `npm run
//     dev` runs the server (V8 defaults: RSS recorded), and with its old
//     space limited to --heap-limit MB (default 96; lib.mjs LEAK_RUN_HEAP_MB
//     says why), where the RSS (VmRSS) must grow less than 20 MB from the
//     2,000th request to the last. --heap-limit 0: one run, V8 defaults, RSS
//     asserted there.
//  2. faults, each on a fresh server, under traffic (already-verified and new
//     known-key tokens, a flood of unknown kids, no token), each with its
//     recovery time: issuer down at boot, issuer down mid-run (stopped, then
//     restarted on its port), key rotation, and through a fault-injecting
//     proxy in front of the issuer: garbage, hanging, trickling (1 byte/s),
//     500 (key-set fetches counted) and empty key sets.
// Output: bench/load/results.json (raw) and the section "## Load and faults
// (bench/load)" of bench/RESULTS.md. Exit 1 when any assertion failed.
// Work dir: .cache/bench-load/ (projects).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  ensureBuilt,
  freePort,
  generateProject,
  startLocalIssuer,
  startProjectServer,
  stopAll,
  stopChildrenOnSignal,
} from "../../lib/harness.mjs";
import {
  faultIssuerDownAtBoot,
  faultIssuerDownMidRun,
  faultJwks,
  faultRotation,
  JWKS_FAULTS,
  LEAK_RUN_HEAP_MB,
  loadRun,
  MAX_RSS_GROWTH_MB,
  RSS_SAMPLE_FROM,
} from "../../lib/load.mjs";
import { machineInfo, machineLine, writeSection } from "../results-file.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const work = path.join(repo, ".cache", "bench-load");
const ALL = ["express", "hono", "fastify", "fastmcp"];
const ALL_FAULTS = ["boot", "down", "rotation", ...Object.keys(JWKS_FAULTS)];

const { values: args } = parseArgs({
  options: {
    frameworks: { type: "string", default: ALL.join(",") },
    requests: { type: "string", default: "20000" },
    connections: { type: "string", default: "64" },
    "fault-seconds": { type: "string", default: "12" },
    "heap-limit": { type: "string", default: String(LEAK_RUN_HEAP_MB) },
    faults: { type: "string", default: ALL_FAULTS.join(",") },
    reuse: { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    "render-only": { type: "boolean", default: false },
  },
});
const frameworks = args.frameworks
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
for (const fw of frameworks) if (!ALL.includes(fw)) throw new Error(`unknown framework ${fw} (known: ${ALL.join(", ")})`);
const faults = args.faults
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
for (const f of faults) if (!ALL_FAULTS.includes(f)) throw new Error(`unknown fault ${f} (known: ${ALL_FAULTS.join(", ")})`);
const requests = Number(args.requests);
const connections = Number(args.connections);
const faultMs = Number(args["fault-seconds"]) * 1000;
const heapLimitMb = Number(args["heap-limit"]);
const command = `node bench/load/run.mjs ${process.argv.slice(2).join(" ")}`.trim();

function log(line) {
  process.stderr.write(`[load] ${line}\n`);
}
stopChildrenOnSignal(log);

function prepareProject(fw) {
  const dir = path.join(work, "projects", fw);
  if (!(args.reuse && existsSync(path.join(dir, "node_modules")))) {
    rmSync(dir, { recursive: true, force: true });
    log(`${fw}: generating with the CLI (npm install included)`);
    generateProject(fw, dir);
  }
  return dir;
}

/** A fresh server of the project against `issuer` ({ url, resourceId }), node flags `nodeArgs`. */
const launcher =
  (fw, dir) =>
  async (issuer, nodeArgs = []) => {
    const server = await startProjectServer(fw, dir, "src/index.ts", issuer, { nodeArgs });
    return { url: server.url, pid: server.child.pid, stop: server.stop, child: server.child };
  };

/** One load run on a fresh server; `assertRss` decides whether its RSS growth is a failure. */
async function loadOn(fw, launch, issuer, nodeArgs, assertRss) {
  const server = await launch(issuer, nodeArgs);
  try {
    const mint = (o) => issuer.mint([server.url, issuer.resourceId], o);
    const load = await loadRun({ url: server.url, pid: server.pid, mint, requests, connections, assertRss });
    if (server.child.exitCode !== null) load.failures.push(`the server exited during the load (code ${server.child.exitCode})`);
    load.nodeArgs = nodeArgs;
    const label = nodeArgs.length ? nodeArgs.join(" ") : "V8 defaults";
    log(
      `${fw} (${label}): ${load.rps.toFixed(0)} req/s, p50 ${load.latencyMs.p50.toFixed(1)} ms, p99 ${load.latencyMs.p99.toFixed(1)} ms, ` +
        `RSS +${load.rssGrowthMb?.toFixed(1)} MB${assertRss ? "" : " (not asserted)"}, ${load.failures.length ? `FAILED: ${load.failures.join("; ")}` : "all as expected"}`,
    );
    return load;
  } finally {
    await server.stop();
  }
}

async function runFramework(fw, dir) {
  const entry = { framework: fw, failures: [] };
  const issuer = await startLocalIssuer(work);
  const launch = launcher(fw, dir);
  const startIssuerOn = (port) => startLocalIssuer(work, ["--port", String(port)]);
  try {
    log(`${fw}: load, ${requests} requests over ${connections} connections, as npm run dev runs the server`);
    entry.load = await loadOn(fw, launch, issuer, [], heapLimitMb <= 0);
    entry.failures.push(...entry.load.failures.map((f) => `load: ${f}`));
    if (heapLimitMb > 0) {
      log(`${fw}: load again, the server's old space limited to ${heapLimitMb} MB: RSS growth asserted`);
      entry.leakLoad = await loadOn(fw, launch, issuer, [`--max-old-space-size=${heapLimitMb}`], true);
      entry.failures.push(...entry.leakLoad.failures.map((f) => `load, heap limited: ${f}`));
    }
    entry.faults = [];
    const record = (result) => {
      entry.faults.push(result);
      entry.failures.push(...result.failures);
      const recovery = result.recoveryMs === undefined ? "no recovery" : `recovery ${(result.recoveryMs / 1000).toFixed(2)} s`;
      log(
        `${fw}: ${result.fault}: ${recovery}${result.jwksFetches !== undefined ? `, ${result.jwksFetches} key-set fetches` : ""}${result.failures.length ? `, FAILED: ${result.failures.join("; ")}` : ""}`,
      );
    };
    if (faults.includes("boot")) {
      log(`${fw}: fault: issuer down at boot`);
      record(
        await faultIssuerDownAtBoot({
          launch,
          startIssuerOn,
          port: await freePort(),
          resourceId: issuer.resourceId,
          otherIssuer: issuer,
          faultMs: Math.min(faultMs, 4000),
        }),
      );
    }
    if (faults.includes("down")) {
      log(`${fw}: fault: issuer down mid-run`);
      record(await faultIssuerDownMidRun({ launch, startIssuerOn, port: await freePort(), faultMs }));
    }
    if (faults.includes("rotation")) {
      log(`${fw}: fault: key rotation under load`);
      record(await faultRotation({ launch, issuer }));
    }
    for (const fault of Object.keys(JWKS_FAULTS)) {
      if (!faults.includes(fault)) continue;
      log(`${fw}: fault: ${JWKS_FAULTS[fault]}`);
      record(await faultJwks({ fault, launch, issuer, faultMs }));
    }
  } finally {
    await issuer.close();
  }
  // The stats per stream and phase stay in results.json; the figures above go to RESULTS.md.
  return entry;
}

async function main() {
  ensureBuilt(log);
  mkdirSync(work, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    command,
    machine: machineInfo(),
    settings: { requests, connections, faultMs, faults, heapLimitMb, provider: "scalekit" },
    frameworks: {},
  };
  for (const fw of frameworks) {
    const dir = prepareProject(fw);
    report.frameworks[fw] = await runFramework(fw, dir);
  }
  const failures = Object.values(report.frameworks).flatMap((e) => e.failures.map((f) => `${e.framework}: ${f}`));
  report.ok = failures.length === 0;
  // Only a full recorded run replaces results.json and RESULTS.md.
  const recorded = !args["no-write"];
  const resultsFile = recorded ? path.join(here, "results.json") : path.join(work, "results-unrecorded.json");
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`raw results: ${path.relative(repo, resultsFile)}`);
  const section = renderSection(report);
  process.stdout.write(`${section}\n`);
  if (recorded) {
    writeSection(section);
    log("updated bench/RESULTS.md");
  }
  if (failures.length) {
    log(`FAILED (${failures.length}):\n  ${failures.join("\n  ")}`);
    process.exitCode = 1;
  } else log("every assertion held");
}

// ---------------------------------------------------------------- report
const HEADING = "## Load and faults (bench/load)";
const sec = (ms) => (ms === undefined ? "none" : `${(ms / 1000).toFixed(2)} s`);

function renderSection(report) {
  const s = report.settings;
  const lines = [
    HEADING,
    "",
    `Each generated server (${s.provider} provider, local issuer) under ${s.requests.toLocaleString("en")} requests over ${s.connections} keep-alive ` +
      "connections on loopback, in a fixed shuffled order mixing valid tokens (tools/list and tools/call in both protocol eras, a 2025-03-26 batch, " +
      "a notification, new tokens outnumbering the verifier cache), bad signature, no token, expired, malformed, missing scope (2025, 2026-07-28, " +
      "inside a batch), a refused Origin and an invalid JSON body. Asserted: every status equal to the one decided before sending (200/202 with a " +
      `result, 401/403 with their challenge, 400) and zero 5xx, in two runs on fresh servers: as \`npm run dev\` runs the server (V8 defaults), and with ` +
      `its old space limited to ${s.heapLimitMb} MB, where the RSS (VmRSS, nothing forced) must grow less than ${MAX_RSS_GROWTH_MB} MB from request ` +
      `${RSS_SAMPLE_FROM.toLocaleString("en")} to the last. Why the limit: with V8's default sizing (about 4 GB of heap on this 24 GB machine) a server ` +
      "that keeps nothing still grows its heap over its first ~12,000 requests, so RSS growth there measures how lazily V8 collects (recorded, " +
      "not asserted); under the limit V8 sizes the heap by what is live, and a leak shows as growth. req/s and latency are for the record, " +
      "not targets (shared 2-core machine).",
    "",
    `Then the fault runs, each on a fresh server under traffic for ${s.faultMs / 1000} s (already-verified and new known-key tokens, ` +
      "a flood of unknown kids, no token), with the recovery time: from the fault ending (the issuer listening again, the JWKS healthy again) " +
      "to the first 200 for a newly minted token whose key the server has to fetch (the restarted local issuer has new keys; after a JWKS fault " +
      "the issuer rotates). JWKS faults go through a fault-injecting loopback proxy between the server and the issuer. The key set's " +
      "cooldown is 10 s and its fetch deadline 5 s: recovery after a failed fetch is bounded by one cooldown (plus a deadline when the last fetch hung).",
    "",
    machineLine(report),
    `- Command: \`npm run build && ${report.command}\``,
    `- Result: ${report.ok ? "every assertion held" : "FAILED (see the failures below)"}`,
    "",
  ];
  for (const [fw, e] of Object.entries(report.frameworks)) {
    lines.push(`### ${fw}`, "");
    const loadLine = (label, l, asserted) => {
      const mismatched = Object.values(l.byKind).reduce((a, k) => a + Object.values(k.mismatches).reduce((b, c) => b + c, 0), 0);
      const fiveXX = Object.entries(l.statuses)
        .filter(([k]) => /^5/.test(k))
        .reduce((a, [, c]) => a + c, 0);
      const rss = l.rss.map((x) => `${x.request}: ${(x.rssKb / 1024).toFixed(0)}`).join(", ");
      const growth = l.rssGrowthMb === undefined ? "n/a" : `${l.rssGrowthMb.toFixed(1)} MB`;
      return (
        `| ${label} | ${l.requests} | ${l.rps.toFixed(0)} | ${l.latencyMs.p50.toFixed(1)} / ${l.latencyMs.p99.toFixed(1)} | ` +
        `${Object.entries(l.statuses)
          .map(([k, c]) => `${k}: ${c}`)
          .join(
            ", ",
          )} | ${mismatched} | ${fiveXX} | ${growth}${asserted ? ` (< ${MAX_RSS_GROWTH_MB} MB asserted)` : " (recorded)"} | ${rss} |`
      );
    };
    if (e.load) {
      lines.push(
        "| load run | requests | req/s | latency p50 / p99 ms | statuses | mismatched | 5xx | RSS growth from request 2,000 | RSS MB at request |",
      );
      lines.push("|---|---:|---:|---:|---|---:|---:|---|---|");
      lines.push(loadLine("as `npm run dev` runs it (V8 defaults)", e.load, !e.leakLoad));
      if (e.leakLoad) lines.push(loadLine(`old space limited (${e.leakLoad.nodeArgs.join(" ")})`, e.leakLoad, true));
      lines.push("");
    }
    lines.push(
      "| fault | known-key tokens during the fault | unknown kid during the fault | 5xx | key-set fetches (bound) | recovery | holds |",
    );
    lines.push("|---|---|---|---:|---:|---:|---|");
    for (const f of e.faults ?? []) {
      const d = f.during ?? {};
      const newTokens = d.newKnownKeyTokens === undefined ? "" : ` (${d.newKnownKeyTokens} of them new tokens)`;
      const known =
        d.knownKeySent === undefined
          ? `n/a (no key loaded yet): ${d.requests} requests, ${d.all401 ? "every one 401" : "NOT all 401"}`
          : `${d.knownKey200}/${d.knownKeySent} 200${newTokens}, max ${Math.round(d.knownKeyMaxMs)} ms`;
      const unknown =
        d.unknownKidSent === undefined ? "-" : `${d.unknownKid401 ?? 0}/${d.unknownKidSent} 401, max ${Math.round(d.unknownKidMaxMs)} ms`;
      const fetches = f.jwksFetches === undefined ? "-" : `${f.jwksFetches} (<= ${f.fetchBound})`;
      let recovery = sec(f.recoveryMs);
      if (f.recoveryAfterUnknownKidMs !== undefined) recovery += `; ${sec(f.recoveryAfterUnknownKidMs)} right after an unknown-kid fetch`;
      lines.push(
        `| ${f.fault} | ${known} | ${unknown} | ${d.fiveXX ?? 0} | ${fetches} | ${recovery} | ${f.failures.length ? `no: ${f.failures.join("; ")}` : "yes"} |`,
      );
    }
    lines.push("");
    if (e.failures.length) lines.push("Failures:", "", ...e.failures.map((f) => `- ${f}`), "");
  }
  lines.push("Raw data (per request kind, per traffic stream and phase): bench/load/results.json.");
  // Hand-written analysis (what the figures mean, what was fixed to get them) survives re-runs.
  const notes = path.join(here, "notes.md");
  if (existsSync(notes)) lines.push("", readFileSync(notes, "utf8").trim());
  return lines.join("\n");
}

try {
  if (args["render-only"]) {
    writeSection(renderSection(JSON.parse(readFileSync(path.join(here, "results.json"), "utf8"))));
    log("re-rendered bench/RESULTS.md from bench/load/results.json");
  } else await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
