/**
 * `create-mcp-auth add [dir]`: secures an existing MCP server project.
 * Reads top to bottom: detect, report, ask (or take flags), plan, show the
 * diff, write all or nothing, install, and prove it with the self-check.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { CliError, EXIT, environmentError, usageError } from "../core/errors.js";
import { InterruptibleRun } from "../core/interrupt.js";
import { findPackageManager, packageManagerProblem } from "../core/package-managers.js";
import { printable } from "../core/printable.js";
import { givenValues, problemLines, resolveValues } from "../core/provider-settings.js";
import { selfCommand } from "../core/self-command.js";
import { createUi, isInteractive, type Ui, writeOut } from "../core/ui.js";
import { type Problem, validateUrl } from "../core/validate.js";
import type { Provider, ProviderValues } from "../providers.js";
import { AddJournal, applyChanges } from "./apply.js";
import { lineOf } from "./ast.js";
import { findAuthorizationReaders, findHttpFromDependency, findSdkExpressApp, type SdkExpressApp } from "./detect/hazards.js";
import type { ExistingAuthSite } from "./detect/types.js";
import {
  type AppSite,
  type DetectFlags,
  type Detection,
  detect,
  isResolved,
  type PackageJson,
  type ResolvedDetection,
  readPackageJson,
} from "./detect.js";
import { unifiedDiff } from "./diff.js";
import { addFailure, checkProjectRoot, GIT_TIMEOUT_MS, printableLines, readRaw, SAFE_GIT, scopesBoundProblem } from "./guard.js";
import { nextSteps } from "./next-steps.js";
import {
  ADD_QUESTIONS,
  type AddFlags,
  type AddQuestion,
  normalizeServerUrl,
  parseToolScopes,
  resolveProvider,
  validateEndpoint,
} from "./options.js";
import { makePlan, type Plan } from "./plan.js";
import { looksLikePython } from "./python/project.js";
import { compareSteps, projectSteps, runSteps, type StepReport, type StepRun, stepsTable } from "./steps.js";
import { summaryLines } from "./summary.js";

export type { AddFlags };

export interface AddResult {
  ok: boolean;
  dryRun: boolean;
  root: string;
  /** Whether this run changed (or, dry, would change) anything. */
  changed: boolean;
  detected: ReturnType<typeof describeDetection> | null;
  authDir: string | null;
  files: { path: string; action: "create" | "modify" }[];
  dependencies: { name: string; version: string; dev: boolean }[];
  kept: { path: string; why: string }[];
  notes: string[];
  manual: { file: string; where: string; lines: string[] }[];
  warnings: string[];
  diff: string;
  installed: boolean;
  check: unknown;
  /** Auth the project already had on its MCP route: kept or replaced (--existing-auth); null when it had none. */
  existingAuth: "keep" | "replace" | null;
  /** The project's own steps before and after add; null when not run (--no-steps, a dry run, or stepsSkipped). */
  steps: StepReport[] | null;
  /** Why the project's own steps were not run, when it has some and --no-steps was not given. */
  stepsSkipped: string | null;
}

type Prompts = typeof import("./prompts.js");

/** What the user answered, by flag or prompt, validated. */
interface Answers {
  provider: Provider;
  /** The provider's values; undefined: leave them to .env.example. */
  values: ProviderValues | undefined;
  serverUrl: string;
  /** .env is written only with values given: the provider's, or the server URL. */
  writeEnv: boolean;
  toolScopes: Record<string, string[]>;
  /** Auth the project already has on its MCP route: kept or replaced; undefined when it has none. */
  existingAuth: "keep" | "replace" | undefined;
}

export async function runAdd(flags: AddFlags & { diff?: boolean; steps?: boolean }, cwd = process.cwd()): Promise<number> {
  return addCommand(flags, cwd).catch((error: unknown) => {
    throw addFailure(error);
  });
}

async function addCommand(flags: AddFlags & { diff?: boolean; steps?: boolean }, cwd: string): Promise<number> {
  const ui = await createUi(Boolean(flags.json));
  const root = path.resolve(cwd, flags.dir ?? ".");
  const shown = path.relative(cwd, root) || ".";
  // Ctrl-C or SIGTERM at any stage stops what runs, puts the project back as it was, one line, exit 130.
  const journal = new AddJournal(root);
  const run = new InterruptibleRun(journal, ui, (message) => {
    if (flags.json) writeOut(1, `${JSON.stringify({ ok: false, exitCode: EXIT.cancelled, error: message }, null, 2)}\n`);
  }).start();
  checkProjectRoot(root);
  checkFlags(flags);
  // A Python project (no package.json): the Python flow, same stages (src/add/python/index.ts).
  if (!existsSync(path.join(root, "package.json")) && looksLikePython(root)) {
    const { runAddPython } = await import("./python/index.js");
    // Python add runs the project's ruff, mypy / pyright and pytest only when --steps asks for them.
    return runAddPython(
      { ...flags, steps: flags.steps === true },
      { root, shown, ui, run, journal, interactive: isInteractive() && !flags.json },
    );
  }
  const pkg = await readProject(root, shown);
  const interactive = isInteractive() && !flags.json;

  const { d, blocking, prompts, reported } = await detectProject(root, pkg, flags, interactive, ui, shown);
  if (!reported) report(ui, d, shown);
  const git = await gitState(root);
  const warnings = warningsFor(d, git);
  for (const warning of warnings) ui.warn(printableLines(warning));
  warnings.push(...d.skipped);

  const answers = await gatherAnswers(flags, d, blocking, prompts, ui);
  const plan = await makePlan({
    detection: d,
    app: d.app,
    endpoint: d.endpoint.path,
    provider: answers.provider,
    values: answers.values ?? {},
    serverUrl: answers.serverUrl,
    writeEnv: answers.writeEnv,
    toolScopes: answers.toolScopes,
    serverName: d.pkg.data.name ?? path.basename(root),
    envIgnored: await envIgnored(root, git.repository),
    ...(answers.existingAuth ? { existingAuth: answers.existingAuth } : {}),
  });
  const result = resultOf(plan, d, root, warnings, Boolean(flags.dryRun));
  result.existingAuth = answers.existingAuth ?? null;
  const done: Finish = { plan, d, shown, provider: answers.provider, envWritten: answers.writeEnv, run };

  // The project's own build, typecheck, lint and test, before add writes and after it installs (--no-steps: not run).
  let steps = flags.steps !== false && !flags.dryRun ? projectSteps(d.pkg) : [];
  const skipped = steps.length > 0 ? stepsSkipped(d, flags) : undefined;
  if (skipped) {
    result.stepsSkipped = skipped;
    ui.info(`The project's own steps (${steps.map((s) => s.script).join(", ")}) are not run before and after add: ${skipped}.`);
    steps = [];
  }
  // A project that ships only its build output has no sources to build: its build would fail, or
  // (rm -rf dist && ...) delete the code that runs, with add's files in it. It runs as published.
  if (d.compiled.length > 0 && steps.some((s) => s.name === "build")) {
    const build = steps.find((s) => s.name === "build")!;
    ui.info(
      `The project's ${build.script} script is not run before and after add: the project ships only its build output (${d.compiled.map((dir) => `${dir}/`).join(", ")}), which add reads and wires, and has no sources to build.`,
    );
    steps = steps.filter((s) => s !== build);
  }
  let before: Map<string, StepRun> | undefined;
  const beforeWrite = async () => {
    if (steps.length === 0) return;
    before = await ui.step(`Running the project's own steps before add (${steps.map((s) => s.script).join(", ")})`, "Recorded", () =>
      run.stage((signal) => runSteps(root, d.pm, steps, signal)),
    );
  };
  await writeChanges(plan, result.diff, d.endpoint.path, flags, interactive, ui, root, shown, run, journal, beforeWrite);
  if (flags.dryRun) return finish(result, flags, ui, done);
  result.installed = await install(plan, d, flags, ui, root, run, journal);
  if (before) {
    const after = await ui.step("Running them again after add", "Done", () => run.stage((signal) => runSteps(root, d.pm, steps, signal)));
    result.steps = compareSteps(d.pm, steps, before, after);
    ui.note(stepsTable(result.steps).join("\n"), "The project's own steps, before and after add");
    for (const broken of result.steps.filter((r) => r.verdict === "broken by add")) {
      ui.error(printableLines(`${broken.command} passed before add and fails after it: that is add's defect.\n${broken.tail ?? ""}`));
      result.ok = false;
    }
    const red = result.steps.filter((r) => r.verdict !== "green" && r.verdict !== "broken by add");
    if (red.length > 0) ui.info(`${red.map((r) => r.command).join(", ")} failed before add too: the project's own, not caused by add.`);
  }
  await verify(result, plan, d, answers, flags, ui, root, run);
  if (result.steps?.some((r) => r.verdict === "broken by add")) result.ok = false;
  return finish(result, flags, ui, done);
}

