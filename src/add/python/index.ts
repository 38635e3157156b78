/**
 * `create-mcp-auth add [dir]` for a Python project (no package.json): the
 * same stages as TypeScript add (src/add/index.ts), top to bottom: detect,
 * report (before anything is written), refuse what cannot be wired safely,
 * take the answers from flags, plan, show (summary, the diff on --dry-run /
 * --diff), write all or nothing, install with the project's manager, prove
 * it with the self-check against the project's own start command, next steps.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { CliError, EXIT, environmentError, usageError } from "../../core/errors.js";
import type { InterruptibleRun } from "../../core/interrupt.js";
import { printable } from "../../core/printable.js";
import { givenValues, problemLines, resolveValues } from "../../core/provider-settings.js";
import { selfCommand } from "../../core/self-command.js";
import { type Ui, writeOut } from "../../core/ui.js";
import { type Problem, validateUrl } from "../../core/validate.js";
import type { Provider, ProviderValues } from "../../providers.js";
import { type AddJournal, applyChanges } from "../apply.js";
import { unifiedDiff } from "../diff.js";
import { printableLines, readText } from "../guard.js";
import { nextSteps } from "../next-steps.js";
import { ADD_QUESTIONS, type AddFlags, normalizeServerUrl, parseToolScopes, resolveProvider } from "../options.js";
import { type StepReport, type StepRun, stepsTable } from "../steps.js";
import { summaryLines } from "../summary.js";
import { detectPython, type PythonDetection } from "./detect.js";
import { makePythonPlan, type PythonPlan } from "./plan.js";
import { comparePythonSteps, pythonSteps, runPythonSteps } from "./steps.js";

export interface PythonAddContext {
  root: string;
  shown: string;
  ui: Ui;
  run: InterruptibleRun;
  journal: AddJournal;
  interactive: boolean;
}

export function describePythonDetection(d: PythonDetection) {
  return {
    language: "python",
    framework: d.framework ? { name: d.framework.name, major: d.framework.major, from: d.framework.from } : null,
    packageManager: d.project.manager,
    dependencyFiles: d.project.files,
    server: d.server
      ? { file: d.server.file, line: d.server.line, name: d.server.name, class: d.server.kind, module: d.server.module }
      : null,
    transport: d.transport ? { kind: d.transport.kind, how: d.transport.how, detail: d.transport.detail } : null,
    mount: d.mount,
    endpoint: d.endpoint,
    port: d.port,
    start: d.start?.display ?? null,
    tools: d.tools,
  };
}

function report(ui: Ui, d: PythonDetection, shown: string): void {
  const fw = d.framework;
  const rows: [string, string][] = [
    ["language", "Python"],
    ["manager", `${d.project.manager}${d.project.files.length ? ` (${d.project.files.join(", ")})` : ""}`],
    [
      "framework",
      fw
        ? `${fw.display}${fw.major !== null ? ` ${fw.major}.x` : ""} (${fw.from})`
        : d.subclass
          ? `${d.subclass.base}, through a subclass of the project's own (${d.subclass.classFile}:${d.subclass.classLine}: class ${d.subclass.cls}(${d.subclass.base}))`
          : "no FastMCP or MCPServer found",
    ],
    [
      "server",
      d.server
        ? `${d.server.file}:${d.server.line}  ${d.server.name} = ${d.server.kind}(...)`
        : d.subclass
          ? `${d.subclass.file}:${d.subclass.line}  ${d.subclass.name} = ${d.subclass.cls}(...)`
          : "not found: pass --entry <file>",
    ],
    ["transport", d.transport ? `${d.transport.kind} (${d.transport.how}: ${d.transport.detail})` : "not found"],
    ["endpoint", d.endpoint ? `${d.endpoint.path} (${d.endpoint.from})` : "none over HTTP"],
    [
      "port",
      d.port.env
        ? `$${d.port.env}, default ${d.port.fallback}`
        : d.port.option
          ? `${d.port.fallback} (the default of ${d.port.option.replace(" (", ", ").replace(/\)$/, "")})`
          : `${d.port.fallback}${d.port.literal === undefined ? " (the library's default)" : ""}`,
    ],
    ["starts with", d.start?.display ?? "no [project.scripts] entry or __main__ block found"],
    ["tools", d.tools.length ? [...new Set(d.tools.map((t) => t.name))].join(", ") : "none found in the code"],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  ui.note(printableLines(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n")), `Detected in ${shown}`);
}

/** What add will not attempt on a Python project, with the reason (exit 2, nothing written). */
function refuse(d: PythonDetection, shown: string): void {
  const subject = shown === "." ? "This project" : shown;
  if (!d.server && d.lowlevel) {
    const calls = d.files.flatMap((f) => f.calls);
    const streamable = calls.some((c) => /(^|\.)StreamableHTTPSessionManager$/.test(c.func));
    const sse = calls.some((c) => /(^|\.)SseServerTransport$/.test(c.func));
    throw usageError(
      streamable
        ? `${subject} builds its MCP server on the SDK's low-level Server (${d.lowlevel.file}:${d.lowlevel.line}) and uses StreamableHTTPSessionManager, ` +
            "but add could not follow the app that serves it: it secures a Starlette app routing a literal path to the session manager " +
            '(Mount("/mcp", app=handle_streamable_http)), served by uvicorn.run(app) or uvicorn.Config(app) in the same module. ' +
            "Serve that app as secure_asgi(app) by hand (create-mcp-auth create --language python -f fastapi shows the auth in front), or pass --entry <file>. Nothing was written."
        : `${subject} builds its MCP server on the SDK's low-level Server (${d.lowlevel.file}:${d.lowlevel.line}) and serves it over ${sse ? "SSE or stdio" : "stdio"} only, ` +
            `not Streamable HTTP (no StreamableHTTPSessionManager). OAuth protects MCP servers over Streamable HTTP${sse ? "; add does not protect the deprecated SSE transport" : ""}. ` +
            "Serve it with StreamableHTTPSessionManager in a Starlette app (the SDK's simple-streamablehttp example) and run add again. Nothing was written.",
    );
  }
  if (!d.server && d.subclass) {
    const sc = d.subclass;
    const overrides = sc.methods.length > 0 ? `, which overrides ${sc.methods.join(", ")}` : "";
    const made = `${sc.file}:${sc.line}: ${sc.name} = ${sc.cls}(...); ${sc.classFile}:${sc.classLine}: class ${sc.cls}(${sc.base})${overrides}`;
    const auth = sc.auth[0];
    throw usageError(
      auth
        ? `${subject} makes its MCP server from a ${sc.base} subclass of its own (${made}) that sets an auth of its own ` +
            `(${auth.file}:${auth.line}: ${auth.text}). add does not replace an auth it did not write, nor wire a subclass whose methods decide ` +
            `which auth its apps get. To use add's instead, make the server with ${sc.base}(...) itself (or remove the subclass's auth) and run add again. Nothing was written.`
        : `${subject} makes its MCP server from a ${sc.base} subclass of its own (${made}). add wires ${sc.base}(...) made directly, ` +
            `not a subclass whose methods may change what the auth goes through. Make the server with ${sc.base}(...) (keep the subclass's additions as ` +
            "functions) and run add again. Nothing was written.",
    );
  }
  if (!d.server)
    throw usageError(
      `${subject} is a Python project, but add found no MCP server in it (FastMCP(...) or MCPServer(...) assigned to a name, ` +
        "from fastmcp, mcp.server.fastmcp or mcp.server.mcpserver). Pass --entry <file> if it is created elsewhere. Nothing was written.",
    );
  const where = `${d.server.file}:${d.server.line}`;
  const own = [d.server.call, ...d.alternatives.map((a) => a.call)]
    .flatMap((c) => c.keywords)
    .find(
      (k) =>
        ["auth", "token_verifier", "auth_server_provider"].includes(k.name ?? "") &&
        !/^(fastmcp_auth|sdk_auth)\(\)$/.test(k.text) &&
        // Its own auth, off unless chosen (auth=auth_provider, None by default): add's goes in when it is off.
        !(d.optionalAuth && k.name === "auth" && [d.optionalAuth.value, `${d.optionalAuth.value} or fastmcp_auth()`].includes(k.text)),
    );
  if (own)
    throw usageError(
      `${subject}'s MCP server already has its own auth (${where}: ${own.name}=${own.text}). add does not replace an auth it did not write. ` +
        `To use add's instead, remove ${own.name}= (and what goes with it) and run add again. Nothing was written.`,
    );
  if (!d.transport)
    throw usageError(
      `${subject} creates an MCP server (${where}) but never serves it itself: add found no ${d.server.name}.run(...) and no app mounting it ` +
        "(it may be started by a tool such as `fastmcp run`, or only used in tests). OAuth protects a server that this project serves over HTTP: " +
        `add ${d.server.name}.run(transport="${d.framework?.name === "fastmcp" ? "http" : "streamable-http"}") where it starts, and run add again. Nothing was written.`,
    );
  if (d.transport.kind === "stdio")
    throw usageError(
      `${subject} serves MCP over stdio only (${where}: ${d.transport.detail}). ` +
        "OAuth protects MCP servers over HTTP; a stdio server runs as a process of its client and gets no HTTP requests to authorize. " +
        `Serve it over Streamable HTTP (${d.server.name}.run(transport="${d.framework?.name === "fastmcp" ? "http" : "streamable-http"}")) and run add again. Nothing was written.`,
    );
  if (d.transport.kind === "sse")
    throw usageError(
      `${subject} serves MCP over the deprecated SSE transport only (${where}: ${d.transport.detail}), which add does not protect. ` +
        'Serve it over Streamable HTTP (transport="http") and run add again. Nothing was written.',
    );
  // FastMCP's own http_app() serves what the server's auth provider adds (its middleware and routes): the keyword is enough.
  if (!d.mount && d.transport.kind === "asgi" && d.framework?.name !== "fastmcp")
    throw usageError(
      `${subject} serves its MCP server as an ASGI app (${d.transport.detail}); add wires a server that runs itself ` +
        `(${d.server.name}.run(transport=...)) or one mounted in a FastAPI / Starlette app (app.mount("/mcp", ...)), not a bare ASGI app. To secure it: ` +
        "create-mcp-auth create --language python -f fastapi shows the mount with the metadata at the root and the auth in front. Nothing was written.",
    );
}

