// The official MCP conformance suite (@modelcontextprotocol/conformance, Node 22+)
// against a running server. The suite has no token option: a small loopback
// proxy in front of the server adds `Authorization` and forwards everything
// else as sent (Host and Origin included, so the DNS-rebinding scenario still
// reaches the server's own checks). Shared by the CI test (test/conformance)
// and bench/conformance/run.mjs, which writes bench/RESULTS.md.
import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

/** The server scenarios that apply to a server with our example tools. */
export const SCENARIOS = [
  "server-initialize",
  "tools-list",
  "dns-rebinding-protection",
  "server-stateless",
  "http-header-validation",
  "caching",
];

/** Where the suite and Node 24 are: CMA_NODE24 and CMA_CONFORMANCE_BIN (set by .ci/run), else undefined. */
export function conformanceTools(env = process.env) {
  const node = env.CMA_NODE24;
  const bin = env.CMA_CONFORMANCE_BIN;
  return node && bin ? { node, bin } : undefined;
}

/** A proxy on a free loopback port that adds `Authorization: Bearer <token>` to every request to `target`. */
export async function startTokenProxy(target, token) {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, authorization: `Bearer ${token}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
      res.end(String(error));
    });
    req.pipe(forward);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs each scenario against `url` and returns, per scenario, the checks as
 * the suite reported them: `{ id, status, message }` with status SUCCESS,
 * FAILURE, WARNING, SKIPPED or INFO.
 */
export async function runScenarios(url, { node, bin }, scenarios = SCENARIOS, timeoutMs = 120_000) {
  const results = {};
  for (const scenario of scenarios) {
    const out = mkdtempSync(path.join(os.tmpdir(), `cma-conformance-${scenario}-`));
    try {
      await new Promise((resolve) => {
        execFile(
          node,
          [bin, "server", "--url", url, "--scenario", scenario, "-o", out],
          { timeout: timeoutMs, env: { ...process.env, NO_COLOR: "1" } },
          () => resolve(),
        );
      });
      results[scenario] = readChecks(out);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  return results;
}

function readChecks(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === "checks.json") {
      const checks = JSON.parse(readFileSync(path.join(entry.parentPath ?? entry.path, entry.name), "utf8"));
      return checks.map((c) => ({ id: c.id, status: c.status, message: String(c.errorMessage ?? c.details?.message ?? "").slice(0, 300) }));
    }
  }
  return [{ id: "(no result)", status: "FAILURE", message: "the suite wrote no checks.json" }];
}

/** "24/28" style: checks passed out of checks that passed or failed (warnings, skips and infos apart). */
export function count(checks) {
  const passed = checks.filter((c) => c.status === "SUCCESS").length;
  const failed = checks.filter((c) => c.status === "FAILURE").length;
  const other = checks.length - passed - failed;
  return { passed, failed, other, text: `${passed}/${passed + failed}${other ? ` (+${other} warn/skip/info)` : ""}` };
}

/** Checks the baseline passes that `ours` does not, as "scenario: id: message". */
export function regressions(ours, baseline) {
  const out = [];
  for (const [scenario, checks] of Object.entries(baseline)) {
    for (const check of checks.filter((c) => c.status === "SUCCESS")) {
      const mine = ours[scenario]?.find((c) => c.id === check.id);
      if (mine?.status !== "SUCCESS") out.push(`${scenario}: ${check.id}: ${mine ? `${mine.status} ${mine.message}` : "not run"}`);
    }
  }
  return out;
}