/**
 * Why the before/after table cannot say anything, if so: without the project's
 * dependencies every step that needs them is red before, and without add's
 * install its code cannot build after.
 */
function stepsSkipped(d: ResolvedDetection, flags: AddFlags): string | undefined {
  const installed = [d.root, d.workspaceRoot].some((dir) => dir !== undefined && existsSync(path.join(dir, "node_modules")));
  if (!installed) return `its dependencies are not installed (run ${d.pm} install first to get the before/after table)`;
  if (flags.install === false)
    return "--no-install leaves add's dependencies uninstalled, so the steps after add would fail for that alone";
  return undefined;
}

/** Flags checked before the project is read. */
function checkFlags(flags: AddFlags): void {
  if (flags.endpoint !== undefined) {
    const error = validateEndpoint(flags.endpoint);
    if (error) throw usageError(`--endpoint: ${error}`);
  }
  const pmProblem = flags.pm === undefined ? undefined : packageManagerProblem(flags.pm);
  if (pmProblem) throw usageError(`--pm: ${pmProblem}`);
  const scopesProblem = flags.scopes === undefined ? undefined : scopesBoundProblem(flags.scopes);
  if (scopesProblem) throw usageError(scopesProblem);
}

async function readProject(root: string, shown: string): Promise<PackageJson> {
  const pkg = await readPackageJson(root).catch((error: Error) => {
    throw error instanceof CliError ? error : usageError(`${shown}/package.json cannot be read: ${error.message}`);
  });
  if (!pkg)
    throw usageError(
      `${shown} has no package.json: run add in the folder of your MCP server project (or give it: ${selfCommand()} add <dir>)`,
    );
  return pkg;
}

/**
 * Detection, refusals, and the questions that change what is detected
 * (framework, entry, endpoint), asked first; ends with nothing left to detect.
 */
async function detectProject(
  root: string,
  pkg: PackageJson,
  flags: AddFlags,
  interactive: boolean,
  ui: Ui,
  shown: string,
): Promise<{ d: ResolvedDetection; blocking: AddQuestion[]; prompts: Prompts | undefined; reported: boolean }> {
  const detectFlags: DetectFlags = { framework: flags.framework, entry: flags.entry, endpoint: flags.endpoint };
  let d = await detect(root, pkg, detectFlags);
  // What was not read is said before anything else, also when add then stops.
  for (const line of d.skipped) ui.warn(printableLines(line));
  // What was found is shown before any refusal or question, so the answer (or the flag) can be chosen knowing it.
  let reported = false;
  const showFound = () => {
    if (reported) return;
    report(ui, d, shown);
    reported = true;
  };
  if (flags.dryRun) showFound();
  refuseUnsupported(d, shown);

  const open = openQuestions(d, flags);
  // --yes takes the defaults; a dry run without a terminal shows the changes for the defaults.
  const defaults = flags.yes || (flags.dryRun && !interactive);
  const blocking = open.filter(
    (q) => !(defaults && (q === "provider" || q === "scopes" || q === "existingAuth")) && !((flags.yes || flags.dryRun) && q === "confirm"),
  );
  const unanswerable = blocking.filter((q) => !(defaults && q === "entry"));
  if (defaults && flags.existingAuth === undefined) refuseBlockingAuth(d, shown, flags, showFound);
  if (!isResolved(d) || !d.app || (unanswerable.length > 0 && !interactive)) showFound();
  if (unanswerable.length > 0 && !interactive) {
    throw new CliError(
      `no terminal to ask questions on; answer them with flags: ${unanswerable.map((q) => ADD_QUESTIONS[q]).join("; ")}.\n` +
        `  e.g. ${exampleCommand(d, shown, unanswerable)}   (see the changes first with --dry-run)`,
      EXIT.usage,
      undefined,
      // --json: what was found, as the human output shows it before this error.
      { detected: describeDetection(d) },
    );
  }
  const prompts = interactive && blocking.length > 0 ? await import("./prompts.js") : undefined;
  if (prompts && blocking.includes("framework")) {
    detectFlags.framework = await prompts.askFramework(ui.output);
    d = await detect(root, pkg, detectFlags);
    reported = false;
  }
  if (prompts && blocking.includes("entry") && !d.app && d.framework) {
    detectFlags.entry = await prompts.askEntry(d.appCandidates, ui.output);
    d = await detect(root, pkg, detectFlags);
    reported = false;
  }
  if (prompts && !d.endpoint) {
    detectFlags.endpoint = await prompts.askEndpoint(ui.output);
    d = await detect(root, pkg, detectFlags);
    reported = false;
  }
  if (!d.framework) throw usageError(`could not tell which framework serves MCP in ${shown}; pass ${ADD_QUESTIONS.framework}`);
  if (!isResolved(d)) throw usageError(`could not find the MCP endpoint in ${shown}; pass ${ADD_QUESTIONS.endpoint}`);
  return { d, blocking, prompts, reported };
}