export async function runAddPython(flags: AddFlags & { diff?: boolean; steps?: boolean }, ctx: PythonAddContext): Promise<number> {
  const { root, shown, ui, run, journal } = ctx;
  const d = await detectPython(root, flags.entry);
  for (const line of d.skipped) ui.warn(printableLines(line));
  for (const error of d.parseErrors) ui.warn(printableLines(`could not parse ${error} (skipped)`));
  report(ui, d, shown);
  refuse(d, shown);

  // The questions TypeScript add asks (src/add/prompts.ts): the provider, the scopes per tool, then write or not.
  // --yes takes the defaults; a dry run without a terminal shows the changes for the defaults.
  const open = openQuestions(d, flags);
  const defaults = flags.yes || (flags.dryRun && !ctx.interactive);
  const blocking = open.filter(
    (q) => !(defaults && (q === "provider" || q === "scopes")) && !((flags.yes || flags.dryRun) && q === "confirm"),
  );
  if (blocking.length > 0 && !ctx.interactive)
    throw new CliError(
      `no terminal to ask questions on; answer them with flags: ${blocking.map((q) => ADD_QUESTIONS[q]).join("; ")}.\n` +
        `  e.g. ${exampleCommand(d, shown)}   (see the changes first with --dry-run)`,
      EXIT.usage,
      undefined,
      { detected: describePythonDetection(d) },
    );
  const prompts = ctx.interactive && blocking.length > 0 ? await import("../prompts.js") : undefined;

  const { provider, values, given } = await providerAnswers(flags, prompts && blocking.includes("provider") ? prompts : undefined, ui);
  const problems: Problem[] = [];
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
  for (const tool of Object.keys(toolScopes))
    if (!known.has(tool)) ui.warn(`--scopes names ${printable(tool)}, which add found no registration of; it is in the scope map anyway`);
  const endpoint = d.endpoint?.path ?? "/mcp";
  const serverUrl = normalizeServerUrl(flags.serverUrl ?? `http://localhost:${d.port.fallback}${endpoint === "/" ? "" : endpoint}`);

  const plan = await makePythonPlan({
    detection: d,
    provider,
    values,
    serverUrl,
    toolScopes,
    serverName: serverNameOf(d, root),
  });
  const diff = plan.changes.map((c) => unifiedDiff(c.path, c.before, c.after)).join("");
  const result = {
    ok: plan.wired,
    dryRun: Boolean(flags.dryRun),
    root,
    changed: plan.changes.length > 0,
    detected: describePythonDetection(d),
    authDir: plan.authDir,
    files: plan.changes.map((c) => ({ path: c.path, action: c.before === undefined ? "create" : "modify" })),
    dependencies: plan.dependencies,
    kept: plan.kept,
    notes: plan.notes,
    manual: plan.manual,
    warnings: [...d.skipped, ...d.parseErrors],
    diff,
    installed: false,
    check: null as unknown,
    steps: null as StepReport[] | null,
  };

  const steps = flags.steps && !flags.dryRun ? pythonSteps(d) : [];
  let before: Map<string, StepRun> | undefined;
  if (flags.steps && steps.length === 0)
    ui.info("--steps: no ruff, mypy, pyright or pytest configured in this project; nothing to run before and after.");
  for (const kept of plan.kept) ui.info(`Kept ${printable(kept.path)}: ${kept.why}`);
  if (!plan.wired) {
    const text = plan.manual.map((s) => `${s.file}, ${s.where}:\n${s.lines.map((l) => `    ${l}`).join("\n")}`).join("\n\n");
    ui.warn(
      `add cannot edit this safely, so nothing was written:\n\n${printableLines(text)}\n\n` +
        "Add these lines yourself, then run add again: it finds them and writes the rest.",
    );
  }
  // The manager's lock file as it was before add ran anything (the --steps' `uv run` writes one too): the install
  // rewrites it (new packages), so undo gives it back, or removes it when the project had none.
  const locks = LOCK_FILES.map((file) => ({ file, before: readText(root, file) }));
  if (plan.changes.length === 0) {
    ui.success(plan.wired ? `Nothing to change: ${shown} already has OAuth on ${endpoint}.` : `Nothing more add can write in ${shown}.`);
  } else {
    if (flags.diff || flags.dryRun) ui.output.write(`\n${printableLines(diff)}\n`);
    summarize(ui, plan);
    if (flags.dryRun) {
      ui.info(
        `Dry run: nothing was written. Apply with: ${selfCommand()} add ${shell(shown)} --yes${flags.scopes ? ` --scopes ${shell(flags.scopes)}` : ""}`,
      );
      return finish(result, flags, ui, run);
    }
    if (!plan.wired) {
      result.ok = false;
      return finish(result, flags, ui, run);
    }
    if (ctx.interactive && !flags.yes) {
      const { decideWrite } = await import("../prompts.js");
      if (!(await decideWrite(plan.changes.length, diff, Boolean(flags.diff), ui.output))) {
        ui.info("Nothing was written.");
        throw new CliError("cancelled", EXIT.cancelled);
      }
    }
    // --steps: the project's own lint, typecheck and tests, before add writes and after it installs.
    if (steps.length > 0)
      before = await ui.step(`Running the project's own steps before add (${steps.map((st) => st.tool[0]).join(", ")})`, "Recorded", () =>
        run.stage((signal) => runPythonSteps(d, steps, signal)),
      );
    await run.stage((signal) => applyChanges(root, plan.changes, { journal, signal }));
    ui.success(`Wrote ${plan.changes.length} file${plan.changes.length === 1 ? "" : "s"} in ${shown}`);
  }

  if (flags.dryRun) return finish(result, flags, ui, run);
  // Installed already and nothing new to install: a second run runs no installer.
  const installed = await hasEnvironment(d);
  if (!installed || plan.dependencies.length > 0) result.installed = await install(d, flags, ui, run, journal);
  const relocked = locks.filter((l) => readText(root, l.file) !== l.before);
  if (before) {
    const after = await ui.step("Running them again after add", "Done", () => run.stage((signal) => runPythonSteps(d, steps, signal)));
    result.steps = comparePythonSteps(d, steps, before, after);
    ui.note(stepsTable(result.steps).join("\n"), "The project's own steps, before and after add");
    for (const broken of result.steps.filter((r) => r.verdict === "broken by add"))
      ui.error(printableLines(`${broken.command} passed before add and fails after it: that is add's defect.\n${broken.tail ?? ""}`));
    const red = result.steps.filter((r) => r.verdict === "red before add (the project's own)");
    if (red.length > 0) ui.info(`${red.map((r) => r.command).join(", ")} failed before add too: the project's own, not caused by add.`);
  }
  if (flags.check === false) ui.info("Self-check skipped (--no-check).");
  else if (!plan.wired) ui.error("Self-check skipped: the auth is not wired in yet.");
  else if (!d.start) ui.info("Self-check skipped: add found no command that starts the server ([project.scripts] or a __main__ block).");
  else if (!result.installed && !installed) ui.info("Self-check skipped: it needs installed dependencies (run without --no-install).");
  else {
    const outcome = await selfCheck(d, toolScopes, ui, run);
    result.check = outcome.report;
    result.ok = outcome.passed;
  }
  if (result.steps?.some((r) => r.verdict === "broken by add")) result.ok = false;
  if (result.ok && result.changed) {
    const created = [
      ...plan.changes.filter((c) => c.before === undefined).map((c) => c.path),
      ...relocked.filter((l) => l.before === undefined).map((l) => l.file),
    ];
    const modified = [
      ...plan.changes.filter((c) => c.before !== undefined).map((c) => c.path),
      ...relocked.filter((l) => l.before !== undefined).map((l) => l.file),
    ];
    // .env is written in local mode too (unlike TypeScript add): the server's module builds its auth when it is
    // imported (FastMCP(auth=fastmcp_auth()), **sdk_auth()), so the project's own tests that import it need the values.
    const steps = nextSteps({
      start: [startDisplay(d)],
      variables: [],
      issuer: undefined,
      modified: modified.map(shell),
      created: created.map(shell),
      createdDir: shell(plan.authDir),
      extra: given
        ? []
        : [
            `.env points at the local authorization server: run ${selfCommand()} issuer${provider.issuerArgs.map((a) => ` ${shell(a)}`).join("")} in another terminal first, and get a token with ${selfCommand()} issuer token.`,
          ],
    });
    ui.note(printableLines([...(shown === "." ? [] : [`cd ${shell(shown)}`]), ...steps].join("\n")), "Next steps");
  }
  return finish(result, flags, ui, run);
}

