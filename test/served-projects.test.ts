/**
 * The four generated TypeScript servers (create, local mode), installed once
 * into a shared node_modules above them, each started as the self-check
 * starts it and asked over HTTP:
 * - the plain server's request log: one JSON line per request on stdout
 *   (time, method, path, status, ms), the auth layer's refusals included,
 *   never the query string or a token;
 * - tools/list is not filtered by the token's scopes, in either protocol era,
 *   on any framework: every tool is listed, a call without its scope is 403.
 */

import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";
import { type ProjectServer, startProjectServer } from "../src/selfcheck.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";

const FRAMEWORKS = ["express", "fastify", "hono", "fastmcp"] as const;
const SCOPES = ["todo:read", "todo:write"];

const META_2026 = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "served-projects", version: "1.0.0" },
};

type Era = "2025-11-25" | "2026-07-28";

/** One JSON-RPC request as a client of `era` sends it (2025: stateless, no handshake): the status and the message. */
async function rpc(url: string, token: string | undefined, era: Era, method: string, params: Record<string, unknown> = {}) {
  const modern = era === "2026-07-28";
  const name = typeof params.name === "string" ? params.name : undefined;
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "Mcp-Protocol-Version": era,
      ...(modern && { "Mcp-Method": method, ...(name && { "Mcp-Name": name }) }),
      ...(token && { Authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: { ...params, ...(modern && { _meta: META_2026 }) } }),
  });
  const text = await response.text();
  const data = response.headers.get("content-type")?.startsWith("text/event-stream")
    ? text
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5))
        .at(-1)
    : text;
  return { status: response.status, message: data ? (JSON.parse(data) as { result?: Record<string, unknown> }) : undefined };
}

/** The request log lines of a server's output (JSON objects with a path). */
function requestLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => "path" in line);
}

async function until<T>(what: string, read: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let work: { dir: string; cleanup: () => Promise<void> };
let issuer: LocalIssuer;
const root = (framework: string) => path.join(work.dir, framework);

beforeAll(async () => {
  work = await tempDir("cma-served-");
  const created = await Promise.all(
    FRAMEWORKS.map((framework) =>
      runCli([root(framework), "--framework", framework, "--scopes", SCOPES.join(","), "--yes", "--no-install", "--no-git", "--no-check"]),
    ),
  );
  for (const run of created) expect(run.exitCode, run.stderr).toBe(0);
  // One install for the four: their dependencies, merged, in a node_modules above them (Node looks there too).
  const merged: Record<string, string> = {};
  for (const framework of FRAMEWORKS) {
    const pkg = JSON.parse(await readFile(path.join(root(framework), "package.json"), "utf8"));
    Object.assign(merged, pkg.dependencies, pkg.devDependencies);
  }
  await writeFile(path.join(work.dir, "package.json"), JSON.stringify({ private: true, dependencies: merged }));
  const install = await execa("npm", ["install", "--no-audit", "--no-fund"], {
    cwd: work.dir,
    env: installEnv(),
    reject: false,
    all: true,
  });
  expect(install.exitCode, String(install.all)).toBe(0);
  issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES });
}, 600_000);

afterAll(async () => {
  await issuer?.close();
  await work?.cleanup();
});

describe.each(FRAMEWORKS)("%s", (framework) => {
  let server: ProjectServer;
  beforeAll(async () => {
    server = await startProjectServer(root(framework), issuer);
    await server.ready();
  }, 120_000);
  afterAll(() => server?.stop());

  const mint = (scopes: string[]) => issuer.mint({ audience: [server.url, issuer.resourceId], scopes, sub: "log-reader" });

  it("writes one JSON line per request to stdout: time, method, path, status, ms; never the query string or a token", async () => {
    // The readiness probe's line first (lines are written once per turn of the event loop).
    await until("the readiness probe's log line", () => (requestLines(server.log()).length > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = requestLines(server.log()).length;
    const token = await mint(SCOPES);
    const health = await fetch(new URL("/healthz?probe=1", server.url));
    expect(health.status).toBe(200);
    // Refused by the auth layer, in front of the plain server: still logged.
    expect((await rpc(`${server.url}?access_token=secret-in-query`, undefined, "2025-11-25", "tools/list")).status).toBe(401);
    expect((await rpc(`${server.url}?trace=secret-in-query`, token, "2025-11-25", "tools/list")).status).toBe(200);

    const lines = await until("three request log lines", () => {
      const found = requestLines(server.log()).slice(before);
      return found.length >= 3 ? found : undefined;
    });
    expect(lines.map((l) => [l.method, l.path, l.status])).toEqual([
      ["GET", "/healthz", 200],
      ["POST", "/mcp", 401],
      ["POST", "/mcp", 200],
    ]);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(["time", "method", "path", "status", "ms"]);
      expect(new Date(line.time as string).toISOString()).toBe(line.time);
      expect(Math.abs(Date.now() - Date.parse(line.time as string))).toBeLessThan(60_000);
      expect(line.ms).toBeTypeOf("number");
      expect(line.ms as number).toBeGreaterThanOrEqual(0);
    }
    expect(server.log()).not.toContain("secret-in-query");
    expect(server.log()).not.toContain(token);
    expect(server.log()).not.toContain(token.split(".")[2]);
  });

  for (const era of ["2025-11-25", "2026-07-28"] as const) {
    it(`${era}: tools/list lists every tool whatever the token's scopes; a call without the tool's scope is 403`, async () => {
      const readOnly = await mint(["todo:read"]);
      const listed = await rpc(server.url, readOnly, era, "tools/list");
      expect(listed.status).toBe(200);
      const toolNames = (message: { result?: Record<string, unknown> } | undefined) =>
        ((message?.result?.tools ?? []) as { name: string }[]).map((t) => t.name).sort();
      const names = toolNames(listed.message);
      expect(names).toEqual(["todo_read", "todo_write", "whoami"]);
      const all = await rpc(server.url, await mint(SCOPES), era, "tools/list");
      expect(toolNames(all.message)).toEqual(names);
      expect((await rpc(server.url, readOnly, era, "tools/call", { name: "todo_write", arguments: {} })).status).toBe(403);
      expect((await rpc(server.url, readOnly, era, "tools/call", { name: "todo_read", arguments: {} })).status).toBe(200);
    });
  }
});
