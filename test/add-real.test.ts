/**
 * add on real third-party MCP servers (issue 18, point 7). Each project in
 * test/fixtures/real/manifest.json is the package its authors published to the
 * npm registry (version and integrity pinned), unpacked into a git repository
 * and installed; then the built CLI runs `add --yes --steps --json` with the
 * flags the project needs today. That run records the project's own steps
 * before and after add and ends in the self-check: `check` against the local
 * issuer, both protocol eras, on the project's own start command. The test
 * asserts each project's outcome exactly as the manifest records it, so a fix
 * in add shows up here as a changed outcome (update it with
 * `node bench/add/real.mjs --record`, and review the diff).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript, shared with bench/add/real.mjs
import { addArgs, cli, loadManifest, meetsBar, parseJson, pool, runProject, withStandIn } from "../lib/real-corpus.mjs";

interface Project {
  name: string;
  npm: string;
  integrity: string;
  license: string;
  kind: "secure" | "refuse";
  refusal?: string;
  shape: string;
  flags?: string[];
  expect: Record<string, unknown>;
  bare: Record<string, unknown>;
  /** Further runs with a choice add --yes does not make for the user (`--existing-auth replace`), and their outcome. */
  also?: { flags: string[]; expect: Record<string, unknown> }[];
}
interface Run {
  project: Project;
  dir: string;
  bare: Record<string, unknown>;
  outcome: Record<string, unknown> & { exitCode: number; check?: unknown };
  stderr: string;
  addSeconds: number;
  addCpuSeconds: number;
  fullSeconds: number;
  written: string[];
  also: { flags: string[]; dir: string; outcome: Record<string, unknown>; stderr: string }[];
}

const { projects: all } = (await loadManifest()) as { projects: Project[] };
// CMA_REAL_ONLY=name,name runs only those projects (the corpus-wide assertions then skip the count).
const only = (process.env.CMA_REAL_ONLY ?? "").split(",").filter(Boolean);
const projects = only.length > 0 ? all.filter((p) => only.includes(p.name)) : all;

describe("the real-project corpus (test/fixtures/real/manifest.json)", () => {
  it("the corpus: at least 20 projects, each pinned, under a licence that permits it, with a recorded outcome", () => {
    if (only.length === 0) expect(projects.length).toBeGreaterThanOrEqual(20);
    else expect(projects.map((p) => p.name).sort()).toEqual([...new Set(only)].sort());
    expect(new Set(projects.map((p) => p.name)).size).toBe(projects.length);
    for (const p of projects) {
      expect(p.npm, p.name).toMatch(/^(@[\w.-]+\/)?[\w.-]+@\d+\.\d+\.\d+$/);
      expect(p.integrity, p.name).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
      expect(["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC"], p.name).toContain(p.license);
      expect(["secure", "refuse"], p.name).toContain(p.kind);
      // A project add should refuse names what a precise refusal says.
      if (p.kind === "refuse") expect(p.refusal, p.name).toEqual(expect.any(String));
      expect(typeof p.expect.exitCode, p.name).toBe("number");
      expect(typeof p.bare.exitCode, p.name).toBe("number");
    }
  });
});

describe("add on real third-party MCP servers (test/fixtures/real)", () => {
  let work: string;
  const runs = new Map<string, { ok: true; value: Run } | { ok: false; error: unknown }>();

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "cma-real-"));
    // Two projects at a time: the machine has two cores.
    const results = await pool(projects, 2, (project: Project) => runProject(project, work));
    projects.forEach((project, i) => {
      runs.set(project.name, results[i]);
    });
  }, 1_500_000);

  afterAll(async () => {
    const table = projects.map((p) => {
      const r = runs.get(p.name);
      if (!r?.ok) return `${p.name.padEnd(28)} error: ${String((r as { error?: unknown })?.error ?? "not run").split("\n")[0]}`;
      const o = r.value.outcome;
      const check = o.exitCode === 2 ? "-" : o.check === "pass" ? "check pass" : `check ${JSON.stringify(o.check)}`;
      const steps = o.steps ? JSON.stringify(o.steps) : "";
      return `${p.name.padEnd(28)} ${meetsBar(r.value) ? "meets bar" : "below bar"}  exit ${o.exitCode}  ${o.exitCode === 2 ? String(o.error) : `${check} ${steps}`}  (add ${r.value.addSeconds.toFixed(2)} s wall, ${r.value.addCpuSeconds.toFixed(2)} s CPU; full ${r.value.fullSeconds.toFixed(0)} s)`;
    });
    console.log(`add on real projects:\n${table.join("\n")}`);
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const project of projects) {
    it(`${project.name} (${project.npm}): ${project.kind === "refuse" ? "refused" : "secured"} as the manifest records today`, async () => {
      const r = runs.get(project.name);
      if (!r?.ok) throw (r as { error: unknown } | undefined)?.error ?? new Error("not run");
      const run = r.value;
      // What a new user sees first: add with --scopes only.
      expect(run.bare).toEqual(project.bare);
      // The run with the flags it needs today.
      expect(run.outcome, run.stderr.slice(-3000)).toEqual(project.expect);
      // A refusal writes nothing; a run that writes breaks no step that was green before.
      if (run.outcome.exitCode === 2) expect(run.written).toEqual([]);
      else expect(Object.values(run.outcome.steps as Record<string, string>)).not.toContain("broken by add");
      // The runs with a choice made (--existing-auth replace): their outcome as the manifest records it.
      expect(
        run.also.map((a) => ({ flags: a.flags, outcome: a.outcome })),
        run.also.map((a) => a.stderr.slice(-3000)).join("\n"),
      ).toEqual((project.also ?? []).map((a) => ({ flags: a.flags, outcome: a.expect })));
      // A secured project passes the self-check again, started afresh from its folder on its own start command:
      // a second add finds its changes in place, writes nothing and runs the self-check (check --project takes
      // only projects create generated: src/index.ts).
      if (run.outcome.exitCode === 0) {
        const again = await withStandIn(project, (env: Record<string, string>) =>
          cli([...addArgs(project, run.dir), "--yes", "--no-steps"], { env, timeout: 300_000 }),
        );
        const doc = parseJson(again);
        // The failing probes first: they say why, where the exit code alone does not.
        expect((doc.check?.results ?? []).filter((r: { status: string }) => r.status === "fail")).toEqual([]);
        expect(again.exitCode, again.stderr.slice(-3000)).toBe(0);
        expect(doc.changed).toBe(false);
      }
    }, 400_000);
  }
});
