// What the benchmarks and the tests share: child processes stopped on exit, a local issuer
// run by the built CLI (`issuer --json`), and generated projects scaffolded by
// the built CLI and served with their own tsx, as `npm run dev` serves them.
import { execFileSync, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** npm's environment for generated projects: the repo's shared cache, no prompts, no user agent. */
export const npmEnv = { ...process.env, npm_config_cache: process.env.CMA_NPM_CACHE ?? path.join(repo, ".cache", "npm"), CI: "true" };
delete npmEnv.npm_config_user_agent;

const children = new Set();

/** Spawns a long-running node process; keeps the tail of its output for error messages. */
export function startProcess(name, argv, opts) {
  const child = spawn(process.execPath, argv, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  child.name = name;
  child.tail = "";
  const keep = (chunk) => {
    child.tail = (child.tail + chunk.toString()).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
  await child.exited;
  clearTimeout(timer);
}

export function stopAll() {
  return Promise.all([...children].map(stopProcess));
}

/** Ctrl-C or SIGTERM: stop every process started, exit 130. */
export function stopChildrenOnSignal(log) {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping every process started`);
      stopAll().finally(() => process.exit(130));
    });
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until the port accepts TCP connections, without sending any HTTP request. */
export async function waitForPort(child, port, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${child.name} exited before listening:\n${child.tail}`);
    }
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} did not listen on ${port} within ${timeoutMs} ms:\n${child.tail}`);
}

export function ensureBuilt(log) {
  try {
    execFileSync(process.execPath, ["-e", `require('node:fs').accessSync(${JSON.stringify(path.join(repo, "dist", "cli.js"))})`]);
  } catch {
    log("dist/ missing: npm run build");
    execFileSync("npm", ["run", "build"], { cwd: repo, stdio: ["ignore", "ignore", "inherit"] });
  }
}

/** Scaffolds and installs `framework` into `dir` with the built CLI (no git, no self-check). */
export function generateProject(framework, dir, extraArgs = []) {
  execFileSync(
    process.execPath,
    [path.join(repo, "bin", "create-mcp-auth.js"), dir, "--framework", framework, "--yes", "--no-git", "--no-check", ...extraArgs],
    {
      cwd: repo,
      env: npmEnv,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 600_000,
    },
  );
}

/** `create-mcp-auth issuer --port 0 --json`, with /_dev/mint and /_dev/info over HTTP. */
export async function startLocalIssuer(cwd, extraArgs = []) {
  const child = startProcess("issuer", [path.join(repo, "bin", "create-mcp-auth.js"), "issuer", "--port", "0", "--json", ...extraArgs], {
    cwd,
    env: process.env,
  });
  let buffer = "";
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`issuer did not start:\n${child.tail}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const nl = buffer.indexOf("\n");
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(JSON.parse(buffer.slice(0, nl)));
      }
    });
    child.once("exit", () => reject(new Error(`issuer exited:\n${child.tail}`)));
  });
  const dev = async (route, body) => {
    const res = await fetch(
      `${info.url}${route}`,
      body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    );
    if (!res.ok) throw new Error(`${route}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    child,
    url: info.url,
    resourceId: info.resourceId,
    /** A token for `audience` with the example scopes, valid six hours unless `options` say otherwise. */
    mint: async (audience, options = {}) =>
      (await dev("/_dev/mint", { audience, scopes: ["todo:read", "todo:write"], expiresIn: 3600 * 6, ...options })).token,
    jwksRequests: async () => {
      const body = await dev("/_dev/info");
      if (typeof body.jwksRequests !== "number") throw new Error("issuer /_dev/info has no jwksRequests");
      return body.jwksRequests;
    },
    rotate: async (keepOld = true) => (await dev("/_dev/rotate", { keepOld })).kid,
    close: () => stopProcess(child),
  };
}

/**
 * Starts `entry` of a generated project (`node --import tsx`) on a free
 * loopback port against `issuer`, and waits until it listens.
 */
export async function startProjectServer(name, cwd, entry, issuer, { extraEnv = {}, nodeArgs = [] } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const env = {
    ...process.env,
    SCALEKIT_ENVIRONMENT_URL: issuer.url,
    SCALEKIT_RESOURCE_ID: issuer.resourceId,
    SCALEKIT_CLIENT_ID: "",
    SCALEKIT_CLIENT_SECRET: "",
    MCP_SERVER_URL: url,
    PORT: String(port),
    HOST: "127.0.0.1",
    ...extraEnv,
  };
  delete env.NODE_OPTIONS;
  const child = startProcess(name, ["--import", "tsx", ...nodeArgs, entry], { cwd, env });
  await waitForPort(child, port);
  return { name, child, port, url, stop: () => stopProcess(child) };
}
