/**
 * Before and after: the project's own steps (build, typecheck, lint, test,
 * from its package.json scripts), run before add writes and again after it
 * installs. A step green before and red after is add's defect; a step red
 * before is the project's own, and is reported as such.
 */
import type { PackageManager } from "../core/package-managers.js";
import { runGroup } from "../core/subprocess.js";
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

/** A step's command line, by the step's name. */
export interface StepCommand {
  name: string;
  file: string;
  args: string[];
  display: string;
}

/**
 * Runs each command once, in order, without a terminal (CI=1: test runners
 * run once, never watch), each within `timeoutMs`; what each did, by name.
 */
export async function runStepCommands(
  cwd: string,
  commands: StepCommand[],
  env: Record<string, string>,
  timeoutMs = 300_000,
  signal?: AbortSignal,
): Promise<Map<string, StepRun>> {
  const runs = new Map<string, StepRun>();
  for (const command of commands) {
    const started = Date.now();
    // Its own process group: a Ctrl-C reaches add, which stops the step (signal), and what the step leaves
    // running (a test suite's servers) is stopped when it ends, so the run after add starts from the same place.
    const result = await runGroup(command.file, command.args, {
      cwd,
      reject: false,
      stdin: "ignore",
      timeout: timeoutMs,
      env: { CI: "1", ...env },
      stopLeftovers: true,
      ...(signal ? { signal } : {}),
    });
    const output = String(result.all ?? "");
    runs.set(command.name, {
      ok: result.exitCode === 0 && !result.timedOut,
      tail: result.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : output.split("\n").slice(-20).join("\n"),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    });
  }
  return runs;
}

/** Each step's verdict from its runs before and after add: red before is the project's own, green to red is add's. */
export function compareStepRuns(commands: StepCommand[], before: Map<string, StepRun>, after: Map<string, StepRun>): StepReport[] {
  return commands.flatMap((command) => {
    const b = before.get(command.name);
    const a = after.get(command.name);
    if (!b || !a) return [];
    const verdict: StepReport["verdict"] = !b.ok ? "red before add (the project's own)" : a.ok ? "green" : "broken by add";
    return [
      {
        name: command.name,
        command: command.display,
        before: b.ok ? "pass" : "fail",
        after: a.ok ? "pass" : "fail",
        verdict,
        ...(verdict === "broken by add" ? { tail: a.tail } : {}),
      },
    ];
  });
}

const commandsOf = (pm: PackageManager, steps: ProjectStep[]): StepCommand[] =>
  steps.map((step) => ({ name: step.name, ...stepCommand(pm, step) }));

/** The project's package.json steps, run with its package manager. */
export function runSteps(
  root: string,
  pm: PackageManager,
  steps: ProjectStep[],
  signal?: AbortSignal,
  timeoutMs = 300_000,
): Promise<Map<string, StepRun>> {
  return runStepCommands(root, commandsOf(pm, steps), { FORCE_COLOR: "0" }, timeoutMs, signal);
}

export function compareSteps(
  pm: PackageManager,
  steps: ProjectStep[],
  before: Map<string, StepRun>,
  after: Map<string, StepRun>,
): StepReport[] {
  return compareStepRuns(commandsOf(pm, steps), before, after);
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