/** The provider, its values, the server URL and the scopes per tool: from flags and prompts, every problem at once. */
async function gatherAnswers(
  flags: AddFlags,
  d: ResolvedDetection,
  blocking: AddQuestion[],
  prompts: Prompts | undefined,
  ui: Ui,
): Promise<Answers> {
  let provider: Provider = resolveProvider(flags);
  let values = givenValues(provider, flags, process.env);
  if (prompts && blocking.includes("provider")) ({ provider, values } = await prompts.askProvider(provider, ui.output));
  const problems: Problem[] = [];
  if (values) {
    const resolved = resolveValues(provider, values);
    problems.push(...resolved.problems);
    values = resolved.values;
  }
  if (flags.serverUrl !== undefined) {
    const error = validateUrl(flags.serverUrl, { what: "the server URL", httpsUnlessLoopback: true });
    if (error) problems.push({ flag: "--server-url", message: error });
  }
  let toolScopes: Record<string, string[]> = {};
  if (flags.scopes !== undefined) {
    const parsed = parseToolScopes(flags.scopes);
    if (parsed.error) problems.push({ flag: "--scopes", message: parsed.error });
    toolScopes = parsed.map;
  } else if (prompts && blocking.includes("scopes")) {
    toolScopes = await prompts.askScopes(d.tools, ui.output);
  }
  if (problems.length > 0) throw usageError(problemLines(problems));
  const known = new Set(d.tools.map((t) => t.name));
  for (const tool of Object.keys(toolScopes)) {
    if (!known.has(tool)) ui.warn(`--scopes names ${printable(tool)}, which add found no registration of; it is in the scope map anyway`);
  }
  const serverUrl = normalizeServerUrl(flags.serverUrl ?? localUrl(d));
  let existingAuth: Answers["existingAuth"];
  if (d.existingAuth.length > 0) {
    existingAuth = flags.existingAuth === "replace" ? "replace" : "keep";
    if (flags.existingAuth === undefined && prompts && blocking.includes("existingAuth"))
      existingAuth = await prompts.askExistingAuth(
        d.existingAuth.map((site) => ({ site, refusesOAuth: refusesOAuth(d, site) })),
        ui.output,
      );
  }
  return { provider, values, serverUrl, writeEnv: Boolean(values || flags.serverUrl), toolScopes, existingAuth };
}

/** The server's URL on this machine: its port, its endpoint. */
function localUrl(d: ResolvedDetection): string {
  return `http://localhost:${d.port.fallback}${d.endpoint.path === "/" ? "" : d.endpoint.path}`;
}

function resultOf(plan: Plan, d: ResolvedDetection, root: string, warnings: string[], dryRun: boolean): AddResult {
  return {
    ok: true,
    dryRun,
    root,
    changed: plan.changes.length > 0,
    detected: describeDetection(d),
    authDir: plan.authDir,
    files: plan.changes.map((c) => ({ path: c.path, action: c.before === undefined ? "create" : "modify" })),
    dependencies: plan.dependencies,
    kept: plan.kept,
    notes: plan.notes,
    manual: plan.manual,
    warnings,
    diff: plan.changes.map((c) => unifiedDiff(c.path, c.before, c.after)).join(""),
    installed: false,
    check: null,
    existingAuth: null,
    steps: null,
    stepsSkipped: null,
  };
}

/** Shows what changes; writes all of it or nothing (a dry run, or a no at the question, writes nothing). */
async function writeChanges(
  plan: Plan,
  diff: string,
  endpoint: string,
  flags: AddFlags & { diff?: boolean },
  interactive: boolean,
  ui: Ui,
  root: string,
  shown: string,
  run: InterruptibleRun,
  journal: AddJournal,
  beforeWrite: () => Promise<void> = async () => {},
): Promise<void> {
  for (const kept of plan.kept) ui.info(`Kept ${printable(kept.path)}: ${kept.why}`);
  if (!plan.wired) showManual(ui, plan);
  if (plan.changes.length === 0) {
    ui.success(
      plan.wired
        ? `Nothing to change: ${shown} already has OAuth on ${endpoint}.`
        : `Nothing more add can write in ${shown}; the lines above are left to you.`,
    );
    return;
  }
  // The full diff (about 1,300 lines, mostly new files) only when asked for: --diff, a dry run, or the choice at the question.
  // It comes before the summary, so the summary and the question are what the screen ends with.
  if (flags.diff || flags.dryRun) ui.output.write(`\n${printableLines(diff)}\n`);
  summarize(ui, plan);
  if (flags.dryRun) {
    ui.info(
      `Dry run: nothing was written. Apply with: ${selfCommand()} add ${shell(shown)} --yes${flags.scopes ? ` --scopes ${shell(flags.scopes)}` : ""}${flags.existingAuth ? ` --existing-auth ${flags.existingAuth}` : ""}`,
    );
    return;
  }
  if (interactive && !flags.yes) {
    const { decideWrite } = await import("./prompts.js");
    if (!(await decideWrite(plan.changes.length, diff, Boolean(flags.diff), ui.output))) {
      ui.info("Nothing was written.");
      throw new CliError("cancelled", EXIT.cancelled);
    }
  }
  await beforeWrite();
  await run.stage((signal) => applyChanges(root, plan.changes, { journal, signal }));
  ui.success(`Wrote ${plan.changes.length} file${plan.changes.length === 1 ? "" : "s"} in ${shown}`);
}

