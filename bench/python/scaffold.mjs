// Scaffold time of a Python project against a TypeScript one, side by side in one run (alternating, so machine
// noise hits both alike): `create --language python -f fastapi|fastmcp` (render, write, `uv sync`) against
// `create -f express` (render, write, `npm install`), both with warm package caches (uv's and npm's, filled by
// an uncounted first pair), no git, no self-check; and the same without the install (render and write alone).
// Target: Python within 1.2x of TypeScript. Prints JSON and writes a dated section of bench/RESULTS.md.
//
//   npm run build && node bench/python/scaffold.mjs [--runs 3] [--runs-no-install 7] [--no-write]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureBuilt, npmEnv, repo } from "../../lib/harness.mjs";
import { machineInfo, machineLine, median, writeSection } from "../results-file.mjs";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    "runs-no-install": { type: "string", default: "7" },
    "no-write": { type: "boolean", default: false },
  },
});
const log = (line) => process.stderr.write(`[bench/python/scaffold] ${line}\n`);
ensureBuilt(log);
const cli = path.join(repo, "bin", "create-mcp-auth.js");
const work = mkdtempSync(path.join(tmpdir(), "cma-scaffold-py-"));
const env = { ...npmEnv, UV_NO_PROGRESS: "1" };

const VARIANTS = {
  "python fastapi": ["--language", "python", "-f", "fastapi"],
  "python fastmcp": ["--language", "python", "-f", "fastmcp"],
  "typescript express": ["-f", "express"],
};

/** Wall time of one `create` into a fresh directory, in ms; the directory is removed after. */
function time(args, install) {
  const dir = mkdtempSync(path.join(work, "run-"));
  const started = process.hrtime.bigint();
  const result = spawnSync(
    process.execPath,
    [cli, path.join(dir, "p"), ...args, "--yes", "--no-git", "--no-check", ...(install ? [] : ["--no-install"])],
    { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"], timeout: 600_000 },
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  rmSync(dir, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`create ${args.join(" ")} failed: ${result.stderr}`);
  return ms;
}

function measure(runs, install) {
  const samples = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, []]));
  for (let i = 0; i < runs + 1; i++) {
    // Rotate the order each run; the first run warms the caches and is not counted.
    const names = Object.keys(VARIANTS);
    const order = [...names.slice(i % names.length), ...names.slice(0, i % names.length)];
    for (const name of order) {
      const ms = time(VARIANTS[name], install);
      if (i > 0) samples[name].push(ms);
      log(`${install ? "with install" : "no install"} run ${i}${i === 0 ? " (warm-up)" : ""}: ${name} ${(ms / 1000).toFixed(2)} s`);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { median: median(v), samples: v }]));
}

try {
  const withInstall = measure(Number(values.runs), true);
  const withoutInstall = measure(Number(values["runs-no-install"]), false);
  const report = { date: new Date().toISOString(), machine: machineInfo(), withInstall, withoutInstall };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const ts = (set) => set["typescript express"].median;
  const row = (name) => {
    const a = withInstall[name].median;
    const b = withoutInstall[name].median;
    const ok = a <= 1.2 * ts(withInstall) && b <= 1.2 * ts(withoutInstall);
    return `| ${name} | ${(a / 1000).toFixed(2)} | ${(a / ts(withInstall)).toFixed(2)}x | ${(b / 1000).toFixed(2)} | ${(b / ts(withoutInstall)).toFixed(2)}x | ${name.startsWith("typescript") ? "" : ok ? "met" : "NOT met"} |`;
  };
  if (!values["no-write"]) {
    const load1 = readFileSync("/proc/loadavg", "utf8").split(" ")[0];
    writeSection(
      [
        `## Python scaffold time (bench/python/scaffold.mjs), ${report.date.slice(0, 10)}`,
        "",
        `**Machine loaded** (shared by parallel sessions; load average ${load1} at the end of the run).`,
        "",
        "Wall time of `create <dir> ... --yes --no-git --no-check` with the built CLI: render, write and install (`uv sync` for Python, `npm install` for TypeScript), warm package caches (an uncounted first run fills them), and the same with `--no-install`. Runs alternate between the variants (order rotated), medians. Target: a Python project within 1.2x of a TypeScript one.",
        "",
        machineLine(report),
        `- Command: \`npm run build && node bench/python/scaffold.mjs --runs ${values.runs} --runs-no-install ${values["runs-no-install"]}\``,
        "",
        "| project | with install (s) | vs TypeScript | no install (s) | vs TypeScript | target |",
        "|---|---:|---:|---:|---:|---|",
        ...Object.keys(VARIANTS).map(row),
      ].join("\n"),
    );
    log("wrote bench/RESULTS.md");
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
