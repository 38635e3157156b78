// The real-project corpus of `add` (test/fixtures/real/manifest.json): third-party
// MCP server projects as their authors published them to the npm registry,
// unpacked at run time (no third-party code is committed here). Shared by
// test/add-real.test.ts (which asserts each project's expected outcome) and
// bench/add/real.mjs (which records the table in bench/RESULTS.md).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const MANIFEST = path.join(repo, "test/fixtures/real/manifest.json");
const cliBin = path.join(repo, "bin/create-mcp-auth.js");
const npmCache = process.env.CMA_NPM_CACHE ?? path.join(repo, ".cache/npm");
/** Where each package's tarball is kept between runs (the npm cache keeps its own copy too). */
const tarballs = path.join(repo, ".cache/real-corpus");

/** @returns {Promise<{ projects: any[] }>} */
export async function loadManifest() {
  return JSON.parse(await readFile(MANIFEST, "utf8"));
}

/** The environment of every child: no auth settings of the caller's, the shared npm cache. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(SCALEKIT_|OIDC_|MCP_|npm_config_user_agent$|CI$|npm_lifecycle|npm_package)/.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    npm_config_cache: npmCache,
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_update_notifier: "false",
    ...extra,
  };
}

/**
 * A project's environment: the manifest's `env` (fake keys, transport switches)
 * and `installEnv` (npm settings its install needs: skip install scripts that
 * build from sources the package does not ship, legacy peer deps, no dev
 * dependencies where one is private). add's own install sees them too.
 */
export function projectEnv(project, extra = {}) {
  return childEnv({ ...(project.env ?? {}), ...(project.installEnv ?? {}), ...extra });
}

/**
 * The project's stand-in backend, when the manifest declares one (`standIn: { env, json }`): a server the project
 * needs at startup and that is not part of it (obsidian-mcp-server: the Obsidian Local REST API). A loopback HTTP
 * server on a free port answers every GET with `json`, with `status` (200 unless given: apify's API answers 404
 * record-not-found, so the server lists its built-in tools without any Actor's) (any other method: 405); `env` names the variable that
 * points the project at it, set to its URL for add and so for the self-check's server. Undefined without one.
 * @returns {Promise<{ env: Record<string, string>, requests: () => number, close: () => Promise<void> } | undefined>}
 */