type Prompts = typeof import("../prompts.js");
type PythonQuestion = "provider" | "scopes" | "confirm";

/** What add would ask: the provider's values when none are given, the scopes when tools were found, write or not. */
function openQuestions(d: PythonDetection, flags: AddFlags): PythonQuestion[] {
  const open: PythonQuestion[] = [];
  if (!givenValues(resolveProvider(flags), flags, process.env)) open.push("provider");
  if (flags.scopes === undefined && d.tools.length > 0) open.push("scopes");
  if (!flags.yes) open.push("confirm");
  return open;
}

function exampleCommand(d: PythonDetection, shown: string): string {
  const tool = d.tools[0]?.name;
  return [`${selfCommand()} add`, shell(shown), ...(tool ? [`--scopes ${shell(`${tool}=mcp:tools`)}`] : []), "--yes"].join(" ");
}

/** The provider and its values: from flags or the environment, else asked (a terminal), else the local issuer's. */
async function providerAnswers(
  flags: AddFlags,
  prompts: Prompts | undefined,
  ui: Ui,
): Promise<{ provider: Provider; values: ProviderValues; given: boolean }> {
  let provider = resolveProvider(flags);
  let values = givenValues(provider, flags, process.env);
  if (prompts) ({ provider, values } = await prompts.askProvider(provider, ui.output));
  if (!values) return { provider, values: provider.local, given: false };
  const resolved = resolveValues(provider, values);
  if (resolved.problems.length > 0) throw usageError(problemLines(resolved.problems));
  return { provider, values: resolved.values, given: true };
}

