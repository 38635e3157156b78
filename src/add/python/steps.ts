/**
 * `--steps` for a Python project: its own lint (ruff), typecheck (mypy or
 * pyright) and tests (pytest), found in its configuration, run through its
 * manager before add writes and again after it installs; the same
 * before/after verdicts as TypeScript (src/add/steps.ts).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { readText } from "../guard.js";
import { compareStepRuns, runStepCommands, type StepCommand, type StepReport, type StepRun } from "../steps.js";
import type { PythonDetection } from "./detect.js";
import { pythonRunner } from "./project.js";

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
  // Poetry's dependency tables and a Pipfile's [packages] / [dev-packages] name a tool as a key: `pytest = "^8"`.
  const tables = `${pyproject}\n${readText(d.root, "Pipfile") ?? ""}`;
  const mentions = (tool: string) =>
    new RegExp(`^\\[tool\\.${tool}[.\\]]`, "m").test(pyproject) ||
    new RegExp(`["']${tool}[<>=~!\\[;" ']`).test(pyproject) ||
    new RegExp(`^["']?${tool}["']?\\s*=`, "m").test(tables) ||
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
  const runner = pythonRunner(d.project.manager);
  const command = runner.length > 0 ? [...runner, ...step.tool] : [".venv/bin/python", "-m", ...step.tool];
  const [file, ...args] = command as [string, ...string[]];
  return { file, args, display: command.join(" ") };
}

const commandsOf = (d: PythonDetection, steps: PythonStep[]): StepCommand[] =>
  steps.map((step) => ({ name: step.name, ...pythonStepCommand(d, step) }));

/** The project's ruff, mypy / pyright and pytest, through its own runner. */
export function runPythonSteps(
  d: PythonDetection,
  steps: PythonStep[],
  signal?: AbortSignal,
  timeoutMs = 300_000,
): Promise<Map<string, StepRun>> {
  return runStepCommands(d.root, commandsOf(d, steps), { NO_COLOR: "1", UV_NO_PROGRESS: "1" }, timeoutMs, signal);
}

export function comparePythonSteps(
  d: PythonDetection,
  steps: PythonStep[],
  before: Map<string, StepRun>,
  after: Map<string, StepRun>,
): StepReport[] {
  return compareStepRuns(commandsOf(d, steps), before, after);
}
