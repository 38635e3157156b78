import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import type { ResultPromise } from "execa";
import type { CheckReport, ProbeResult } from "./check/types.js";
import { environmentError } from "./core/errors.js";
import { plural } from "./core/plural.js";
import { Interrupted, spawnGroup, stopGroup } from "./core/subprocess.js";
import type { Ui } from "./core/ui.js";
import { isPythonProject, PYTHON_START } from "./languages/python/project.js";
import { type IssuerEndpoints, type Provider, providerOfEnvExample } from "./providers.js";

/** A port nothing listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const READY_TIMEOUT_MS = 30_000;

/** Polls the server's public metadata document until it answers, the process dies, or time runs out. */
async function waitForServer(url: string, child: ResultPromise, log: () => string, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  child.then(
    () => (exited = true),
    () => (exited = true),
  );
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new Interrupted();
    if (exited) throw environmentError("the server exited before it was ready", log());
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw environmentError(`the server did not answer ${url} within ${READY_TIMEOUT_MS / 1000} s`, log());
}

export interface SelfCheckOutcome {
  passed: boolean;
  report: CheckReport;
}

/** A generated project's server, run as `npm run dev` would (tsx), against `issuer`, on a free loopback port. */
export interface ProjectServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:PORT/mcp */
  url: string;
  /** Resolves once the server answers its metadata document; rejects with the log if it exits or times out. */
  ready(): Promise<void>;
  /** What the server printed (the last 32-64 kB). */
  log(): string;
  /** Its last 30 lines, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

/** The provider of a generated project, from its `.env.example` (CONTRACTS: what the self-check passes). */
export function projectProvider(root: string): Provider {
  let text: string | undefined;
  try {
    text = readFileSync(path.join(root, ".env.example"), "utf8");
  } catch {
    text = undefined;
  }
  return providerOfEnvExample(text);
}

/**
 * How to start a project's server instead of `tsx src/index.ts` (an existing
 * project secured by `add`: its own start command), and where its MCP
 * endpoint is. `port` is for a server that listens on a fixed port rather
 * than on PORT.
 */
export interface StartOptions {
  command?: { file: string; args: string[] };
  mcpPath?: string;
  port?: number;
  /** Variables the start command needs besides the auth's (a transport chosen by an environment variable). */
  env?: Record<string, string>;
  /** The server reads its port from this variable instead of PORT (`MCP_HTTP_PORT`): set to the port the check picks. */
  portEnv?: string;
  /** The server reads its port from this option (`--port`): passed with the port the check picks. */
  portArg?: string;
}

export async function startProjectServer(
  root: string,
  issuer: IssuerEndpoints,
  options: { signal?: AbortSignal; start?: StartOptions } = {},
): Promise<ProjectServer> {
  const start = options.start ?? {};
  const port = start.port ?? (await freePort());
  const mcpPath = start.mcpPath ?? "/mcp";
  const serverUrl = `http://127.0.0.1:${port}${mcpPath}`;
  let output = "";
  // In its own process group: a start command (npm start) runs the server as a grandchild, stopped with it.
  const [file, args] = start.command
    ? [start.command.file, [...start.command.args, ...(start.portArg ? portArgs(start.command, start.portArg, port) : [])]]
    : isPythonProject(root)
      ? [PYTHON_START.file, [...PYTHON_START.args]]
      : [process.execPath, ["--import", "tsx", "src/index.ts"]];
  const { child: server } = spawnGroup(file, args, {
    cwd: root,
    env: {
      ...start.env,
      ...(start.portEnv ? { [start.portEnv]: String(port) } : {}),
      ...projectProvider(root).selfCheckEnv(issuer, serverUrl),
      MCP_SERVER_URL: serverUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ENV: "development",
    },
    stdin: "ignore",
    all: true,
    reject: false,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  server.all?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 64_000) output = output.slice(-32_000);
  });
  const startedAt = Date.now();
  const logTail = () => [output.split("\n").slice(-30).join("\n"), ...logFileLines(root, startedAt)].join("\n");
  return {
    url: serverUrl,
    ready: () =>
      waitForServer(
        `http://127.0.0.1:${port}/.well-known/oauth-protected-resource${mcpPath === "/" ? "" : mcpPath}`,
        server,
        logTail,
        options.signal,
      ),
    log: () => output,
    logTail,
    stop: () => stopGroup(server, 2000),
  };
}

/**
 * The last error line of each log file the server wrote while it ran (in the
 * project's root or logs/): a server that logs to files says on stdout
 * nothing of why it exited (obsidian-mcp-server: its backend not reachable).
 */
