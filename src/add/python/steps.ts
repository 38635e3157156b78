/**
 * `--steps` for a Python project: its own lint (ruff), typecheck (mypy or
 * pyright) and tests (pytest), found in its configuration, run through its
 * manager before add writes and again after it installs; the same
 * before/after verdicts as TypeScript (src/add/steps.ts).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { readText } from "../guard.js";
import type { StepReport, StepRun } from "../steps.js";
import type { PythonDetection } from "./detect.js";

export interface PythonStep {
  name: "lint" | "typecheck" | "test";
  /** The tool's command line, without the manager's runner. */
  tool: string[];
}

/** The tools the project configures or declares (pyproject's tables, dependency groups, requirements files). */
export function pythonSteps(d: PythonDetection): PythonStep[] {
  const pyproject = d.project.pyproject ?? "";
  const requirements = ["requirements-dev.txt", "requirements_dev.txt", "dev-requirements.txt", "requirements-test.txt", "requirements.txt"]
    .map((f) => readText(d.root, f) ?? "")
    .join("\n");
  const mentions = (tool: string) =>
    new RegExp(`^\\[tool\\.${tool}[.\\]]`, "m").test(pyproject) ||
    new RegExp(`["']${tool}[<>=~!\\[;" ']`).test(pyproject) ||
    new RegExp(`^${tool}\\b`, "m").test(requirements);
  const steps: PythonStep[] = [];
  if (mentions("ruff")) steps.push({ name: "lint", tool: ["ruff", "check", "."] });
  if (mentions("mypy"))
    steps.push({ name: "typecheck", tool: /^\[tool\.mypy\][^[]*^files\s*=/m.test(pyproject) ? ["mypy"] : ["mypy", "."] });
  else if (mentions("pyright")) steps.push({ name: "typecheck", tool: ["pyright"] });
  const hasTests = ["tests", "test"].some((dir) => existsSync(path.join(d.root, dir)));
  if (mentions("pytest") && (hasTests || /^\[tool\.pytest/m.test(pyproject))) steps.push({ name: "test", tool: ["pytest", "-q"] });
  return steps;
}

/** The step's command through the project's manager: uv run, poetry run, pipenv run, or the .venv's Python. */
export function pythonStepCommand(d: PythonDetection, step: PythonStep): { file: string; args: string[]; display: string } {
  const m = d.project.manager;
  const command =
    m === "uv" || m === "hatch"
      ? ["uv", "run", ...step.tool]
      : m === "poetry"
        ? ["poetry", "run", ...step.tool]
        : m === "pipenv"
          ? ["pipenv", "run", ...step.tool]
          : [".venv/bin/python", "-m", ...step.tool];
  const [file, ...args] = command as [string, ...string[]];
  return { file, args, display: command.join(" ") };
}

export async function runPythonSteps(d: PythonDetection, steps: PythonStep[], timeoutMs = 300_000): Promise<Map<string, StepRun>> {
  const { execa } = await import("execa");
  const runs = new Map<string, StepRun>();
  for (const step of steps) {
    const command = pythonStepCommand(d, step);
    const started = Date.now();
    const result = await execa(command.file, command.args, {
      cwd: d.root,
      reject: false,
      all: true,
      stdin: "ignore",
      timeout: timeoutMs,
      env: { CI: "1", NO_COLOR: "1", UV_NO_PROGRESS: "1" },
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

export function comparePythonSteps(
  d: PythonDetection,
  steps: PythonStep[],
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
        command: pythonStepCommand(d, step).display,
        before: b.ok ? "pass" : "fail",
        after: a.ok ? "pass" : "fail",
        verdict,
        ...(verdict === "broken by add" ? { tail: a.tail } : {}),
      },
    ];
  });
}
