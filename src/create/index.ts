import { CliError, EXIT, environmentError, usageError } from "../core/errors.js";
import { findOnPath } from "../core/find-on-path.js";
import { plural } from "../core/plural.js";
import { selfCommand } from "../core/self-command.js";
import { createUi, isInteractive, type Ui, writeOut } from "../core/ui.js";
import { ENV_NEW, keepConflicts, planWrite, WriteJournal, type WritePlan, writeProject } from "../core/write.js";
import { VERSION } from "../version.js";
import { nextSteps, whereFrom, wroteLine } from "./finish.js";
import type { GitOutcome } from "./install.js";
import { type CreateFlags, type CreateOptions, dirProblem, openQuestions, QUESTIONS, resolveOptions } from "./options.js";
import { renderCreatedProject } from "./project.js";
import { CreateRun } from "./run.js";
import { targetProblem } from "./target.js";

export interface CreateResult {
  ok: boolean;
  dryRun: boolean;
  dir: string;
  root: string;
  framework: string;
  provider: string;
  /** 'local', or the provider's name when it is configured. */
  mode: string;
  version: string;
  /** Files written (for a dry run: that would be written). */
  files: string[];
  /** Existing files left as they were: identical to what this version renders. */
  unchanged: string[];
  /** Existing files that differ, kept (the user's). */
  kept: string[];
  /** Existing files that differ, replaced after the user confirmed. */
  replaced: string[];
  /** `.env` existed: the new values are in `.env.new`. */
  envNew: boolean;
  installed: boolean;
  /** The command that starts the project's server: `npm start` (or the package manager's), `uv run serve`. */
  start: string;
  git: GitOutcome;
  check: unknown;
}

type Env = Record<string, string | undefined>;

/**
 * Refuses a target directory given as a flag before any question is asked.
 * A bad name is reported later with every other problem of the answers.
 */
function checkDirFlag(flags: CreateFlags, cwd: string): void {
  if (flags.dir === undefined || dirProblem(flags.dir, cwd)) return;
  const problem = targetProblem(flags.dir, cwd, Boolean(flags.force));
  if (problem) throw problem;
}

/** Collects answers (flags, environment, prompts), then validates them in one place. */
async function gatherOptions(flags: CreateFlags, ui: Ui, cwd: string, env: Env): Promise<CreateOptions> {
  checkDirFlag(flags, cwd);
  const open = flags.yes ? [] : openQuestions(flags, env);
  let answers = flags;
  if (open.length > 0) {
    if (!isInteractive()) {
      const needed = open.map((q) => QUESTIONS[q]).join("; ");
      throw usageError(
        `no terminal to ask questions on; answer them with flags: ${needed}. Or pass --yes to take the defaults.\n` +
          `  e.g. ${selfCommand()} my-server --framework express --scopes todo:read,todo:write --yes`,
      );
    }
    const { askMissing } = await import("./prompts.js");
    answers = await askMissing(flags, open, ui.output, { cwd, env });
  }
  return resolveOptions(answers, env, cwd);
}

/** Tools the run needs, before anything is written. */
function checkTools(options: CreateOptions): void {
  if (options.language === "python") {
    if (options.install && !options.dryRun && !findOnPath("uv"))
      throw environmentError("uv is not installed or not on PATH: install it (pip install uv), or pass --no-install");
    return;
  }
  if (options.install && !options.dryRun && !findOnPath(options.pm)) {
    throw environmentError(
      `${options.pm} is not installed or not on PATH: install it, pass --pm with one that is (e.g. --pm npm), or --no-install`,
    );
  }
}

/** Existing files that differ from the rendered ones: replace only after an interactive yes; --yes keeps them. */
async function resolveConflicts(
  plan: WritePlan,
  options: CreateOptions,
  ui: Ui,
  flags: CreateFlags,
): Promise<{ plan: WritePlan; replaced: string[]; kept: string[] }> {
  if (plan.conflicts.length === 0) return { plan, replaced: [], kept: [] };
  const list = plan.conflicts.map((f) => `  ${f === ENV_NEW ? `${f} (it would hold the new .env values)` : f}`).join("\n");
  const envLine = plan.envRedirected ? `\n(.env exists too: it is kept either way, the new values go to ${ENV_NEW})` : "";
  if (flags.yes || options.dryRun) return { plan: keepConflicts(plan), replaced: [], kept: plan.conflicts };
  if (!isInteractive()) {
    throw usageError(
      `${options.dir} has files that differ from what create-mcp-auth would write:\n${list}\nPass --yes to keep them (only new files are written), or move them away.`,
    );
  }
  const p = await import("@clack/prompts");
  ui.warn(`These files exist and differ from what create-mcp-auth would write:\n${list}${envLine}`);
  const choice = await p.select({
    output: ui.output,
    message: "Replace them?",
    options: [
      { value: "keep", label: "Keep them", hint: "write only the files that do not exist yet" },
      { value: "replace", label: "Replace them", hint: "your versions are lost" },
      { value: "cancel", label: "Cancel", hint: "write nothing" },
    ],
  });
  if (p.isCancel(choice) || choice === "cancel") {
    p.cancel("Cancelled: nothing was written.", { output: ui.output });
    throw new CliError("cancelled", EXIT.cancelled);
  }
  return choice === "replace"
    ? { plan, replaced: plan.conflicts, kept: [] }
    : { plan: keepConflicts(plan), replaced: [], kept: plan.conflicts };
}