/** Installs when dependencies were added or none are installed yet; whether it ran. */
async function install(
  plan: Plan,
  d: ResolvedDetection,
  flags: AddFlags,
  ui: Ui,
  root: string,
  run: InterruptibleRun,
  journal: AddJournal,
): Promise<boolean> {
  const pm = (flags.pm === undefined ? undefined : findPackageManager(flags.pm)) ?? d.pm;
  const installRoot = d.workspaceRoot ?? root;
  if (flags.install === false || (plan.dependencies.length === 0 && existsSync(path.join(installRoot, "node_modules")))) return false;
  const { installDependencies } = await import("../core/package-managers.js");
  journal.beforeInstall([root, installRoot]);
  await ui.step(`Installing dependencies with ${pm}`, "Dependencies installed", () =>
    run.stage((signal) => installDependencies(root, pm, signal)),
  );
  return true;
}

/** The self-check, when the auth step is wired in and dependencies are installed; sets result.ok and result.check. */
async function verify(
  result: AddResult,
  plan: Plan,
  d: ResolvedDetection,
  answers: Answers,
  flags: AddFlags,
  ui: Ui,
  root: string,
  run: InterruptibleRun,
): Promise<void> {
  const installRoot = d.workspaceRoot ?? root;
  const installed = existsSync(path.join(root, "node_modules")) || existsSync(path.join(installRoot, "node_modules"));
  if (flags.check === false) {
    ui.info("Self-check skipped (--no-check).");
  } else if (!plan.wired) {
    ui.error(
      "Self-check skipped: the auth step is not wired in yet. Add the lines above, then run add again: it finds them and runs the self-check.",
    );
  } else if (!installed) {
    ui.info("Self-check skipped: it needs installed dependencies (run without --no-install).");
  } else {
    const buildRedBefore = result.steps?.some((step) => step.name === "build" && step.before === "fail") ?? false;
    const outcome = await selfCheck(d, answers.toolScopes, ui, run, buildRedBefore);
    result.check = outcome.report;
    result.ok = outcome.passed;
  }
  if (!plan.wired) result.ok = false;
}

/** The MCP route's reads of the Authorization header as a credential of the project's own, but for its own bearer checks'. */
function authorizationReaders(d: Detection): { file: string; line: number }[] {
  return findAuthorizationReaders(d.routes, d.endpoint?.path).filter(
    (reader) =>
      !d.existingAuth.some(
        (site) => site.file.rel === reader.file && site.lines && site.lines[0] <= reader.line && reader.line <= site.lines[1],
      ),
  );
}

/** The arguments of the start add uses: its own, and those of the package script it runs (`npm start`: scripts.start). */
function startArguments(d: Detection): string[] {
  if (!d.start) return [];
  const script = /^(?:npm|pnpm|yarn|bun)(?: run)? ([\w:.-]+)/.exec(d.start.display)?.[1];
  const text = script ? (d.pkg.data.scripts?.[script] ?? "") : "";
  return [...d.start.args, ...text.split(/\s+/)];
}

/**
 * When the project's own bearer check on the MCP route is on in the start add uses, and reads the header the
 * OAuth access token comes in.
 */
function whenOn(d: Detection, site: ExistingAuthSite): { on: boolean; text: string } {
  if (site.switch) return { on: false, text: `on when ${site.switch} is set` };
  if (!site.optOut) return { on: true, text: "always on" };
  const off = site.optOut;
  const given = off.flag !== undefined && startArguments(d).includes(off.flag);
  return {
    on: !given,
    text: `on unless ${off.text}${off.at ? ` (${off.at})` : ""}${given ? `, which the start command ${d.start!.display} does` : ""}`,
  };
}

/** A bearer check of the project's own that is on where add starts the server: it refuses every OAuth access token. */
function refusesOAuth(d: Detection, site: ExistingAuthSite): boolean {
  return site.own === true && whenOn(d, site).on;
}

/**
 * --yes (or a dry run without a terminal) does not choose between OAuth and a bearer check of the project's own
 * that is on where add starts the server: kept, it would refuse every OAuth access token (the self-check fails on
 * it); replaced, it is the user's code that goes. An opt-in check (off unless a variable is set) is kept, as before.
 */
function refuseBlockingAuth(d: Detection, shown: string, flags: AddFlags, showFound: () => void): void {
  const blocking = d.existingAuth.filter((site) => refusesOAuth(d, site));
  if (blocking.length === 0) return;
  showFound();
  const sites = blocking.map((site) => `${site.file.rel}:${site.line} ${site.name}, ${whenOn(d, site).text}`).join("; ");
  const command = (choice: string) =>
    [
      `${selfCommand()} add`,
      shell(shown),
      ...(flags.scopes ? [`--scopes ${shell(flags.scopes)}`] : []),
      `--existing-auth ${choice}`,
      "--yes",
    ].join(" ");
  const offBy = blocking.map((site) => site.optOut?.flag).find(Boolean);
  throw new CliError(
    `the MCP route has a bearer check of the project's own that OAuth access tokens do not pass: ${sites}. ` +
      "It reads the same Authorization header, so with it kept every OAuth request is refused by it; --yes does not choose for you. Nothing was written.\n" +
      `  replace it (add's OAuth check takes its place on the MCP route; the check's registration is removed from your code):\n    ${command("replace")}\n` +
      `  keep it (a request must pass both: OAuth tokens are refused by it${offBy ? ` unless the server is started with ${offBy}` : ""}):\n    ${command("keep")}`,
    EXIT.usage,
    undefined,
    { detected: describeDetection(d) },
  );
}