/** The server's own name: FastMCP("name") or FastMCP(name="name"), else the folder's. */
function serverNameOf(d: PythonDetection, root: string): string {
  const call = d.server?.call;
  const value = call?.keywords.find((k) => k.name === "name")?.literal ?? call?.args[0]?.literal;
  return typeof value === "string" && value !== "" ? value : path.basename(root);
}

function startDisplay(d: PythonDetection): string {
  const start = d.start?.display ?? "python server.py";
  return d.transport?.select?.env ? `${d.transport.select.env}=${d.transport.select.http} ${start}` : start;
}

function summarize(ui: Ui, plan: PythonPlan): void {
  const lines = summaryLines(plan.changes, plan.authDir);
  if (plan.dependencies.length) lines.push("", `dependencies: ${plan.dependencies.map((dep) => `${dep.name}${dep.version}`).join(", ")}`);
  if (plan.notes.length) lines.push("", ...plan.notes);
  ui.note(printableLines(lines.join("\n")), `Changes (${plan.changes.length} file${plan.changes.length === 1 ? "" : "s"})`);
}

/**
 * The project has an environment already: its .venv, or the one Poetry or Pipenv keeps outside the project (Poetry's
 * default, Pipenv's without PIPENV_VENV_IN_PROJECT), asked of the manager itself; exit 1 from both when there is none.
 */