function logFileLines(root: string, since: number): string[] {
  const lines: string[] = [];
  for (const dir of [root, path.join(root, "logs")]) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((name) => name.endsWith(".log"));
    } catch {
      continue;
    }
    for (const name of names.sort((a, b) => Number(b.includes("error")) - Number(a.includes("error")))) {
      const file = path.join(dir, name);
      try {
        if (statSync(file).mtimeMs < since - 1000) continue;
        const last = readFileSync(file, "utf8")
          .split("\n")
          .filter((line) => /error|fatal|critical/i.test(line))
          .pop();
        if (!last) continue;
        let text = last;
        try {
          const entry = JSON.parse(last) as { message?: unknown; error?: unknown };
          text =
            [entry.message, typeof entry.error === "string" ? entry.error : undefined].filter((x) => typeof x === "string").join(": ") ||
            last;
        } catch {
          // a plain text line
        }
        // The same error in several logs (error.log, combined.log) is quoted once.
        if (!lines.some((line) => line.endsWith(`: ${text.slice(0, 400)}`)))
          lines.push(`${path.relative(root, file)}: ${text.slice(0, 400)}`);
      } catch {
        // unreadable: says nothing
      }
      if (lines.length >= 3) return lines;
    }
  }
  return lines;
}

/** `--port N` after the start command's arguments; through npm's `--` when npm runs a script and none is there yet. */
function portArgs(command: { file: string; args: string[] }, option: string, port: number): string[] {
  const viaNpm = /(^|[\\/])npm(\.cmd)?$/.test(command.file) && !command.args.includes("--");
  return [...(viaNpm ? ["--"] : []), option, String(port)];
}

/** Rejects with Interrupted as soon as `signal` aborts. */
function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (signal?.aborted) reject(new Interrupted());
    signal?.addEventListener("abort", () => reject(new Interrupted()), { once: true });
  });
}

/** The short form shown inside the frame: counts, then each failure with its reason. */
export function summaryLines(report: CheckReport): { headline: string; failures: string[] } {
  const s = report.summary;
  const counts = [
    `${s.passed} passed`,
    `${s.failed} failed`,
    ...(s.warnings ? [plural(s.warnings, "warning")] : []),
    ...(s.skipped ? [`${s.skipped} skipped`] : []),
  ];
  const headline = `Self-check ${s.failed ? "failed" : "passed"}: ${counts.join(", ")} (${(report.durationMs / 1000).toFixed(1)} s)`;
  const failures = report.results.filter((r) => r.status === "fail").map((r) => `✖ ${r.title}: ${r.reason} [${r.id}]`);
  return { headline, failures };
}

/**
 * Proves a generated project: starts the local issuer in the project's
 * provider layout and the project's server (environment pointing at the
 * issuer, free ports), runs every probe of `check` with minted tokens and the
 * official client's OAuth flow, then stops both. Configured projects are
 * checked the same way: the probe exercises the generated code, which treats
 * the local issuer as its authorization server. One progress line while it
 * runs; then the full checklist, or (`checklist: 'summary'`) the counts and
 * each failure.
 */
export async function runSelfCheck({
  root,
  scopes,
  ui,
  signal,
  start,
  checklist = "full",
}: {
  root: string;
  scopes?: string[];
  ui: Ui;
  signal?: AbortSignal;
  /** How to start the server (`add`: the project's own start command). */
  start?: StartOptions;
  /** 'full': every probe's line (`check --project`, `create --verbose`); 'summary': counts and failures (`create`). */
  checklist?: "full" | "summary";
}): Promise<SelfCheckOutcome> {
  // The check (the MCP SDK clients, zod, Ajv) is the biggest module to load: it loads while the issuer
  // starts and the server boots, off the critical path (bench/selfcheck.mjs).
  const checkModule = import("./check/index.js");
  checkModule.catch(() => undefined); // awaited below; not an unhandled rejection if the issuer fails first
  const { startIssuer } = await import("./issuer/index.js");

  const provider = projectProvider(root);
  // `layout` is the issuer stream's option (CONTRACTS: local issuer API changes).
  const issuerOptions = { port: 0, quiet: true, layout: provider.issuerLayout, ...(scopes ? { scopes } : {}) };
  const issuer = await startIssuer(issuerOptions);
  let server: ProjectServer | undefined;
  try {
    server = await startProjectServer(root, issuer, { ...(signal ? { signal } : {}), ...(start ? { start } : {}) });
    const { runCheck, formatReport, reportPassed, PROBES } = await checkModule;
    const running = server;
    const total = PROBES.length;
    let done = 0;
    const report = await ui.step(
      "Self-check: starting the local issuer and your server",
      (r: CheckReport) => summaryLines(r).headline,
      async (update) => {
        const check = (async () => {
          await running.ready();
          update(`Self-check: probing ${running.url} (0/${total})`);
          return runCheck({
            url: running.url,
            issuer,
            onResult: (result: ProbeResult) => update(`Self-check: ${++done}/${total} ${result.title}`),
          });
        })();
        return Promise.race([check, untilAborted(signal)]);
      },
    );
    const passed = reportPassed(report);
    if (checklist === "full")
      // Indented inside the frame (3 columns) or by 2: the report wraps to what is left of 80.
      ui.output.write(
        `${formatReport(report, { color: ui.interactive, width: ui.interactive ? 77 : 78 }).replace(/^/gm, ui.interactive ? "\x1b[90m│\x1b[0m  " : "  ")}\n`,
      );
    else {
      const { failures } = summaryLines(report);
      if (failures.length > 0) ui.section("Failed probes (all of them: --verbose)", failures);
    }
    if (!passed) ui.error(`The self-check found problems. Server log (last lines):\n${server.logTail()}`);
    return { passed, report };
  } finally {
    await server?.stop();
    await issuer.close();
  }
}
