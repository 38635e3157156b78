/**
 * Before and after: the project's own steps (build, typecheck, lint, test,
 * from its package.json scripts), run before add writes and again after it
 * installs. A step green before and red after is add's defect; a step red
 * before is the project's own, and is reported as such.
 */
import type { PackageManager } from "../core/package-managers.js";
import type { PackageJson } from "./detect.js";

export interface ProjectStep {
  name: "build" | "typecheck" | "lint" | "test";
  script: string;
}

export interface StepRun {
  ok: boolean;
  /** The last lines of its output, for a step that fails. */
  tail: string;
  seconds: number;
}

export interface StepReport {
  name: string;
  command: string;
  before: "pass" | "fail";
  after: "pass" | "fail";
  /** Who a red step belongs to. */
  verdict: "green" | "red before add (the project's own)" | "broken by add";
  tail?: string;
}

const CANDIDATES: [ProjectStep["name"], string[]][] = [
  ["build", ["build"]],
  ["typecheck", ["typecheck", "type-check", "check-types", "types", "tsc"]],
  ["lint", ["lint"]],
  ["test", ["test"]],
];

/** npm's placeholder test script, which always fails: not a step. */
const NPM_DEFAULT_TEST = /no test specified/;

export function projectSteps(pkg: PackageJson): ProjectStep[] {
  const scripts = pkg.data.scripts ?? {};
  const steps: ProjectStep[] = [];
  for (const [name, keys] of CANDIDATES) {
    const script = keys.find((key) => typeof scripts[key] === "string" && scripts[key].trim() !== "");
    if (!script) continue;
    if (name === "test" && NPM_DEFAULT_TEST.test(scripts[script] ?? "")) continue;
    steps.push({ name, script });
  }
  return steps;
}

export function stepCommand(pm: PackageManager, step: ProjectStep): { file: string; args: string[]; display: string } {
  const args = pm === "npm" && step.script === "test" ? ["test"] : ["run", step.script];
  return { file: pm, args, display: `${pm} ${args.join(" ")}` };
}

/** Runs each step once, in order, without a terminal (CI=1: test runners run once, never watch). */
export async function runSteps(root: string, pm: PackageManager, steps: ProjectStep[], timeoutMs = 300_000): Promise<Map<string, StepRun>> {
  const { execa } = await import("execa");
  const runs = new Map<string, StepRun>();
  for (const step of steps) {
    const command = stepCommand(pm, step);
    const started = Date.now();
    const result = await execa(command.file, command.args, {
      cwd: root,
      reject: false,
      all: true,
      stdin: "ignore",
      timeout: timeoutMs,
      env: { CI: "1", FORCE_COLOR: "0" },
    });
    const output = String(result.all ?? "");
    runs.set(step.name, {
      ok: result.exitCode === 0 && !result.timedOut,
      tail: result.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : output.split("\n").slice(-20).join("\n"),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    });
  }
  return runs;
}

export function compareSteps(
  pm: PackageManager,
  steps: ProjectStep[],
  before: Map<string, StepRun>,
  after: Map<string, StepRun>,
): StepReport[] {
  return steps.flatMap((step) => {
    const b = before.get(step.name);
    const a = after.get(step.name);
    if (!b || !a) return [];
    const verdict: StepReport["verdict"] = !b.ok ? "red before add (the project's own)" : a.ok ? "green" : "broken by add";
    return [
      {
        name: step.name,
        command: stepCommand(pm, step).display,
        before: b.ok ? "pass" : "fail",
        after: a.ok ? "pass" : "fail",
        verdict,
        ...(verdict === "broken by add" ? { tail: a.tail } : {}),
      },
    ];
  });
}

/** The before/after table, within 72 columns. */
export function stepsTable(reports: StepReport[]): string[] {
  const width = Math.max(4, ...reports.map((r) => r.command.length));
  const lines = [`${"step".padEnd(width)}  before  after`];
  for (const r of reports) {
    const note = r.verdict === "green" ? "" : `  ${r.verdict === "broken by add" ? "broken by add" : "red before add"}`;
    lines.push(`${r.command.padEnd(width)}  ${r.before.padEnd(6)}  ${r.after.padEnd(5)}${note}`);
  }
  return lines;
}
