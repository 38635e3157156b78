// add on the real-project corpus (test/fixtures/real/manifest.json): per
// project its shape, add's outcome, the flags it needs, the project's own steps
// before and after, the self-check (both protocol eras), and add's time without
// install; then the share of projects meeting issue 18's bar. Writes its
// section of bench/RESULTS.md; --record also writes each observed outcome into
// the manifest as the expected one (review the diff: a changed outcome is news).
// Usage: npm run build && node bench/add/real.mjs [--record] [name...]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { loadManifest, MANIFEST, meetsBar, pool, runProject } from "../../lib/real-corpus.mjs";
import { writeSection } from "../results-file.mjs";

const args = process.argv.slice(2);
const record = args.includes("--record");
const only = args.filter((a) => !a.startsWith("--"));
const manifest = await loadManifest();
const projects = manifest.projects.filter((p) => only.length === 0 || only.includes(p.name));

const work = await mkdtemp(path.join(tmpdir(), "cma-real-"));
const started = Date.now();
const results = await pool(projects, 2, async (project) => {
  const r = await runProject(project, work);
  console.error(`${project.name}: ${JSON.stringify(r.outcome)} (${r.fullSeconds.toFixed(0)} s)`);
  return r;
});
const wall = (Date.now() - started) / 1000;
await rm(work, { recursive: true, force: true });

for (const [i, r] of results.entries()) if (!r.ok) console.error(`${projects[i].name}: ${r.error?.stack ?? r.error}`);
const done = results.filter((r) => r.ok).map((r) => r.value);

const stepCell = (o) =>
  o.steps && Object.keys(o.steps).length
    ? Object.entries(o.steps)
        .map(([name, v]) => `${name} ${v === "green" ? "green/green" : v === "broken by add" ? "green/RED" : "red/red"}`)
        .join(", ")
    : "-";
const outcomeCell = (r) => {
  const o = r.outcome;
  if (o.exitCode === 2) return `exit 2: ${o.error.replace(/\|/g, "\\|").slice(0, 140)}`;
  return `exit ${o.exitCode}${o.manual ? ", wiring left to the user" : ""}${o.error ? `: ${o.error.replace(/\|/g, "\\|")}` : ""}`;
};
const erasOf = (o) =>
  o.eras
    ? ` (eras: ${Object.entries(o.eras)
        .map(([era, answer]) => `${era} ${answer}`)
        .join(", ")})`
    : "";
const checkCell = (o) =>
  o.exitCode === 2
    ? "-"
    : `${o.check === "pass" ? "pass" : Array.isArray(o.check) ? `fail: ${o.check.join(", ")}` : String(o.check)}${erasOf(o)}`;
const rows = done.map(
  (r) =>
    `| ${r.project.name} | ${r.project.npm} | ${r.project.shape.replace(/\|/g, "/")} | ${r.project.kind} | ${outcomeCell(r)} | ${(r.project.flags ?? []).join(" ") || "none"} | ${stepCell(r.outcome)} | ${checkCell(r.outcome)} | ${r.addSeconds.toFixed(2)} / ${r.addCpuSeconds.toFixed(2)} |`,
);
const meeting = done.filter(meetsBar).length;
// Outcomes that differ from what the manifest records (what test/add-real.test.ts asserts); none after --record.
const changed = done.filter((r) => JSON.stringify(r.outcome) !== JSON.stringify(r.project.expect)).map((r) => r.project.name);
const under1s = done.filter((r) => r.addSeconds <= 1).length;
const under1sCpu = done.filter((r) => r.addCpuSeconds <= 1).length;
const section = [
  "## add on real third-party projects (bench/add/real.mjs)",
  "",
  `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.availableParallelism()} cores, machine loaded (six sessions sharing it), two projects at a time; ${done.length} of ${projects.length} projects ran, ${wall.toFixed(0)} s wall.`,
  "Each project is the package its authors published to the npm registry (test/fixtures/real/manifest.json pins version and integrity), unpacked into a git repository and installed; then `add --yes --steps --json` with the flags it needs today. Steps: before/after add (green/green, green/RED = broken by add, red/red = red before add). Self-check: add's `check` against the local issuer on the project's own start command, both protocol eras. add time: `add --dry-run` with those flags, without install or self-check (target at most 1 s), wall time and CPU time (user + system, which the load does not inflate as much).",
  "",
  "| project | package | shape | should | add --yes | flags needed | steps before/after | self-check | add s (wall / CPU) |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows,
  "",
  `Meeting issue 18's bar (no flag beyond scopes, nothing green turned red, self-check passes; or refused with nothing written where refusal is right): **${meeting} of ${done.length} (${Math.round((100 * meeting) / Math.max(done.length, 1))}%)**, target 90%. add without install within 1 s: ${under1s} of ${done.length} by wall time, ${under1sCpu} of ${done.length} by CPU time (the wall time waits for a core on this loaded machine).`,
  "",
  record || changed.length === 0
    ? "Every outcome is the one test/fixtures/real/manifest.json records (test/add-real.test.ts asserts them)."
    : `Outcomes that differ from the manifest (the test fails on them until recorded): ${changed.join(", ")}.`,
].join("\n");
console.log(section);
if (only.length === 0) writeSection(section);

if (record) {
  for (const r of done) {
    r.project.expect = r.outcome;
    r.project.bare = r.bare;
  }
  await writeFile(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
}