export async function runCreate(flags: CreateFlags, cwd = process.cwd(), env: Env = process.env): Promise<number> {
  const ui = await createUi(Boolean(flags.json));
  const interactive = isInteractive() && ui.interactive;
  if (interactive) ui.intro("create-mcp-auth");
  const options = await gatherOptions(flags, ui, cwd, env);
  const problem = targetProblem(options.dir, cwd, options.force);
  if (problem) throw problem;
  checkTools(options);

  // add's detection and planner (with its JavaScript parser) load only when the build's form does not cover the options
  // (src/create/project.ts); project.js itself is small and loads with the CLI, not as one more file after it.
  const rendered = await renderCreatedProject(options);
  const existing = planWrite(options.root, rendered);
  const { plan, replaced, kept } = await resolveConflicts(existing, options, ui, flags);
  const result: CreateResult = {
    ok: true,
    dryRun: options.dryRun,
    dir: options.dir,
    root: options.root,
    framework: options.framework.name,
    provider: options.provider.name,
    mode: options.local ? "local" : options.provider.name,
    version: VERSION,
    files: plan.files.map((f) => f.path),
    unchanged: plan.unchanged,
    kept,
    replaced,
    envNew: plan.envRedirected && (plan.files.some((f) => f.path === ENV_NEW) || plan.unchanged.includes(ENV_NEW)),
    installed: false,
    start: options.language === "python" ? "uv run serve" : options.pm === "npm" ? "npm start" : `${options.pm} start`,
    git: "skipped",
    check: null,
  };

  if (options.dryRun) {
    ui.info(
      `Dry run: would write ${plural(plan.files.length, "file")} to ${whereFrom(cwd, options.root)}\n${plan.files.map((f) => `  ${f.path}`).join("\n")}`,
    );
    return finish(result, options, ui, cwd);
  }

  const journal = new WriteJournal(options.root);
  const run = new CreateRun(journal, ui, (message) => {
    if (options.json) writeOut(1, `${JSON.stringify({ ok: false, exitCode: EXIT.cancelled, error: message }, null, 2)}\n`);
  }).start();
  try {
    await run.stage((signal) => writeProject(options.root, plan.files, journal, signal));
    ui.success(wroteLine(options, plan.files.length, cwd));
    reportExisting(result, ui);

    // install.js (and execa with it) loads only when a child process is needed.
    if (options.install && options.language === "python") {
      const { installPythonProject } = await import("../languages/python/project.js");
      await run.stage((signal) =>
        ui.step("Installing dependencies with uv sync", "Installed the dependencies with uv sync", () =>
          installPythonProject(options.root, signal),
        ),
      );
      result.installed = true;
    } else if (options.install) {
      const { installDependencies } = await import("../core/package-managers.js");
      await run.stage((signal) =>
        ui.step(`Installing dependencies with ${options.pm}`, `Installed the dependencies with ${options.pm}`, () =>
          installDependencies(options.root, options.pm, signal),
        ),
      );
      result.installed = true;
    }

    if (options.git) {
      const { initGit, gitMessage } = await import("./install.js");
      result.git = await run.stage((signal) => initGit(options.root, { existedWithFiles: journal.hadFiles, signal }));
      (result.git === "committed" ? ui.success : ui.info)(gitMessage(result.git));
    }

    if (options.check && result.installed) {
      const { runSelfCheck } = await import("../selfcheck.js");
      const outcome = await run.stage((signal) =>
        runSelfCheck({ root: options.root, scopes: options.scopes, ui, signal, checklist: options.verbose ? "full" : "summary" }),
      );
      result.check = outcome.report;
      result.ok = outcome.passed;
    } else if (options.check && !result.installed) {
      ui.info(
        options.language === "python"
          ? "Self-check skipped (--no-install): run npx create-mcp-auth check --project . after uv sync"
          : `Self-check skipped (--no-install): run ${options.pm === "npm" ? "npm run" : options.pm} check after installing`,
      );
    }
  } finally {
    run.stop();
  }
  return finish(result, options, ui, cwd);
}

/** Says which existing files were left alone, kept, replaced, and where the new .env values went. */
function reportExisting(result: CreateResult, ui: Ui): void {
  if (result.envNew) ui.warn(`.env exists and was kept; the new values are in ${ENV_NEW} (merge them by hand)`);
  const list = (files: string[]) => files.map((f) => `\n  ${f}`).join("");
  const differ = result.kept.length === 1 ? "differs" : "differ";
  if (result.kept.length > 0)
    ui.warn(`Kept ${plural(result.kept.length, "file")} of yours that ${differ} from what create-mcp-auth writes:${list(result.kept)}`);
  if (result.replaced.length > 0) ui.info(`Replaced ${plural(result.replaced.length, "file")}, as confirmed:${list(result.replaced)}`);
  if (result.unchanged.length > 0) ui.info(`${plural(result.unchanged.length, "existing file")} already held exactly this content`);
}

function finish(result: CreateResult, options: CreateOptions, ui: Ui, cwd: string): number {
  if (!options.dryRun && result.ok) {
    const { title, lines } = nextSteps(options, { installed: result.installed, cwd });
    ui.section(title, lines);
    const where = whereFrom(cwd, options.root);
    ui.outro(`Done. More in ${where === "." ? "" : `${where}/`}README.md`);
  } else if (!options.dryRun) {
    ui.outro(`The self-check failed: fix the failures above, then run ${options.pm === "npm" ? "npm run" : options.pm} check`);
  } else {
    ui.outro("Dry run: nothing was written");
  }
  if (options.json) writeOut(1, `${JSON.stringify(result, null, 2)}\n`);
  return result.ok ? EXIT.ok : EXIT.checkFailed;
}

export { CliError };