async function hasEnvironment(d: PythonDetection): Promise<boolean> {
  if (existsSync(path.join(d.root, ".venv"))) return true;
  const m = d.project.manager;
  const ask: [string, string[]] | undefined =
    m === "poetry" ? ["poetry", ["env", "info", "--path"]] : m === "pipenv" ? ["pipenv", ["--venv"]] : undefined;
  if (!ask) return false;
  const { runGroup } = await import("../../core/subprocess.js");
  try {
    const result = await runGroup(ask[0], ask[1], { cwd: d.root, all: true, stdin: "ignore", env: { PIPENV_VERBOSITY: "-1" } });
    return String(result.stdout ?? "").trim() !== "";
  } catch {
    return false;
  }
}

/** The lock files the managers add installs with rewrite. */
const LOCK_FILES = ["uv.lock", "poetry.lock", "Pipfile.lock"];

/** Installs with the project's manager: uv (uv sync, or a .venv for requirements files), Poetry, Pipenv. */
async function install(d: PythonDetection, flags: AddFlags, ui: Ui, run: InterruptibleRun, journal: AddJournal): Promise<boolean> {
  if (flags.install === false) return false;
  const m = d.project.manager;
  const commands: string[][] =
    m === "uv" || m === "hatch"
      ? [["uv", "sync", "--quiet"]]
      : m === "poetry"
        ? // Poetry 2 refuses to install from a lock file older than pyproject.toml's dependencies: lock first (its
          // `lock` keeps the versions locked already and adds the new packages).
          [...(existsSync(path.join(d.root, "poetry.lock")) ? [["poetry", "lock"]] : []), ["poetry", "install"]]
        : m === "pipenv"
          ? // --dev: the project's own tests and linters ([dev-packages]) run in the same environment (--steps).
            [["pipenv", "install", "--dev"]]
          : m === "pip" && d.project.files[0]
            ? [
                ...(existsSync(path.join(d.root, ".venv")) ? [] : [["uv", "venv", "--quiet", ".venv"]]),
                ["uv", "pip", "install", "--quiet", "--python", ".venv", "-r", d.project.files[0]],
              ]
            : [];
  if (commands.length === 0) {
    ui.info(`Install the new dependencies with your tool (${d.project.manager}); add does not run it.`);
    return false;
  }
  journal.beforeInstall([d.root]);
  const { runGroup } = await import("../../core/subprocess.js");
  await ui.step(`Installing dependencies (${commands.map((c) => c.join(" ")).join(" && ")})`, "Dependencies installed", () =>
    run.stage(async (signal) => {
      for (const [file, ...args] of commands as [string, ...string[]][]) {
        try {
          await runGroup(file, args, { cwd: d.root, all: true, stdin: "ignore", env: { UV_NO_PROGRESS: "1" }, signal });
        } catch (error) {
          const e = error as { code?: string; all?: string; shortMessage?: string; name?: string };
          if (e.name === "Interrupted") throw error;
          if (e.code === "ENOENT") throw environmentError(`${file} is not installed or not on PATH: install it, or pass --no-install`);
          throw environmentError(
            `${[file, ...args].join(" ")} failed in ${d.root}`,
            (e.all ?? e.shortMessage ?? "").split("\n").slice(-40).join("\n"),
          );
        }
      }
    }),
  );
  return true;
}