/** What add will not attempt, with what to do instead (exit 2, nothing written). */
function refuseUnsupported(d: Detection, shown: string): void {
  const subject = shown === "." ? "This project" : shown;
  const { stdio } = d;
  const noApp = !d.app && d.appCandidates.length === 0;
  if ((d.nextRoutes.length > 0 || d.routeHandlerPackage) && noApp) {
    const where =
      d.nextRoutes.length > 0
        ? `its MCP endpoint is a route handler (${d.nextRoutes.slice(0, 3).join(", ")})`
        : `it serves MCP through ${d.routeHandlerPackage} (route handlers for Next.js and Vercel functions)`;
    throw usageError(
      `${subject} is ${d.nextRoutes.length > 0 ? "a Next.js app" : "built on a route-handler adapter"}: ${where}. ` +
        "add wires Express, Fastify, Hono and fastmcp apps; it does not edit Next.js route handlers. To secure it: wrap the " +
        "route handler in your MCP library's auth wrapper (mcp-handler: withMcpAuth) with a token verifier for this server, " +
        "or serve MCP from one of those frameworks and run add again. Nothing was written.",
    );
  }
  if (d.sseTransport && !d.streamableHttp && !d.fastmcpStart) {
    throw usageError(
      `${subject} serves only the deprecated HTTP+SSE transport (${d.sseTransport.file}:${d.sseTransport.line}: SSEServerTransport` +
        `${d.sseRoutes.length > 0 ? `; ${d.sseRoutes.map((r) => `${r.method.toUpperCase()} ${r.path ?? ""}`.trim()).join(", ")}` : ""}). ` +
        "MCP authorization protects the Streamable HTTP transport, which replaced HTTP+SSE in the 2025-03-26 protocol; add does not " +
        "secure the SSE pair (GET stream, POST messages). Serve it over Streamable HTTP (StreamableHTTPServerTransport on one " +
        "endpoint, e.g. /mcp) and run add again. Nothing was written.",
    );
  }
  if (d.nodeHttp && d.streamableHttp && noApp) {
    const also = stdio ? ` It also serves stdio (${stdio.file}:${stdio.line}); that stays as it is.` : "";
    throw usageError(
      `${subject} serves MCP over Streamable HTTP from a node:http server (${d.nodeHttp.file}:${d.nodeHttp.line}: ${d.nodeHttp.text}; ` +
        `the transport at ${d.streamableHttp.file}:${d.streamableHttp.line}).${also} add wires Express, Fastify, Hono and fastmcp apps; ` +
        "it does not edit a bare node:http request handler. To secure it: pass the MCP requests to an Express app " +
        '(const app = express(); app.use(express.json()); app.all("/mcp", (req, res) => transport.handleRequest(req, res, req.body)); ' +
        "http.createServer(app)), then run add again. Nothing was written.",
    );
  }
  if (d.gateway && d.appCandidates.length > 0) {
    const apps = [...new Set(d.appCandidates.map((a) => a.file.rel))].sort();
    throw usageError(
      `${subject} is a stdio-to-HTTP gateway: the MCP server it serves is whatever command it is started with ` +
        `(${d.gateway.option} "<command>", ${d.gateway.file}:${d.gateway.line}), run as a child process, and its arguments choose which of its ` +
        `${apps.length === 1 ? "app" : `${apps.length} apps`} serves (${apps.join(", ")}). add secures a server's own app, the one its start ` +
        "command always runs: wiring one of a gateway's apps leaves the others open, and it has no tools or start command of its own to " +
        "check. To secure it: put a reverse proxy that checks OAuth tokens in front of the gateway, or run add on an Express, Fastify, " +
        "Hono or fastmcp MCP server. Nothing was written.",
    );
  }
  if (d.bundledHttp && !d.framework && noApp) {
    throw usageError(
      `${subject} serves Streamable HTTP from a FastMCP-style server bundled into its build (${d.bundledHttp.file}:${d.bundledHttp.line}: ` +
        `${d.bundledHttp.what})${stdio ? `, and stdio (${stdio.file}:${stdio.line})` : ""}. add wires the fastmcp package (mcpAuth(server).start) ` +
        "and Express, Fastify and Hono apps; it cannot put an auth step in front of an HTTP server started inside bundled code. " +
        "To secure it: run add on the project's sources where they depend on fastmcp (or serve MCP from Express, Fastify or Hono), " +
        "or use its library's own authenticate option. Nothing was written.",
    );
  }
  const sdkApp = noApp ? findSdkExpressApp(d.files) : undefined;
  if (sdkApp?.bearer) throw usageError(sdkExpressAppRefusal(subject, sdkApp, d.port));
  const fastmcpStdio =
    d.fastmcpStart?.transport === "stdio"
      ? { file: d.fastmcpStart.file.rel, line: d.fastmcpStart.line, what: 'start({ transportType: "stdio" })' }
      : undefined;
  const stdioSite = fastmcpStdio ?? (stdio && { ...stdio, what: "StdioServerTransport" });
  const stdioOnly = stdioSite && (fastmcpStdio || !d.framework || (!d.app && d.appCandidates.length === 0));
  if (stdioOnly) {
    throw usageError(
      `${subject} serves MCP over stdio only (${stdioSite.file}:${stdioSite.line}: ${stdioSite.what}). OAuth protects MCP servers over HTTP; ` +
        "a stdio server runs as a process of its client and gets no HTTP requests to authorize. Serve it over Streamable HTTP " +
        '(Express, Fastify, Hono, or fastmcp with transportType "httpStream") and run add again. Nothing was written.',
    );
  }
  const fromDependency = !d.framework && d.frameworkCandidates.length === 0 ? findHttpFromDependency(d.files) : undefined;
  if (fromDependency) {
    const script = d.pkg.data.scripts?.start;
    throw usageError(
      `${subject} serves MCP over HTTP from a dependency: its HTTP server is the code of ${fromDependency.source} ` +
        `(${fromDependency.file}:${fromDependency.line}: ${fromDependency.names.join(", ")} from ${fromDependency.source})` +
        `${script ? `; its start script: ${script}` : ""}. There is no app in this project's own code to wire. add wires the project's own ` +
        `Express, Fastify, Hono or fastmcp app; it does not edit a dependency in node_modules. To secure it: use the authorization ` +
        `${fromDependency.source} offers, if it has any (see its documentation), or serve MCP from an app of the project's own ` +
        "and run add again. Nothing was written.",
    );
  }
  if (!d.framework && d.frameworkCandidates.length === 0) {
    const members = d.pkg.data.workspaces ? " If the server is one of this workspace's packages, run add in its folder." : "";
    throw usageError(
      `${subject} has none of the frameworks add supports (Express, Fastify, Hono, fastmcp) in package.json, and no MCP server over HTTP add can find.${members} ` +
        "Pass --framework if it uses one of them. Nothing was written.",
    );
  }
}

