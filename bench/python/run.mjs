// Python auth overhead: requests per second and server CPU per request of an authenticated MCP `tools/list`
// against each generated Python server as generated (on), the same tools without auth (off), and the
// framework's own auth as peer (FastMCP's JWTVerifier; the SDK's TokenVerifier with PyJWT), both eras, under
// uvicorn. autocannon, 10 connections per server. The three servers of a row are loaded AT THE SAME TIME in each
// round: on a shared, loaded machine each then gets the same share of the same CPUs at the same moments, so a
// round's on/off ratio compares what a request costs each, where servers loaded one after another saw different
// loads (rows of 78-120% on the same code). Medians of the rounds' ratios. Writes bench/python/results.json and
// a dated "## Python auth overhead" section of bench/RESULTS.md.
//
// --calls: Python calls per request only (bench/python/calls.py, in process, no server, no load), the measure a
// loaded machine cannot move; writes bench/python/results-calls.json and its own dated section. Exits 1 when a
// target (on/off >= 90%, on/peer >= 100%, by calls) is missed.
//
//   npm run build && node bench/python/run.mjs [--rounds 7] [--duration 3]
//   npm run build && node bench/python/run.mjs --calls [--requests 200]
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBuilt, freePort, repo, startLocalIssuer, stopAll, stopChildrenOnSignal } from "../../lib/harness.mjs";
import { machineInfo, machineLine, median, writeSection } from "../results-file.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    duration: { type: "string", default: "3" },
    calls: { type: "boolean", default: false },
    requests: { type: "string", default: "200" },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.duration);
const work = path.join(repo, ".cache", "bench-python");
const log = (line) => process.stderr.write(`[bench/python] ${line}\n`);
stopChildrenOnSignal(log);

