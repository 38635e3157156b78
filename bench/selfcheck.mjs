// Benchmark: wall time of the self-check on an installed project: local
// issuer start + server start (tsx) + every probe + the SDK client's OAuth
// flow + shutdown, i.e. `create-mcp-auth check --project <dir>`.
// Usage: npm run build && node bench/selfcheck.mjs [runs] [framework]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median, writeSection } from "./results-file.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const runs = Math.max(5, Number(process.argv[2] ?? 7));
const framework = process.argv[3] ?? "express";
const base = path.join(repo, ".cache", "bench-selfcheck");
const project = path.join(base, `${framework}-project`);
const cli = path.join(repo, "bin", "create-mcp-auth.js");
const env = { ...process.env, CI: "true", npm_config_cache: path.join(repo, ".cache", "npm") };

if (!existsSync(path.join(project, "node_modules"))) {
  mkdirSync(base, { recursive: true });
  execFileSync(process.execPath, [cli, project, "--framework", framework, "--yes", "--no-git", "--no-check", "--force"], {
    env,
    stdio: "inherit",
  });
}

const times = [];
for (let i = 0; i < runs + 1; i++) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [cli, "check", "--project", project, "--json"], { env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`self-check failed (exit ${result.status}):\n${result.stderr}\n${result.stdout}`);
  const report = JSON.parse(result.stdout);
  if (i > 0) times.push({ wallMs: ms, probesMs: report.durationMs, probes: report.results.length });
}
const result = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  framework,
  runs,
  probes: times[0].probes,
  wallMedianMs: Math.round(median(times.map((t) => t.wallMs))),
  wallMaxMs: Math.round(Math.max(...times.map((t) => t.wallMs))),
  probesMedianMs: Math.round(median(times.map((t) => t.probesMs))),
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `self-check: median ${(result.wallMedianMs / 1000).toFixed(2)} s wall (target <= 2.5 s, aim 2 s), probes alone ${(result.probesMedianMs / 1000).toFixed(2)} s`,
);

if (!process.argv.includes("--no-write")) {
  writeSection(`## Self-check time (bench/selfcheck.mjs)

Wall time of \`create-mcp-auth check --project <dir>\` on an installed ${framework} project: start the local
issuer, start the generated server (tsx), wait for it, run all ${result.probes} probes (minted-token battery and the
official SDK client's OAuth flow included), stop both. Median of ${runs} runs after one warm-up. Target: at most 2.5 s (aim: 2 s).

- Date: ${result.date}; Node ${result.node}; 2 shared cores
- Command: \`npm run build && node bench/selfcheck.mjs ${runs} ${framework}\`

| measure | median | max | target |
|---|---:|---:|---|
| whole self-check, wall | ${(result.wallMedianMs / 1000).toFixed(2)} s | ${(result.wallMaxMs / 1000).toFixed(2)} s | ${result.wallMedianMs <= 2500 ? "met" : "missed"} (<= 2.5 s) |
| probes and OAuth flow alone | ${(result.probesMedianMs / 1000).toFixed(2)} s | | |

Most of the rest is starting the generated server under tsx (TypeScript compiled on the fly).`);
}