/** The refusal for an app made by the SDK's createMcpExpressApp whose handler takes the bearer token as its own credential. */
function sdkExpressAppRefusal(subject: string, app: SdkExpressApp, port: Detection["port"]): string {
  const loop = app.loop
    ? `, its routes are registered in a loop over ${app.loop.paths.map((p) => JSON.stringify(p)).join(", ")} (${app.file}:${app.loop.line}), one handler for all of them`
    : "";
  const listens = port.env
    ? `${port.env} (default ${port.fallback})`
    : port.fromEnv
      ? `PORT (default ${port.fallback})`
      : String(port.fallback);
  return (
    `${subject} serves MCP from an Express app made by the MCP SDK's createMcpExpressApp (${app.file}:${app.line}: ${app.app} = createMcpExpressApp(...))${loop}, ` +
    `and that handler reads the Authorization header as a credential of its own (${app.file}:${app.bearer!.line}: the request's bearer token, ` +
    "passed on as the user's token for an upstream API); it listens on " +
    `${listens}. add does not wire an app made by createMcpExpressApp, and it must not put OAuth in front of this handler: ` +
    "the Authorization header would then carry the MCP access token, which the server would pass on as the user's upstream token. " +
    "To secure it: let the handler take the upstream token from another header or from the environment, create the app with express() " +
    "and register the MCP route on it, then run add again. Nothing was written."
  );
}

/** A command that answers the open questions with what the project holds (its routes, tools, app files). */
function exampleCommand(d: Detection, shown: string, open: AddQuestion[]): string {
  const parts = [`${selfCommand()} add`, shell(shown)];
  if (open.includes("framework")) parts.push(`--framework ${d.frameworkCandidates[0] ?? "express"}`);
  if (open.includes("entry")) parts.push(`--entry ${shell(d.appCandidates[0]?.file.rel ?? "src/index.ts")}`);
  if (open.includes("endpoint")) {
    const route = d.routes.find((r) => r.mcp && r.path) ?? d.routes.find((r) => r.path);
    parts.push(`--endpoint ${shell(route?.path ?? "/mcp")}`);
  }
  const tool = d.tools[0]?.name;
  if (open.includes("existingAuth")) parts.push("--existing-auth keep");
  if (open.includes("scopes") || open.includes("provider") || open.includes("confirm"))
    parts.push(...(tool ? [`--scopes ${shell(`${tool}=mcp:tools`)}`] : []), "--yes");
  return parts.join(" ");
}

function openQuestions(d: Detection, flags: AddFlags): AddQuestion[] {
  const open: AddQuestion[] = [];
  if (!d.framework) open.push("framework");
  else if (!d.app) open.push("entry");
  if (!d.endpoint) open.push("endpoint");
  const provider = resolveProvider(flags);
  if (!givenValues(provider, flags, process.env)) open.push("provider");
  if (flags.scopes === undefined && d.tools.length > 0) open.push("scopes");
  if (flags.existingAuth === undefined && d.existingAuth.length > 0) open.push("existingAuth");
  if (!flags.yes) open.push("confirm");
  return open;
}

export function describeDetection(d: Detection) {
  return {
    framework: d.framework ? { name: d.framework.name, version: d.framework.version ?? null, from: d.framework.from } : null,
    sdk: d.sdk,
    language: d.language === "ts" ? "typescript" : "javascript",
    module: d.module,
    sourceDir: d.sourceDir,
    entry: d.app ? { file: d.app.file.rel, line: d.app.line, app: d.app.name, code: d.app.text } : null,
    endpoint: d.endpoint ?? null,
    // The routes that serve MCP (what --endpoint chooses from when there is more than one).
    routes: [...new Set(d.routes.filter((r) => r.path !== undefined).map((r) => `${r.method.toUpperCase()} ${r.path}`))],
    start: d.start?.display ?? null,
    tools: d.tools,
    workspaceRoot: d.workspaceRoot ? path.relative(d.root, d.workspaceRoot) || "." : null,
    packageManager: d.pm,
    reusedServer: d.reused.map((r) => ({
      file: r.file.rel,
      line: r.line,
      handlerLine: r.handlerLine,
      fixed: Boolean(r.fix),
      reason: r.reason ?? null,
      transport: r.transport ? { name: r.transport.name, line: lineOf(r.transport.statement) } : null,
    })),
    tokenlessTests: d.tokenlessTests,
    authorizationReaders: authorizationReaders(d),
    middleware: d.infra.map((m) => ({ file: m.file.rel, line: m.line, name: m.name, onRoute: !m.statement })),
    existingAuth: d.existingAuth.map((a) => ({
      file: a.file.rel,
      line: a.line,
      name: a.name,
      switch: a.switch ?? null,
      on: whenOn(d, a).text,
      replaceable: Boolean(a.removal),
      reason: a.reason ?? null,
    })),
  };
}