export async function startStandIn(project) {
  const standIn = project.standIn;
  if (!standIn) return undefined;
  if (typeof standIn.env !== "string" || !/^[A-Z][A-Z0-9_]*$/.test(standIn.env) || standIn.json === undefined)
    throw new Error(`${project.name}: standIn needs "env" (a variable name) and "json" (the answer to every GET)`);
  const status = standIn.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599)
    throw new Error(`${project.name}: standIn's "status" must be an HTTP status (200 to 599), not ${JSON.stringify(standIn.status)}`);
  const body = JSON.stringify(standIn.json);
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    if (req.method !== "GET") {
      res.writeHead(405, { Allow: "GET" }).end();
      return;
    }
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }).end(body);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    env: { [standIn.env]: `http://127.0.0.1:${port}` },
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/** Downloads the package's tarball once (npm pack, through the npm cache) and unpacks it into `dir` as a git repository. */
export async function unpack(project, dir) {
  await mkdir(tarballs, { recursive: true });
  const { stdout } = await run("npm", ["pack", project.npm, "--json", "--pack-destination", tarballs], {
    env: childEnv(),
    cwd: tarballs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [info] = JSON.parse(stdout);
  if (info.integrity !== project.integrity)
    throw new Error(`${project.npm}: integrity ${info.integrity}, the manifest pins ${project.integrity}`);
  const scratch = `${dir}.unpack`;
  await mkdir(scratch, { recursive: true });
  await run("tar", ["xzf", path.join(tarballs, info.filename), "-C", scratch]);
  await cp(path.join(scratch, "package"), dir, { recursive: true });
  await rm(scratch, { recursive: true, force: true });
  const git = gitIn(dir);
  await git("init", "-q");
  await git("add", "-A");
  await git("commit", "-qm", project.npm);
}

function gitIn(dir) {
  return (...args) =>
    run("git", args, {
      cwd: dir,
      env: childEnv({
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
      }),
    });
}

/**
 * The project's own install, before add: its steps are judged on an installed
 * project, as a user would have it. The lockfile it writes is committed, as a
 * user's would be, so add finds a clean tree (node_modules is excluded).
 */
export async function install(project, dir) {
  const started = Date.now();
  await run("npm", ["install", "--no-fund", "--no-audit"], {
    cwd: dir,
    env: projectEnv(project),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
  const seconds = (Date.now() - started) / 1000;
  await writeFile(path.join(dir, ".git/info/exclude"), "node_modules/\n", { flag: "a" });
  const git = gitIn(dir);
  await git("add", "-A");
  await git("commit", "-qm", "install", "--allow-empty");
  return seconds;
}

/** Runs the built CLI; never rejects. */
export async function cli(args, { env, timeout = 900_000 } = {}) {
  const started = Date.now();
  try {
    const { stdout, stderr } = await run(process.execPath, [cliBin, ...args], { env, timeout, maxBuffer: 64 * 1024 * 1024 });
    return { exitCode: 0, stdout, stderr, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    return {
      exitCode: typeof error.code === "number" ? error.code : -1,
      stdout: String(error.stdout ?? ""),
      stderr: String(error.stderr ?? error.message),
      seconds: (Date.now() - started) / 1000,
    };
  }
}

export function parseJson(result) {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`the CLI did not print one JSON document (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
  }
}

/** add's arguments for a project: --scopes and whatever flags it needs today. */
export function addArgs(project, dir, extra = []) {
  return ["add", dir, "--json", ...(project.scopes ? ["--scopes", project.scopes] : []), ...(project.flags ?? []), ...extra];
}

/** Every file of a tree (without node_modules and .git) with its content hash. */
export async function snapshot(root) {
  const files = new Map();
  const visit = async (dir, prefix) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === ".git") continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path.join(dir, entry.name), rel);
      else
        files.set(
          rel,
          createHash("sha256")
            .update(await readFile(path.join(dir, entry.name)))
            .digest("hex"),
        );
    }
  };
  await visit(root, "");
  return files;
}

/**
 * What one add run came to, in the manifest's terms: the exit code; for a
 * refusal (exit 2) its reason; otherwise each step's verdict and the probes
 * of the self-check that failed (the self-check is `check` against the local
 * issuer, both protocol eras, on the project's own start command).
 */
export function outcomeOf(result, doc) {
  if (doc.ok === false && doc.exitCode === 2 && typeof doc.error === "string")
    return { exitCode: result.exitCode, error: firstLine(doc.error) };
  const steps = {};
  for (const step of doc.steps ?? []) steps[step.name] = step.verdict;
  const failed = (doc.check?.results ?? []).filter((r) => r.status === "fail").map((r) => r.id);
  return {
    exitCode: result.exitCode,
    installed: doc.installed === true,
    steps,
    check: Array.isArray(doc.check?.results)
      ? failed.length === 0
        ? "pass"
        : failed
      : typeof doc.check?.error === "string"
        ? `not run: ${doc.check.error}`
        : "not run",
    // Which protocol eras the server served with a valid token (the 2025 era and 2026-07-28), when the self-check ran.
    ...(doc.check?.eras ? { eras: doc.check.eras } : {}),
    ...(typeof doc.error === "string" ? { error: firstLine(doc.error) } : {}),
    ...(doc.manual?.length ? { manual: true } : {}),
  };
}

function firstLine(text) {
  return text
    .split("\n")[0]
    .replace(/\S*cma-real-[^\s/]*\/[^\s/:]+/g, "<project>")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>");
}

/** The whole pipeline for one project: unpack, install (unless add refuses it), add --yes --steps, the self-check in it. */
/** Runs `work` with the project's environment and its stand-in backend (if any) running. */
export async function withStandIn(project, work) {
  const standIn = await startStandIn(project);
  try {
    return await work(projectEnv(project, standIn?.env ?? {}));
  } finally {
    await standIn?.close();
  }
}

export async function runProject(project, workDir) {
  // Its stand-in backend (if any) runs from before add's first run until the last one has ended.
  const standIn = await startStandIn(project);
  try {
    return { ...(await runProjectWith(project, workDir, standIn?.env ?? {})), standInRequests: standIn ? standIn.requests() : null };
  } finally {
    await standIn?.close();
  }
}

async function runProjectWith(project, workDir, standInEnv) {
  const env = projectEnv(project, standInEnv);
  const dir = path.join(workDir, project.name);
  await unpack(project, dir);
  const before = await snapshot(dir);
  // add without flags: what a new user sees first (no install needed to read the code).
  const bare = await cli(["add", dir, "--json", "--dry-run", ...(project.scopes ? ["--scopes", project.scopes] : [])], {
    env,
    timeout: 120_000,
  });
  const bareDoc = parseJson(bare);
  const bareOutcome =
    bareDoc.ok === false ? { exitCode: bare.exitCode, error: firstLine(bareDoc.error ?? "") } : { exitCode: bare.exitCode };
  // Time of add without install or self-check (the 1 s target), on a dry run with the flags it needs.
  const timed = await cli([...addArgs(project, dir), "--dry-run"], { env, timeout: 120_000 });
  const cpuSeconds = await cpuTime([cliBin, ...addArgs(project, dir), "--dry-run"], env);
  let installSeconds = null;
  // A project add refuses (or asks about) on a dry run is refused the same way for real: no install needed for that.
  if (timed.exitCode !== 2) installSeconds = await install(project, dir);
  const afterInstall = await snapshot(dir);
  const result = await cli([...addArgs(project, dir), "--yes", "--steps"], { env });
  const doc = parseJson(result);
  const after = await snapshot(dir);
  const written = [...after.keys()].filter((rel) => after.get(rel) !== afterInstall.get(rel));
  // The manifest's `also`: further runs with a choice add --yes does not make (`--existing-auth replace`), each on a
  // fresh unpack of the project (installed), with its outcome.
  const also = [];
  for (const [i, alt] of (project.also ?? []).entries()) {
    const altDir = path.join(workDir, `${project.name}.also${i}`);
    await unpack(project, altDir);
    await install(project, altDir);
    const altResult = await cli([...addArgs(project, altDir, alt.flags), "--yes", "--steps"], { env });
    also.push({ flags: alt.flags, dir: altDir, outcome: outcomeOf(altResult, parseJson(altResult)), stderr: altResult.stderr });
  }
  return {
    also,
    project,
    dir,
    bare: bareOutcome,
    outcome: outcomeOf(result, doc),
    doc,
    stderr: result.stderr,
    addSeconds: timed.seconds,
    addCpuSeconds: cpuSeconds,
    fullSeconds: result.seconds,
    installSeconds,
    written,
    untouchedBeforeInstall: before,
  };
}

/**
 * CPU seconds (user + system) of one run of node with `args`: on a machine
 * shared with other jobs the wall time mostly measures the wait for a core.
 * Read with the shell's `times` (its children's totals), which needs no tool.
 */
async function cpuTime(args, env) {
  const script = 'node "$@" >/dev/null 2>&1; times';
  const { stdout } = await run("bash", ["-c", script, "bash", ...args], { env, timeout: 120_000 });
  const [user, system] = (stdout.trim().split("\n")[1] ?? "").split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  });
  return (user ?? Number.NaN) + (system ?? Number.NaN);
}

/** Runs `work` over `items`, at most `limit` at a time, in order of the items in the results. */
export async function pool(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await work(items[i], i) };
      } catch (error) {
        results[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Whether a project meets issue 18's bar: no flag beyond scopes, nothing green
 * turned red, the self-check passes; or, for a project add should refuse, a
 * refusal that names the reason (the manifest's `refusal`) with nothing written.
 */
export function meetsBar(r) {
  const o = r.outcome;
  if ((r.project.flags ?? []).length > 0) return false;
  if (r.project.kind === "refuse")
    return o.exitCode === 2 && r.written.length === 0 && new RegExp(r.project.refusal, "i").test(o.error ?? "");
  const broken = Object.values(o.steps ?? {}).some((v) => v === "broken by add");
  return o.exitCode === 0 && !broken && o.check === "pass";
}