const ERAS = {
  2025: {
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    headers: { "mcp-protocol-version": "2025-06-18" },
  },
  2026: {
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/list",
      params: {
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1" },
        },
      },
    }),
    headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
  },
};
const headers = (token, era) => ({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  ...ERAS[era].headers,
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

function autocannonModule() {
  const dir = path.join(work, "autocannon");
  const require = createRequire(path.join(dir, "index.js"));
  try {
    return require("autocannon");
  } catch {
    mkdirSync(dir, { recursive: true });
    execFileSync("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", "autocannon@8"], { stdio: "ignore" });
    return require("autocannon");
  }
}

function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

async function startVariant(variant, framework, root, module, issuer) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const env = {
    ...process.env,
    MCP_SERVER_URL: url,
    PORT: String(port),
    HOST: "127.0.0.1",
    SCALEKIT_ENVIRONMENT_URL: issuer.url,
    SCALEKIT_RESOURCE_ID: issuer.resourceId,
  };
  const child = spawn(path.join(root, ".venv", "bin", "python"), [path.join(here, "servers.py"), variant, framework, module], {
    cwd: root,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let tail = "";
  child.stderr.on("data", (c) => (tail = (tail + c).slice(-3000)));
  const deadline = Date.now() + 90_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${framework} ${variant} did not start:\n${tail}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const token = await issuer.mint([url, issuer.resourceId]);
  /** Python calls per request of this variant in `era`, in process (bench/python/calls.py): what load cannot move. */
  const calls = (era) =>
    JSON.parse(
      execFileSync(path.join(root, ".venv", "bin", "python"), [path.join(here, "calls.py"), variant, framework, module, era, "200"], {
        cwd: root,
        env: { ...env, TOKEN: token },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"], // the SDK's INFO log lines
      }),
    );
  return {
    variant,
    url,
    token,
    child,
    calls,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
    },
  };
}

async function sanity(server, era) {
  const post = (token) => fetch(server.url, { method: "POST", headers: headers(token, era), body: ERAS[era].body });
  const ok = await post(server.token);
  const text = await ok.text();
  if (ok.status !== 200 || !text.includes('"tools"')) throw new Error(`${server.variant} (${era}): ${ok.status} ${text.slice(0, 300)}`);
  const without = await post(undefined);
  await without.text();
  const expected = server.variant === "off" ? 200 : 401;
  if (without.status !== expected) throw new Error(`${server.variant} (${era}) without a token: ${without.status}, expected ${expected}`);
}

async function load(autocannon, server, era, duration) {
  const before = cpuMs(server.child.pid);
  const result = await autocannon({
    url: server.url,
    method: "POST",
    headers: headers(server.token, era),
    body: ERAS[era].body,
    connections: 10,
    duration,
  });
  const after = cpuMs(server.child.pid);
  return {
    rps: result.requests.average,
    cpuUs: before === undefined || !result.requests.total ? undefined : ((after - before) * 1000) / result.requests.total,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

const pct = (a, b) => `${((a / b) * 100).toFixed(1)}%`;

ensureBuilt(log);
if (values.calls) {
  await callsOnly(Number(values.requests));
  process.exit(process.exitCode ?? 0);
}
const autocannon = autocannonModule();
rmSync(path.join(work, "projects"), { recursive: true, force: true });
mkdirSync(path.join(work, "projects"), { recursive: true });
const issuer = await startLocalIssuer(work);
const rows = [];
try {
  for (const framework of ["fastmcp", "fastapi"]) {
    const { root, module } = createProject(framework);
    for (const era of ["2025", "2026"]) {
      const servers = [];
      for (const variant of ["on", "off", "peer"]) servers.push(await startVariant(variant, framework, root, module, issuer));
      try {
        for (const server of servers) await sanity(server, era);
        await Promise.all(servers.map((server) => load(autocannon, server, era, 2))); // warm-up
        const samples = { on: [], off: [], peer: [] };
        for (let round = 0; round < rounds; round++) {
          const results = await Promise.all(servers.map((server) => load(autocannon, server, era, seconds)));
          for (const [i, server] of servers.entries()) samples[server.variant].push(results[i]);
        }
        const calls = Object.fromEntries(servers.map((server) => [server.variant, server.calls(era)]));
        const m = (v, key) => median(samples[v].map((s) => s[key]));
        const ratios = (a, b) => samples[a].map((s, i) => s.rps / samples[b][i].rps);
        const row = {
          label: `${framework} (${era === "2026" ? "2026-07-28" : "2025"})`,
          on: m("on", "rps"),
          off: m("off", "rps"),
          peer: m("peer", "rps"),
          onOff: median(ratios("on", "off")),
          onPeer: median(ratios("on", "peer")),
          onOffRange: [Math.min(...ratios("on", "off")), Math.max(...ratios("on", "off"))],
          cpu: { on: m("on", "cpuUs"), off: m("off", "cpuUs"), peer: m("peer", "cpuUs") },
          calls,
          bad: Object.values(samples)
            .flat()
            .reduce((n, s) => n + s.bad, 0),
          samples,
        };
        rows.push(row);
        log(
          `${row.label}: on ${row.on.toFixed(0)}, off ${row.off.toFixed(0)}, peer ${row.peer.toFixed(0)} req/s; on/off ${pct(row.onOff, 1)}, on/peer ${pct(row.onPeer, 1)}`,
        );
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    }
  }
} finally {
  await issuer.close();
  await stopAll();
}

const report = { date: new Date().toISOString(), machine: machineInfo(), rounds, seconds, rows };
writeFileSync(path.join(here, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
const table = rows.map((r) => {
  const c = r.calls;
  const byCalls = c.off.calls / c.on.calls;
  const verdict = (ok) => (ok && r.bad === 0 ? "met" : "NOT met");
  const met = `${verdict(r.onOff >= 0.9 && r.onPeer >= 1)}; ${verdict(byCalls >= 0.9 && c.on.calls <= c.peer.calls)}`;
  return `| ${r.label} | ${r.on.toFixed(0)} | ${r.off.toFixed(0)} | ${r.peer.toFixed(0)} | ${pct(r.onOff, 1)} (${pct(r.onOffRange[0], 1)}-${pct(r.onOffRange[1], 1)}) | ${pct(r.onPeer, 1)} | ${r.cpu.on?.toFixed(0)} / ${r.cpu.off?.toFixed(0)} / ${r.cpu.peer?.toFixed(0)} | ${c.on.calls.toFixed(0)} / ${c.off.calls.toFixed(0)} / ${c.peer.calls.toFixed(0)} (${c.on.auth_core_calls.toFixed(0)} in mcp_auth/) | ${pct(byCalls, 1)} | ${pct(c.peer.calls, c.on.calls)} | ${r.bad} | ${met} |`;
});
const load1 = readFileSync("/proc/loadavg", "utf8").split(" ")[0];
writeSection(
  [
    `## Python auth overhead (bench/python), ${report.date.slice(0, 10)}: create = the plain template + add`,
    "",
    `**Machine loaded** (shared by parallel sessions; load average ${load1} at the end of the run).`,
    "",
    "Requests per second of an authenticated MCP `tools/list` (POST /mcp, stateless) against each generated Python server as generated (**on**: the plain template's server plus what `add` writes), the plain template's server itself (**off**: the same tools and HTTP stack, with its own Host/Origin protection, no auth), and the framework's own auth as **peer**: FastMCP's `JWTVerifier`; for the official SDK, a `TokenVerifier` with PyJWT's `PyJWKClient` behind the SDK's `RequireAuthMiddleware` (bench/python/servers.py). uvicorn, one worker each; autocannon on loopback, 10 connections per server. The three servers of a row are loaded at the same time in each round (2 s warm-up, then rounds of the same length), so machine load hits them alike; the ratios are medians of the rounds' ratios (range in brackets). Targets: on/off >= 90%, on/peer >= 100%, no errors. **Python calls per request** (bench/python/calls.py: the same app driven in process over ASGI, cProfile's call count of 200 requests after a warm-up; bench/python/results.json has them per package) is a cost measure machine load cannot move; on/off and on/peer by calls are off/on and peer/on of it. The targets column says whether both targets hold by req/s, then by calls.",
    "",
    machineLine(report),
    `- Command: \`npm run build && node bench/python/run.mjs --rounds ${rounds} --duration ${seconds}\``,
    "",
    "| server | on req/s | off req/s | peer req/s | on/off (range) | on/peer | CPU us/req on / off / peer | Python calls/req on / off / peer | on/off by calls | on/peer by calls | non-2xx + errors | targets (req/s; calls) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...table,
  ].join("\n"),
);
log("wrote bench/python/results.json and bench/RESULTS.md");

/** The Python project `create` writes for `framework` (under .cache, installed): its folder and module name. */
function createProject(framework) {
  const name = `bench-${framework}`;
  const root = path.join(work, "projects", name);
  log(`create --language python -f ${framework}`);
  execFileSync(
    process.execPath,
    [path.join(repo, "bin", "create-mcp-auth.js"), root, "--language", "python", "-f", framework, "--yes", "--no-git", "--no-check"],
    { stdio: "ignore" },
  );
  return { root, module: name.replace(/-/g, "_") };
}

/** Python calls per request of on, off and peer, for each framework and era: calls.py in each created project. */
async function callsOnly(requests) {
  rmSync(path.join(work, "projects"), { recursive: true, force: true });
  mkdirSync(path.join(work, "projects"), { recursive: true });
  const issuer = await startLocalIssuer(work);
  const rows = [];
  try {
    for (const framework of ["fastmcp", "fastapi"]) {
      const { root, module } = createProject(framework);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/mcp`;
      const env = {
        ...process.env,
        MCP_SERVER_URL: url,
        PORT: String(port),
        HOST: "127.0.0.1",
        SCALEKIT_ENVIRONMENT_URL: issuer.url,
        SCALEKIT_RESOURCE_ID: issuer.resourceId,
        TOKEN: await issuer.mint([url, issuer.resourceId]),
      };
      for (const era of ["2025", "2026"]) {
        const calls = {};
        for (const variant of ["on", "off", "peer"]) {
          calls[variant] = JSON.parse(
            execFileSync(
              path.join(root, ".venv", "bin", "python"),
              [path.join(here, "calls.py"), variant, framework, module, era, String(requests)],
              {
                cwd: root,
                env,
                encoding: "utf8",
                stdio: ["ignore", "pipe", "ignore"],
              },
            ),
          );
        }
        const row = { label: `${framework} (${era === "2026" ? "2026-07-28" : "2025"})`, calls };
        rows.push(row);
        log(
          `${row.label}: on ${calls.on.calls.toFixed(0)}, off ${calls.off.calls.toFixed(0)}, peer ${calls.peer.calls.toFixed(0)} calls per request`,
        );
      }
    }
  } finally {
    await issuer.close();
    await stopAll();
  }
  const report = { date: new Date().toISOString(), machine: machineInfo(), requests, rows };
  writeFileSync(path.join(here, "results-calls.json"), `${JSON.stringify(report, null, 2)}\n`);
  let missed = 0;
  const table = rows.map((r) => {
    const c = r.calls;
    const met = c.off.calls / c.on.calls >= 0.9 && c.on.calls <= c.peer.calls;
    if (!met) missed++;
    return `| ${r.label} | ${c.on.calls.toFixed(0)} | ${c.off.calls.toFixed(0)} | ${c.peer.calls.toFixed(0)} | ${c.on.auth_core_calls.toFixed(0)} | ${pct(c.off.calls, c.on.calls)} | ${pct(c.peer.calls, c.on.calls)} | ${met ? "met" : "NOT met"} |`;
  });
  writeSection(
    [
      `## Python auth overhead by calls per request (bench/python/run.mjs --calls), ${report.date.slice(0, 10)}`,
      "",
      `Python calls per request of an authenticated MCP \`tools/list\` (stateless), each generated Python server as created (**on**), the plain template's server (**off**) and the framework's own auth (**peer**), as bench/python/servers.py builds them: bench/python/calls.py drives each app in process over ASGI (lifespan started, 50 requests of warm-up) and counts every Python and builtin call of ${requests} requests with cProfile. No server, no load generator: machine load cannot move these numbers (between runs the 2026-07-28 rows repeat to the call, the 2025 rows move by up to 0.5%). Targets: on/off >= 90%, on/peer >= 100%. bench/python/results-calls.json has them per package.`,
      "",
      machineLine(report),
      `- Command: \`npm run build && node bench/python/run.mjs --calls --requests ${requests}\``,
      "",
      "| server | on | off | peer | of on, in mcp_auth/ functions | on/off | on/peer | targets |",
      "|---|---:|---:|---:|---:|---:|---:|---|",
      ...table,
    ].join("\n"),
  );
  log(`wrote bench/python/results-calls.json and bench/RESULTS.md${missed ? `; ${missed} row(s) miss a target` : ""}`);
  if (missed) process.exitCode = 1;
}