async function selfCheck(d: PythonDetection, toolScopes: Record<string, string[]>, ui: Ui, run: InterruptibleRun) {
  const start = d.start!;
  const scopes = [...new Set(Object.values(toolScopes).flat())];
  const { runSelfCheck } = await import("../../selfcheck.js");
  return run.stage((signal) =>
    runSelfCheck({
      root: d.root,
      ui,
      signal,
      ...(scopes.length > 0 ? { scopes } : {}),
      start: {
        command: { file: start.file, args: start.args },
        mcpPath: d.endpoint?.path ?? "/mcp",
        ...(d.port.env ? { portEnv: d.port.env } : { port: d.port.fallback }),
        env: {
          ...(d.transport?.select?.env ? { [d.transport.select.env]: d.transport.select.http } : {}),
          // `pipenv run` loads .env over the environment: the self-check's issuer and URL would lose to .env's.
          ...(d.project.manager === "pipenv" ? { PIPENV_DONT_LOAD_ENV: "1" } : {}),
        },
      },
    }),
  );
}

function finish(result: { ok: boolean }, flags: AddFlags, ui: Ui, run: InterruptibleRun): number {
  run.stop();
  void ui;
  if (flags.json) writeOut(1, `${JSON.stringify({ ...result, exitCode: result.ok ? EXIT.ok : EXIT.checkFailed }, null, 2)}\n`);
  if (!result.ok && !flags.dryRun && (result as { manual?: unknown[] }).manual?.length) return EXIT.checkFailed;
  return result.ok || flags.dryRun ? EXIT.ok : EXIT.checkFailed;
}

function shell(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export { CliError };
