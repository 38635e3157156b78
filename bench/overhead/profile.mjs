#!/usr/bin/env node
// Summarizes V8 CPU profiles written by `node bench/overhead/run.mjs --cpu-prof`:
// self time by package (or project file) and the top functions, per server.
//
//   node bench/overhead/profile.mjs [.cache/bench-overhead/prof] [--top 15]
//
// Each subfolder of the profile dir is one server (express-on, express-off, peer-for-express, ...).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "15" } } });
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

for (const name of readdirSync(root).sort()) {
  const dir = path.join(root, name);
  if (!statSync(dir).isDirectory()) continue;
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (!files.length) continue;
  const byBucket = new Map();
  const byFn = new Map();
  const inclusive = new Map();
  let total = 0;
  for (const f of files) {
    const prof = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
    const dts = prof.timeDeltas;
    const selfUs = new Map();
    for (let i = 0; i < prof.samples.length; i++) selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + (dts[i] ?? 0));
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
      const { url, functionName, lineNumber } = n.callFrame;
      if (functionName === "(idle)" || functionName === "(program)") continue;
      total += us;
      const b = bucket(url, functionName);
      byBucket.set(b, (byBucket.get(b) ?? 0) + us);
      const key = `${functionName || "(anonymous)"} ${b}:${lineNumber + 1}`;
      byFn.set(key, (byFn.get(key) ?? 0) + us);
    }
  }
  const fmt = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`)
      .join("\n");
  console.log(`== ${name}: ${(total / 1000).toFixed(0)} ms busy (excluding idle)`);
  console.log(" self time by package / file:");
  console.log(fmt(byBucket));
  console.log(" inclusive (stack contains a frame of):");
  console.log(fmt(new Map([...inclusive].filter(([k]) => !k.startsWith("node:") && !k.startsWith("(")))));
  console.log(" top functions (self):");
  console.log(fmt(byFn));
  console.log();
}
