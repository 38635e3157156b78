// Python add on every Python project of the test fixtures (test/fixtures/add-python, written for the tests, and
// test/fixtures/real-python, real third-party servers): what add does with each (secured, or refused and why) and how
// long add takes without install (`add --dry-run --json`: detection with the project's Python, the plan, the diff;
// median of N runs, each on a fresh copy). The self-check and install results are the tests' (test/add-python*.test.ts).
// Usage: npm run build && node bench/add/python-projects.mjs [runs]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median, writeSection } from "../results-file.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const runs = Number(process.argv[2] ?? 3);
const cli = path.join(repo, "bin/create-mcp-auth.js");
const sets = [
  ["test/fixtures/real-python", "real"],
  ["test/fixtures/add-python", "written for the tests"],
];

/** Baselines in the same run: the CLI starting (--version) and the project's Python starting. */
function timed(file, args) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    execFileSync(file, args, { stdio: "ignore" });
    times.push(performance.now() - started);
  }
  return median(times);
}
const hasTime = existsSync("/usr/bin/time");
const cliStart = timed(process.execPath, [cli, "--version"]);
// Where the time went before: python3 on PATH is a pyenv shim here (a shell script that runs pyenv to choose the
// version), and the scan imported the site module. Now add resolves the shim to the interpreter (pathPython in
// src/add/python/scan.ts) and runs it with -S: both start-ups side by side, in the same run.
const pythonShim = timed("python3", ["-I", "-c", "pass"]);
const resolved = execFileSync("python3", ["-c", "import sys; print(sys.executable)"]).toString().trim();
const pythonResolved = timed(resolved, ["-I", "-S", "-c", "pass"]);
const load = os.loadavg()[0].toFixed(1);

const rows = [];
for (const [dir, kind] of sets) {
  for (const name of readdirSync(path.join(repo, dir)).sort()) {
    const times = [];
    const cpu = [];
    let doc;
    // One more run than measured: the first (files not yet in the page cache) is left out.
    for (let i = 0; i <= runs; i++) {
      const work = mkdtempSync(path.join(tmpdir(), "cma-bench-pyadd-"));
      const root = path.join(work, name);
      cpSync(path.join(repo, dir, name), root, { recursive: true });
      const started = performance.now();
      let out;
      // CPU seconds (user + system, add and the Python it starts), which a loaded machine inflates far less than the wall time.
      const cpuFile = path.join(work, "cpu");
      const [file, args] = hasTime
        ? ["/usr/bin/time", ["-o", cpuFile, "-f", "%U %S", process.execPath, cli, "add", root, "--dry-run", "--json"]]
        : [process.execPath, [cli, "add", root, "--dry-run", "--json"]];
      try {
        out = execFileSync(file, args, { stdio: ["ignore", "pipe", "ignore"] });
      } catch (error) {
        out = error.stdout;
      }
      if (i > 0) times.push(performance.now() - started);
      if (hasTime && i > 0) {
        const [user, sys] = readFileSync(cpuFile, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
        cpu.push((user + sys) * 1000);
      }
      doc = JSON.parse(out.toString());
      rmSync(work, { recursive: true, force: true });
    }
    const d = doc.detected;
    const outcome = doc.error
      ? `refused: ${doc.error
          .replace(/^.*?(serves|creates|builds|makes|already|uses|is a Python)/, "$1")
          .split(". ")[0]
          .slice(0, 110)}`
      : `secured: ${doc.files
          .filter((f) => f.action === "modify")
          .map((f) => f.path)
          .join(", ")}`;
    rows.push({
      name,
      kind,
      error: doc.error ?? "",
      framework: d ? `${d.framework.name} ${d.framework.major ?? ""}`.trim() : "",
      outcome,
      ms: median(times),
      cpu: cpu.length ? median(cpu) : undefined,
    });
    console.log(name, Math.round(median(times)), cpu.length ? Math.round(median(cpu)) : "", outcome);
  }
}

const real = rows.filter((r) => r.kind === "real");
const realSecured = real.filter((r) => r.outcome.startsWith("secured"));
// The bar (issue 20) counts the projects that serve MCP over Streamable HTTP: a refusal because the project serves
// only stdio or SSE, or never serves its server itself, is not one add could secure.
const notHttp = /stdio only|never serves it itself|SSE or stdio only|SSE only/;
const realHttp = real.filter((r) => !notHttp.test(r.error));
const over = rows.filter((r) => r.ms > 1000);
// A dated section appended at the end of bench/RESULTS.md (the earlier runs' sections are kept as they were).
const day = new Date().toISOString().slice(0, 10);
writeSection(`## add (Python): projects, add without install (bench/add/python-projects.mjs), ${process.env.BENCH_BY ?? "run"} (${day})

Run ${day}, 2 shared cores, load average ${load} at the start:
median of ${runs} runs (after one left out) of \`add <copy> --dry-run --json\` per project, wall time (ms) and CPU time (user + system of add and its Python) (detection with the project's own Python, the plan,
the diff; no install, no self-check). In the same run the CLI's \`--version\` took ${Math.round(cliStart)} ms; python3 on PATH
(a pyenv shim here) took ${Math.round(pythonShim)} ms to start, the interpreter it resolves to, as add now runs it
(\`-I -S\`), ${Math.round(pythonResolved)} ms. ${over.length === 0 ? "Every project is under 1 s." : `Over 1 s: ${over.map((r) => r.name).join(", ")}.`}
What the tests prove beyond that (uv install, --steps before and after, the self-check against the project's own
start command in both eras, idempotence) is in test/add-python.test.ts and test/add-python-real.test.ts.

| project | kind | framework | what add does | ms | CPU ms |
|---|---|---|---|---|---|
${rows.map((r) => `| ${r.name} | ${r.kind} | ${r.framework} | ${r.outcome.replace(/\|/g, "\\|")} | ${Math.round(r.ms)} | ${r.cpu === undefined ? "" : Math.round(r.cpu)} |`).join("\n")}

- Command: \`npm run build && node bench/add/python-projects.mjs ${runs}\`
- Real projects: ${real.length} (from PyPI source distributions and the mcp / fastmcp sdists' examples, each with its LICENSE
  and SOURCE.md); secured with no flag beyond --scopes: ${realSecured.length} (${realSecured.map((r) => r.name).join(", ")}), the
  others refused with their reason and nothing written. Of the ${realHttp.length} that serve MCP over Streamable HTTP,
  ${realSecured.length} are secured (${Math.round((100 * realSecured.length) / Math.max(realHttp.length, 1))}%)${
    realHttp.length > realSecured.length
      ? `; refused among them: ${realHttp
          .filter((r) => !r.outcome.startsWith("secured"))
          .map((r) => r.name)
          .join(", ")}`
      : ""
  }.${process.env.BENCH_NOTE ? `\n\n${process.env.BENCH_NOTE}` : ""}
`);