/** What was detected, as rows; what was not found says so, and which flag answers it. */
function report(ui: Ui, d: Detection, shown: string): void {
  const { framework } = d;
  const candidates = d.frameworkCandidates.length > 1 ? `: one of ${d.frameworkCandidates.join(", ")}` : "";
  const routes = d.routes.filter((r) => r.path !== undefined).map((r) => `${r.method.toUpperCase()} ${r.path}`);
  const rows: [string, string][] = [
    [
      "framework",
      framework
        ? `${framework.display}${framework.version ? ` ${framework.version}` : ""} (from ${framework.from})`
        : `not determined${candidates}: pass --framework <name>`,
    ],
    [
      "MCP SDK",
      `${d.sdk.generation}${d.sdk.packages.length ? `: ${d.sdk.packages.join(", ")}` : framework?.name === "fastmcp" ? " (through fastmcp)" : ""}`,
    ],
    ["language", `${d.language === "ts" ? "TypeScript" : "JavaScript"}, ${d.module === "esm" ? "ESM" : "CommonJS"}`],
    ["source", d.sourceDir === "." ? "the project root" : `${d.sourceDir}/`],
    [
      "app",
      d.app
        ? `${d.app.file.rel}:${d.app.line}  ${d.app.text}`
        : d.appCandidates.length > 1
          ? `one of ${d.appCandidates.map((a) => `${a.file.rel}:${a.line}`).join(", ")}: pass --entry <file>`
          : "not found (the wiring is left to you)",
    ],
    [
      "endpoint",
      d.endpoint
        ? `${d.endpoint.path} (${d.endpoint.from})`
        : `not determined${routes.length ? `; routes found: ${[...new Set(routes)].slice(0, 6).join(", ")}` : ""}: pass --endpoint <path>`,
    ],
    [
      "starts with",
      d.start
        ? `${d.start.display}${d.start.selects ? ` (Streamable HTTP as ${d.start.selects} selects it)` : ""}`
        : "no start or dev script, and no entry to run",
    ],
    ["tools", d.tools.length ? [...new Set(d.tools.map((t) => t.name))].join(", ") : "none found in the code"],
  ];
  if (d.workspaceRoot) rows.push(["workspace", `${path.relative(d.root, d.workspaceRoot) || "."} (${d.pm})`]);
  for (const reused of d.reused) {
    rows.push([
      "found",
      (reused.transport
        ? `${reused.file.rel}:${reused.line}: one McpServer (${reused.name}) and one stateless transport (${reused.transport.name}, line ${lineOf(reused.transport.statement)}) connected once and reused by every request: ` +
          'the SDK refuses the second request (HTTP 500, "Stateless transport cannot be reused across requests"). This is a bug of the project, there before add, not caused by it. '
        : `${reused.file.rel}:${reused.line}: one McpServer (${reused.name}) reused across requests, each with a new transport: the second request fails with HTTP 500 "Already connected to a transport" (SDK 1.32). This is a bug of the project, there before add, not caused by it. `) +
        (reused.fix
          ? "The changes below build them per request."
          : `Not fixed automatically (${reused.reason}): build ${reused.transport ? "both" : "it"} inside the request handler.`),
    ]);
  }
  const before = d.infra.filter((m) => m.statement);
  if (before.length > 0)
    rows.push([
      "middleware",
      `${before.map((m) => `${m.name} (line ${m.line})`).join(", ")}: the auth step goes after it, before the MCP route`,
    ]);
  for (const late of d.infra.filter((m) => !m.statement)) {
    rows.push([
      "middleware",
      `${late.file.rel}:${late.line}: ${late.name} on the MCP route itself runs after the auth step (bad tokens are not counted by it): register it with ${d.app?.name ?? "app"}.use() before the routes to change that`,
    ]);
  }
  for (const auth of d.existingAuth) {
    rows.push([
      "existing auth",
      `${auth.file.rel}:${auth.line}: ${auth.name} on the MCP route${auth.switch || auth.optOut ? `, ${whenOn(d, auth).text}` : ""}. ` +
        (auth.removal && auth.own && whenOn(d, auth).on
          ? "Your choice: --existing-auth replace removes it, --existing-auth keep keeps it (a request must then pass it and the OAuth check)."
          : auth.removal
            ? "Kept by default (it stays where it is, and a request must pass it and the OAuth check); --existing-auth replace removes it."
            : `Kept: it cannot be removed safely (${auth.reason}); remove it by hand if OAuth replaces it.`) +
        (auth.switch
          ? ""
          : auth.optOut
            ? " It reads the same Authorization header: while it is on, OAuth access tokens are refused by it until it is removed or turned off."
            : " It is on whenever the server runs and reads the same Authorization header: OAuth access tokens are refused by it until it is removed or turned off."),
    ]);
  }
  for (const reader of authorizationReaders(d)) {
    rows.push([
      "own bearer",
      `${reader.file}:${reader.line}: the MCP route reads the Authorization header itself, as a credential of the project's own ` +
        "(an upstream API key or token). After add, that header carries the MCP access token of each request instead: " +
        "give the project its own credential another way (its environment, or another header).",
    ]);
  }
  if (d.tokenlessTests.length > 0)
    rows.push([
      "your tests",
      `${d.tokenlessTests.map((x) => `${x.file}:${x.line}`).join(", ")} call ${d.endpoint?.path ?? "the MCP endpoint"} without a token: after add they get 401. ` +
        'Give them one with startTestAuth() from the auth folder (AUTH.md, "Your own tests").',
    ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  ui.note(printableLines(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n")), `Detected in ${shown}`);
}

function warningsFor(d: Detection, git: { repository: boolean; dirty: boolean }): string[] {
  const warnings: string[] = [];
  for (const route of d.sseRoutes) {
    warnings.push(
      `${route.file.rel}:${route.line}: ${route.method} ${route.path ?? ""} serves the deprecated SSE transport, which add does not protect: remove it, or serve it behind the same auth`,
    );
  }
  for (const error of d.parseErrors) warnings.push(`could not parse ${error} (skipped)`);
  if (!d.start) warnings.push('no start script found: the self-check cannot start the server (add a "start" script to package.json)');
  if (git.dirty)
    warnings.push("the git tree has uncommitted changes: commit or stash them first, so `git checkout` can undo exactly what add changes");
  if (!git.repository) warnings.push("not a git repository: add cannot be undone with git checkout (it lists what it writes)");
  return warnings;
}

function summarize(ui: Ui, plan: Plan): void {
  const lines = summaryLines(plan.changes, plan.authDir);
  if (plan.dependencies.length)
    lines.push("", `dependencies: ${plan.dependencies.map((dep) => `${dep.name}@${dep.version}${dep.dev ? " (dev)" : ""}`).join(", ")}`);
  if (plan.notes.length) lines.push("", ...plan.notes);
  ui.note(printableLines(lines.join("\n")), `Changes (${plan.changes.length} file${plan.changes.length === 1 ? "" : "s"})`);
}

function showManual(ui: Ui, plan: Plan): void {
  const text = plan.manual.map((step) => `${step.file}, ${step.where}:\n${step.lines.map((l) => `    ${l}`).join("\n")}`).join("\n\n");
  ui.warn(
    `The code could not be edited safely where the auth step goes; it is left unchanged. Add these lines by hand:\n\n${printableLines(text)}`,
  );
}

/** The project's build, run for the self-check, exited non-zero (its output). */
class BuildFailed extends Error {
  constructor(readonly output: string) {
    super("the build failed");
  }
}

/**
 * The project's build, then the self-check on its start command. A build that
 * was red before add (the before/after steps saw it) is the project's own: the
 * self-check cannot run, and nothing is blamed on add.
 */
async function selfCheck(
  d: ResolvedDetection,
  toolScopes: Record<string, string[]>,
  ui: Ui,
  run: InterruptibleRun,
  buildRedBefore: boolean,
) {
  const start = d.start;
  if (!start)
    throw environmentError('the self-check needs a way to start the server: add a "start" script to package.json, or pass --no-check');
  const { build: buildCommand } = start;
  if (buildCommand) {
    const { runGroup } = await import("../core/subprocess.js");
    const shownBuild = start.display.split(" && ")[0];
    try {
      await ui.step(`Building (${shownBuild})`, "Built", async () => {
        const build = await run.stage((signal) =>
          runGroup(buildCommand.file, buildCommand.args, { cwd: d.root, reject: false, all: true, stdin: "ignore", signal }),
        );
        if (build.exitCode !== 0) throw new BuildFailed(String(build.all));
        return build;
      });
    } catch (error) {
      if (!(error instanceof BuildFailed)) throw error;
      const tail = error.output.split("\n").slice(-30).join("\n");
      if (buildRedBefore) {
        ui.warn(
          `Self-check not run: ${shownBuild} failed before add too (the project's own, not caused by add), and the server needs it. ` +
            "Fix the build, then run add again: it finds its changes in place and runs the self-check.",
        );
        return { passed: false, report: { error: "build failed before add", output: error.output.slice(-4000) } };
      }
      ui.error(`The project does not build after add:\n${tail}`);
      return { passed: false, report: { error: "build failed", output: error.output.slice(-4000) } };
    }
  }
  const scopes = [...new Set(Object.values(toolScopes).flat())];
  const { runSelfCheck } = await import("../selfcheck.js");
  const outcome = await run.stage((signal) =>
    runSelfCheck({
      root: d.root,
      ui,
      signal,
      ...(scopes.length > 0 ? { scopes } : {}),
      start: {
        command: { file: start.file, args: start.args },
        mcpPath: d.endpoint.path,
        ...(start.env ? { env: start.env } : {}),
        ...(d.port.env ? { portEnv: d.port.env } : d.port.arg ? { portArg: d.port.arg } : {}),
        ...(!d.port.fromEnv && !d.port.env && !d.port.arg && d.port.literal !== undefined ? { port: d.port.literal } : {}),
      },
    }),
  );
  // A reused server or transport add found and could not fix fails the probes with HTTP 500: the project's own bug (issue 18, point 4).
  const unfixed = d.reused.filter((r) => !r.fix);
  if (!outcome.passed && unfixed.length > 0)
    ui.warn(
      `The failures above come from a bug the project had before add (${unfixed
        .map((r) =>
          r.transport
            ? `${r.file.rel}:${r.line}: one stateless transport (${r.transport.name}) connected once to ${r.name} and reused by every request`
            : `${r.file.rel}:${r.line}: one McpServer (${r.name}) reused across requests`,
        )
        .join("; ")}), not from add: the SDK answers the second request with HTTP 500. ` +
        `Build ${unfixed.some((r) => r.transport) ? "both" : "it"} inside the request handler, then run add again: it finds its changes in place and runs the self-check.`,
    );
  return outcome;
}

interface Finish {
  plan: Plan;
  d: ResolvedDetection;
  shown: string;
  provider: Provider;
  envWritten: boolean;
  /** The interruptible part of the run: over once the result is printed. */
  run?: InterruptibleRun;
}

function finish(result: AddResult, flags: AddFlags, ui: Ui, { plan, d, shown, provider, envWritten, run }: Finish): number {
  run?.stop();
  if (!result.dryRun && result.changed && result.ok) {
    const created = plan.changes.filter((c) => c.before === undefined).map((c) => c.path);
    const modified = plan.changes.filter((c) => c.before !== undefined).map((c) => c.path);
    const variables = envWritten
      ? []
      : [
          ...provider.env(provider.local, true).flatMap((v) => (v.value ? [`${v.name}=${shell(v.value)}`] : [])),
          `MCP_SERVER_URL=${shell(localUrl(d))}`,
        ];
    const extra =
      d.framework?.name === "hono"
        ? [
            'Tools see the caller when the route passes it on: handler.fetch(c.req.raw, { authInfo: c.get("auth"), parsedBody: c.get("parsedBody") }) (or transport.handleRequest with the same options).',
          ]
        : [];
    if (d.tokenlessTests.length > 0)
      extra.push(
        `Your tests that call ${d.endpoint.path} (${d.tokenlessTests.map((x) => x.file).join(", ")}) need a token now: startTestAuth() in ${plan.authDir}/testing${d.extension} (AUTH.md, "Your own tests").`,
      );
    const steps = nextSteps({
      start: (d.start?.display ?? "npm start").split(" && "),
      variables,
      issuer: envWritten ? undefined : `${selfCommand()} issuer${provider.issuerArgs.map((a) => ` ${shell(a)}`).join("")}`,
      modified: modified.map(shell),
      created: created.map(shell),
      createdDir: plan.authDir && wholeDir(d.root, plan.authDir, created) ? shell(plan.authDir) : undefined,
      extra,
    });
    ui.note(printableLines([...(shown === "." ? [] : [`cd ${shell(shown)}`]), ...steps].join("\n")), "Next steps");
  }
  if (flags.json) writeOut(1, `${JSON.stringify({ ...result, exitCode: result.ok ? EXIT.ok : EXIT.checkFailed }, null, 2)}\n`);
  return result.ok ? EXIT.ok : EXIT.checkFailed;
}

/** Whether every file in `dir` is one add created (then `rm -r dir` undoes exactly what add did). */
function wholeDir(root: string, dir: string, created: string[]): boolean {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return false;
  const mine = new Set(created);
  const entries = readdirSync(abs, { recursive: true, withFileTypes: true });
  return entries.every((e) => e.isDirectory() || mine.has(path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/")));
}

function shell(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function gitState(root: string): Promise<{ repository: boolean; dirty: boolean }> {
  // In a process group of its own: stopped with it when add is interrupted.
  const { runGroup } = await import("../core/subprocess.js");
  const inside = await runGroup("git", [...SAFE_GIT, "rev-parse", "--is-inside-work-tree"], {
    cwd: root,
    reject: false,
    stdin: "ignore",
    timeout: GIT_TIMEOUT_MS,
  }).catch(() => undefined);
  if (inside?.exitCode !== 0) return { repository: false, dirty: false };
  const status = await runGroup("git", [...SAFE_GIT, "status", "--porcelain", "--", "."], {
    cwd: root,
    reject: false,
    stdin: "ignore",
    timeout: GIT_TIMEOUT_MS,
  });
  return { repository: true, dirty: status.exitCode === 0 && String(status.stdout).trim() !== "" };
}

async function envIgnored(root: string, repository: boolean): Promise<boolean> {
  if (repository) {
    const { runGroup } = await import("../core/subprocess.js");
    const check = await runGroup("git", [...SAFE_GIT, "check-ignore", "-q", ".env"], {
      cwd: root,
      reject: false,
      stdin: "ignore",
      timeout: GIT_TIMEOUT_MS,
    });
    return check.exitCode === 0;
  }
  return (readRaw(root, ".gitignore")?.text ?? "")
    .split(/\r?\n/)
    .some((line) => [".env", "/.env", ".env*", "*.env", ".env.*"].includes(line.trim()) && line.trim() !== ".env.*");
}

export type { AppSite };
