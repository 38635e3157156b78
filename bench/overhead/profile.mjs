#!/usr/bin/env node
// Summarizes V8 CPU profiles written by `node bench/overhead/run.mjs --cpu-prof`:
// self time by package (or project file) and the top functions, per server,
// in us per request when run.mjs recorded the server's request count.
//
//   node bench/overhead/profile.mjs [.cache/bench-overhead/prof] [--top 15] [--diff express-off,peer-for-express]
//
// Each subfolder of the profile dir is one server (express-on, express-off, peer-for-express, ...).
// With its requests.json (written by run.mjs: requests answered under load, and when the first
// load began), samples before the load (start-up, module compilation) are left out and every
// figure is also given per request. --diff a,b lists where server a spends more CPU per request
// than server b (and less), by package and by function: the per-request difference of self time.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "15" }, diff: { type: "string" } },
});
const root = path.resolve(positionals[0] ?? path.join(here, "..", "..", ".cache", "bench-overhead", "prof"));
const top = Number(values.top);

function bucket(url, fn) {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm !== -1) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const src = url.indexOf("/src/");
  if (src !== -1) return `project ${url.slice(src + 1)}`;
  return url;
}

/** One server's profiles, summed: self time by bucket and by function, inclusive time by bucket (us). */
function summarize(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (!files.length) return undefined;
  const countsFile = path.join(dir, "requests.json");
  const counts = existsSync(countsFile) ? JSON.parse(readFileSync(countsFile, "utf8")) : undefined;
  const from = counts?.loadFromUs ?? -Infinity;
  const byBucket = new Map();
  const byFn = new Map();
  const inclusive = new Map();
  let total = 0;
  let skipped = 0;
  for (const f of files) {
    const prof = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
    const dts = prof.timeDeltas;
    const selfUs = new Map();
    // Sample i is taken at startTime + the sum of timeDeltas[0..i] (same clock as process.hrtime).
    let at = prof.startTime;
    for (let i = 0; i < prof.samples.length; i++) {
      at += dts[i] ?? 0;
      const next = dts[i + 1] ?? 0;
      if (at < from) {
        const leaf = nodes.get(prof.samples[i]).callFrame.functionName;
        if (leaf !== "(idle)" && leaf !== "(program)") skipped += next;
        continue;
      }
      selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + next);
    }
    // Inclusive: time of samples whose stack holds a frame of the bucket (synchronous part of each tick).
    const parent = new Map();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    for (const [id, us] of selfUs) {
      const leaf = nodes.get(id).callFrame.functionName;
      if (leaf === "(idle)" || leaf === "(program)") continue;
      const seen = new Set();
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
        const { url, functionName } = nodes.get(cur).callFrame;
        seen.add(bucket(url, functionName));
      }
      for (const b of seen) inclusive.set(b, (inclusive.get(b) ?? 0) + us);
    }
    for (const [id, us] of selfUs) {
      const n = nodes.get(id);
      const { url, functionName, lineNumber, columnNumber } = n.callFrame;
      if (functionName === "(idle)" || functionName === "(program)") continue;
      total += us;
      const b = bucket(url, functionName);
      byBucket.set(b, (byBucket.get(b) ?? 0) + us);
      const key = `${functionName || "(anonymous)"} ${b}:${lineNumber + 1}:${columnNumber + 1}`;
      byFn.set(key, (byFn.get(key) ?? 0) + us);
    }
  }
  return { byBucket, byFn, inclusive, total, requests: counts?.requests, skipped };
}

function line(us, total, requests, key) {
  const perReq = requests ? `${(us / requests).toFixed(1).padStart(7)} us/req` : "";
  return `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms ${perReq}  ${key}`;
}

function report(name, s) {
  const fmt = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => line(us, s.total, s.requests, k))
      .join("\n");
  const per = s.requests ? `, ${s.requests} requests, ${(s.total / s.requests).toFixed(0)} us busy per request` : "";
  const left = s.skipped ? ` (${(s.skipped / 1000).toFixed(0)} ms busy before the load left out)` : "";
  console.log(`== ${name}: ${(s.total / 1000).toFixed(0)} ms busy (excluding idle)${per}${left}`);
  console.log(" self time by package / file:");
  console.log(fmt(s.byBucket));
  console.log(" inclusive (stack contains a frame of):");
  console.log(fmt(new Map([...s.inclusive].filter(([k]) => !k.startsWith("node:") && !k.startsWith("(")))));
  console.log(" top functions (self):");
  console.log(fmt(s.byFn));
  console.log();
}

/** Per-request self time of a minus b, by key: the largest differences both ways. */
function diff(label, a, b, ma, mb) {
  const keys = new Set([...ma.keys(), ...mb.keys()]);
  const rows = [...keys].map((k) => [k, (ma.get(k) ?? 0) / a.requests - (mb.get(k) ?? 0) / b.requests]);
  rows.sort((x, y) => y[1] - x[1]);
  const show = (r) => `  ${r[1] >= 0 ? "+" : ""}${r[1].toFixed(1).padStart(7)} us/req  ${r[0]}`;
  console.log(` ${label}: more in the first`);
  console.log(
    rows
      .slice(0, top)
      .filter((r) => r[1] > 0)
      .map(show)
      .join("\n"),
  );
  console.log(` ${label}: less in the first`);
  console.log(
    rows
      .slice(-top)
      .reverse()
      .filter((r) => r[1] < 0)
      .map(show)
      .join("\n"),
  );
}

const servers = new Map();
for (const name of readdirSync(root).sort()) {
  const dir = path.join(root, name);
  if (!statSync(dir).isDirectory()) continue;
  const s = summarize(dir);
  if (s) servers.set(name, s);
}

if (values.diff) {
  const [an, bn] = values.diff.split(",");
  const a = servers.get(an);
  const b = servers.get(bn);
  if (!a || !b) throw new Error(`--diff: no profiles for ${!a ? an : bn} in ${root} (have: ${[...servers.keys()].join(", ")})`);
  if (!a.requests || !b.requests) throw new Error("--diff needs requests.json in both (a run.mjs --cpu-prof run writes it)");
  console.log(
    `== ${an} vs ${bn}: ${(a.total / a.requests).toFixed(0)} vs ${(b.total / b.requests).toFixed(0)} us busy per request ` +
      `(${a.requests} and ${b.requests} requests)`,
  );
  diff("by package / file", a, b, a.byBucket, b.byBucket);
  diff("inclusive by package / file", a, b, a.inclusive, b.inclusive);
  diff("by function", a, b, a.byFn, b.byFn);
} else {
  for (const [name, s] of servers) report(name, s);
}
