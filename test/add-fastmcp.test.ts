import { execFile } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalIssuer } from "../src/issuer/index.js";
import { freePort, type ProjectServer, startProjectServer } from "../src/selfcheck.js";
import { addFixtureSuite } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";
import type { ProbeRow } from "./helpers/project.js";

const run = promisify(execFile);

// fastmcp with httpStream (sessions): the only line add changes is the start call.
addFixtureSuite({
  fixture: "fastmcp",
  scopes: "add_recipe=recipes:write,find_recipes=recipes:read",
  modifies: ["package.json", "src/index.ts"],
  removes: ["server.start({"],
  typescript: true,
  more: (root) => {
    securedServerSuite(root);
    sessionPoolSuite(root);
  },
});

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "test", version: "1.0.0" },
};

type Era = "2025-11-25" | "2026-07-28";

/** One request of `era`, as a client of that era sends it (2025: stateless, no handshake); the JSON-RPC answer. */
async function mcpRequest(url: string, token: string, era: Era, method: string, params: Record<string, unknown>, signal?: AbortSignal) {
  const modern = era === "2026-07-28";
  const name = params.name ?? params.uri;
  const headers: Record<string, string> = {
    Authorization: `Bearer ${token}`,
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    "MCP-Protocol-Version": era,
    ...(modern && { "Mcp-Method": method }),
    ...(modern && typeof name === "string" && { "Mcp-Name": name }),
  };
  const body = { jsonrpc: "2.0", id: 1, method, params: { ...params, ...(modern && { _meta: MODERN_META }) } };
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), ...(signal && { signal }) });
  const text = await response.text();
  const data = text.split("\n").find((line) => line.startsWith("data: {"));
  return {
    status: response.status,
    message: JSON.parse(data ? data.slice(6) : text) as { result?: Record<string, unknown>; error?: unknown },
  };
}

/** A `tools/call` of `era`; its status and first text content. */
async function callTool(url: string, token: string, era: Era, name: string) {
  const answer = await mcpRequest(url, token, era, "tools/call", { name, arguments: {} });
  return {
    status: answer.status,
    text: (answer.message.result?.content as { text: string }[] | undefined)?.[0]?.text ?? JSON.stringify(answer.message),
  };
}

/** The secured project as its owner runs it: its own start command, against a local issuer. */
function securedServerSuite(root: () => string): void {
  describe("the secured project, started with npm start", () => {
    let issuer: LocalIssuer;
    let server: ProjectServer;
    beforeAll(async () => {
      const { startIssuer } = await import("../src/issuer/index.js");
      issuer = await startIssuer({ port: 0, quiet: true });
      server = await startProjectServer(root(), issuer, { start: { command: { file: "npm", args: ["start"] } } });
      await server.ready();
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      await issuer?.close();
    });

    it("check --issuer: every probe passes, and clients of both eras are served", async () => {
      const check = await runCli(["check", server.url, "--issuer", issuer.url, "--json"]);
      const report = JSON.parse(check.stdout) as { results: ProbeRow[] };
      expect(report.results, `${check.stdout}\n${check.stderr}`).toBeDefined();
      const notPassed = report.results.filter((r) => r.status !== "pass" && r.status !== "skip").map((r) => `${r.id}: ${r.reason}`);
      expect(notPassed, server.logTail()).toEqual([]);
      const status = (id: string) => report.results.find((r) => r.id === id)?.status;
      expect([status("era.2025"), status("era.2026"), status("mcp.fresh-connection")]).toEqual(["pass", "pass", "pass"]);
      expect(check.exitCode).toBe(0);
    }, 180_000);

    for (const era of ["2025-11-25", "2026-07-28"] as const) {
      it(`${era}: a tool sees the verified caller as its fastmcp session`, async () => {
        const token = await issuer.mint({ audience: [server.url], sub: "user-7", clientId: "client-7", scopes: ["recipes:read"] });
        const answer = await callTool(server.url, token, era, "whoami");
        expect(answer.status).toBe(200);
        const session = JSON.parse(answer.text) as Record<string, unknown>;
        expect(session).toMatchObject({ clientId: "client-7", scopes: ["recipes:read"], extra: { sub: "user-7" } });
      });
    }

    for (const era of ["2025-11-25", "2026-07-28"] as const) {
      it(`${era}: the project's prompt and resource are served too, with any valid token`, async () => {
        const token = await issuer.mint({ audience: [server.url], scopes: [] });
        const prompt = await mcpRequest(server.url, token, era, "prompts/get", { name: "plan_meal", arguments: { ingredient: "eggs" } });
        expect(JSON.stringify(prompt.message.result), JSON.stringify(prompt.message)).toContain("Plan a meal with eggs");
        const resource = await mcpRequest(server.url, token, era, "resources/read", { uri: "recipes://all" });
        expect(JSON.stringify(resource.message.result), JSON.stringify(resource.message)).toContain("Pancakes");
      });
    }

    it("fastmcp's other routes answer exactly as the project answered them before add, without a token", async () => {
      const original = await startOriginal(root());
      try {
        for (const [method, route] of [
          ["GET", "/health"],
          ["HEAD", "/health"],
          ["GET", "/ping"],
          ["GET", "/recipes/count"],
          ["GET", "/nothing-here"],
          ["OPTIONS", "/recipes/count"],
        ] as const) {
          const headers = { Origin: "https://app.example" };
          const [before, after] = await Promise.all(
            [original.url, new URL(server.url).origin].map(async (base) => {
              const response = await fetch(`${base}${route}`, { method, headers });
              return {
                status: response.status,
                type: response.headers.get("content-type"),
                cors: response.headers.get("access-control-allow-origin"),
                body: await response.text(),
              };
            }),
          );
          expect(after, `${method} ${route}`).toEqual(before);
        }
      } finally {
        await original.stop();
      }
      // /ready counts the sessions, which the requests above have opened (none in the fixture before).
      const ready = await fetch(`${new URL(server.url).origin}/ready`);
      expect(ready.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect([ready.status, await ready.json()]).toMatchObject([200, { status: "ready" }]);
    }, 120_000);
  });
}

/**
 * The fixture's src/index.ts as it was before add, run from a folder of its
 * own with the project's node_modules (the project itself must not change:
 * the suite's last test runs add again on it).
 */
async function startOriginal(root: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir("cma-fastmcp-original-");
  await mkdir(path.join(dir, "src"));
  const { stdout } = await run("git", ["show", "HEAD:src/index.ts"], { cwd: root });
  await writeFile(path.join(dir, "src", "index.ts"), stdout);
  await writeFile(path.join(dir, "package.json"), '{ "type": "module" }\n');
  await symlink(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  const port = await freePort();
  const { spawnGroup, stopGroup } = await import("../src/core/subprocess.js");
  const { child } = spawnGroup(process.execPath, ["--import", "tsx", "src/index.ts"], {
    cwd: dir,
    env: { PORT: String(port) },
    stdin: "ignore",
    reject: false,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (
    (await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error("the original fixture did not start");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop: async () => {
      await stopGroup(child, 2000);
      await cleanup();
    },
  };
}

/** The variables the project's provider reads, pointing at `issuer` (the self-check's). */
function issuerEnv(issuer: LocalIssuer): Record<string, string> {
  return { SCALEKIT_ENVIRONMENT_URL: issuer.url, SCALEKIT_RESOURCE_ID: issuer.resourceId };
}

/* The glue's session pool, driven with a real FastMCP server of the installed project's fastmcp. */

interface Caller {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  extra?: Record<string, unknown>;
}
interface Pool {
  ask(caller: Caller, method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>>;
  readonly size: number;
  close(): Promise<void>;
}
type Link = unknown;
interface FastmcpServer {
  addTool(tool: unknown): void;
  stop(): Promise<void>;
  connect(link: Link, caller: Caller): Promise<{ close(): Promise<void> }>;
  readonly sessions: unknown[];
}

function sessionPoolSuite(root: () => string): void {
  describe("SessionPool (src/auth/fastmcp.ts) with fastmcp's own sessions", () => {
    let SessionPool: new (connect: (link: Link, caller: Caller) => Promise<{ close(): Promise<void> }>, max?: number) => Pool;
    let FastMCP: new (options: Record<string, unknown>) => FastmcpServer;
    const warnings: string[] = [];

    beforeAll(async () => {
      ({ SessionPool } = await import(pathToFileURL(path.join(root(), "src", "auth", "fastmcp.ts")).href));
      const fastmcp = createRequire(path.join(root(), "package.json")).resolve("fastmcp");
      ({ FastMCP } = await import(pathToFileURL(fastmcp).href));
    });

    const never = new AbortController().signal;
    const caller = (name: string, scopes: string[] = [], expiresAt = Date.now() / 1000 + 3600): Caller => ({
      token: `token-${name}`,
      clientId: `client-${name}`,
      scopes,
      expiresAt,
      extra: { sub: `user-${name}` },
    });
    const text = (result: Record<string, unknown>) => (result.content as { text: string }[])[0]!.text;

    /** A FastMCP server with a tool that answers with its session, one only a caller with scope "x" may see, and `more`. */
    function testServer(more: unknown[] = []): FastmcpServer {
      const logger = {
        debug() {},
        info() {},
        log() {},
        error: (...a: unknown[]) => warnings.push(a.join(" ")),
        warn: (...a: unknown[]) => warnings.push(a.join(" ")),
      };
      const server = new FastMCP({
        name: "pool-test",
        version: "1.0.0",
        logger,
        ping: { enabled: true, intervalMs: 20, logLevel: "warning" },
      });
      server.addTool({
        name: "whoami",
        description: "the session",
        execute: async (_: unknown, c: { session: unknown }) => JSON.stringify(c.session),
      });
      server.addTool({
        name: "secret",
        description: "only with scope x",
        canAccess: (auth: Caller) => auth.scopes.includes("x"),
        execute: async () => "secret",
      });
      for (const tool of more) server.addTool(tool);
      return server;
    }

    it("callers asking at the same time each get their own session: their identity, and the tools canAccess allows them", async () => {
      warnings.length = 0;
      const server = testServer();
      const pool = new SessionPool((link, c) => server.connect(link, c));
      try {
        const callers = [caller("a", ["x"]), caller("b"), caller("c", ["x", "y"])];
        const asks = Array.from({ length: 30 }, async (_, i) => {
          const who = callers[i % callers.length]!;
          const [listed, called] = await Promise.all([
            pool.ask(who, "tools/list", {}, never),
            pool.ask(who, "tools/call", { name: "whoami", arguments: {} }, never),
          ]);
          return { who, listed, called };
        });
        for (const { who, listed, called } of await Promise.all(asks)) {
          const names = (listed.tools as { name: string }[]).map((t) => t.name).sort();
          expect(names).toEqual(who.scopes.includes("x") ? ["secret", "whoami"] : ["whoami"]);
          expect(JSON.parse(text(called))).toMatchObject({ clientId: who.clientId, scopes: who.scopes, extra: who.extra });
        }
        expect(pool.size).toBe(3);
        expect(server.sessions.length).toBe(3);
        // Pings a while: each session answers them and has its client's capabilities (no 1 s wait, no warning).
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(warnings).toEqual([]);
      } finally {
        await pool.close();
      }
      // Closed sessions leave fastmcp's list.
      expect(server.sessions.length).toBe(0);
    });

    it("keeps one session per token, lets the least recently used go, and builds it anew when asked again", async () => {
      const server = testServer();
      let built = 0;
      const pool = new SessionPool((link, c) => {
        built++;
        return server.connect(link, c);
      }, 2);
      try {
        const [a, b, c] = [caller("a"), caller("b"), caller("c")];
        await pool.ask(a, "tools/list", {}, never);
        await pool.ask(a, "tools/list", {}, never);
        expect([pool.size, built]).toEqual([1, 1]);
        await pool.ask(b, "tools/list", {}, never);
        await pool.ask(a, "tools/list", {}, never);
        await pool.ask(c, "tools/list", {}, never);
        expect([pool.size, built]).toEqual([2, 3]);
        await expect.poll(() => server.sessions.length).toBe(2);
        // b was the least recently used: asking as b again builds its session anew, and it answers.
        const again = await pool.ask(b, "tools/call", { name: "whoami", arguments: {} }, never);
        expect(JSON.parse(text(again))).toMatchObject({ extra: { sub: "user-b" } });
        expect(built).toBe(4);
      } finally {
        await pool.close();
      }
    });

    it("a session let go while its requests are in flight still answers them", async () => {
      const server = testServer();
      const pool = new SessionPool((link, c) => server.connect(link, c), 1);
      try {
        const answers = await Promise.all(
          ["a", "b", "a", "c", "b"].map((name) => pool.ask(caller(name), "tools/call", { name: "whoami", arguments: {} }, never)),
        );
        expect(answers.map((a) => (JSON.parse(text(a)) as { extra: { sub: string } }).extra.sub)).toEqual([
          "user-a",
          "user-b",
          "user-a",
          "user-c",
          "user-b",
        ]);
        expect(pool.size).toBe(1);
        await expect.poll(() => server.sessions.length).toBe(1);
      } finally {
        await pool.close();
      }
    });

    it("lets go of the sessions of expired tokens", async () => {
      const server = testServer();
      const pool = new SessionPool((link, c) => server.connect(link, c));
      try {
        await pool.ask(caller("old", [], Date.now() / 1000 + 0.2), "tools/list", {}, never);
        await pool.ask(caller("new"), "tools/list", {}, never);
        expect(pool.size).toBe(2);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await pool.ask(caller("newer"), "tools/list", {}, never);
        expect(pool.size).toBe(2);
      } finally {
        await pool.close();
      }
    });

    it("started without options, where FASTMCP_TRANSPORT and FASTMCP_PORT say: behind the auth layer; server.stop() answers what is in flight, then closes", async () => {
      const { mcpAuth } = (await import(pathToFileURL(path.join(root(), "src", "auth", "fastmcp.ts")).href)) as {
        mcpAuth: (server: FastmcpServer) => { start(): Promise<void> };
      };
      const { startIssuer } = await import("../src/issuer/index.js");
      const issuer = await startIssuer({ port: 0, quiet: true });
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/mcp`;
      const env = {
        FASTMCP_TRANSPORT: "httpStream",
        FASTMCP_PORT: String(port),
        FASTMCP_HOST: "127.0.0.1",
        ...issuerEnv(issuer),
        MCP_SERVER_URL: url,
      };
      const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
      Object.assign(process.env, env);
      const server = testServer();
      try {
        await mcpAuth(server).start();
        const open = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
        expect(open.status).toBe(401);
        const token = await issuer.mint({ audience: [url], sub: "user-env" });
        const answer = await callTool(url, token, "2026-07-28", "whoami");
        expect(JSON.parse(answer.text)).toMatchObject({ extra: { sub: "user-env" } });
        expect(server.sessions.length).toBe(1);
        // A request in flight when stop() is called is answered first.
        let started!: () => void;
        const running = new Promise<void>((resolve) => {
          started = resolve;
        });
        server.addTool({
          name: "wait",
          description: "answers after 300 ms",
          execute: async () => {
            started();
            await new Promise((resolve) => setTimeout(resolve, 300));
            return "done";
          },
        });
        const inFlight = callTool(url, token, "2025-11-25", "wait");
        await running;
        const [, answered] = await Promise.all([server.stop(), inFlight]);
        expect(answered).toEqual({ status: 200, text: "done" });
        expect(server.sessions.length).toBe(0);
        await expect(fetch(url, { method: "POST" })).rejects.toThrow();
      } finally {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
        await issuer.close();
      }
    });

    for (const era of ["2025-11-25", "2026-07-28"] as const) {
      it(`${era}: a client that hangs up on a tools/call over HTTP cancels the tool (its abort signal)`, async () => {
        const { mcpAuth } = (await import(pathToFileURL(path.join(root(), "src", "auth", "fastmcp.ts")).href)) as {
          mcpAuth: (server: FastmcpServer) => { start(options: unknown): Promise<void> };
        };
        const { startIssuer } = await import("../src/issuer/index.js");
        const issuer = await startIssuer({ port: 0, quiet: true });
        const port = await freePort();
        const url = `http://127.0.0.1:${port}/mcp`;
        const env = { ...issuerEnv(issuer), MCP_SERVER_URL: url };
        const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
        Object.assign(process.env, env);
        let started!: () => void;
        const running = new Promise<void>((resolve) => {
          started = resolve;
        });
        let toolSawAbort = false;
        const slow = {
          name: "slow",
          description: "waits until it is cancelled",
          execute: (_args: unknown, { signal }: { signal: AbortSignal }) =>
            new Promise((resolve) => {
              started();
              signal.addEventListener("abort", () => {
                toolSawAbort = true;
                resolve("cancelled");
              });
            }),
        };
        const server = testServer([slow]);
        try {
          await mcpAuth(server).start({ transportType: "httpStream", httpStream: { port, host: "127.0.0.1" } });
          const token = await issuer.mint({ audience: [url] });
          const hangUp = new AbortController();
          const asked = mcpRequest(url, token, era, "tools/call", { name: "slow", arguments: {} }, hangUp.signal);
          await running;
          hangUp.abort();
          await expect(asked).rejects.toThrow();
          await expect.poll(() => toolSawAbort).toBe(true);
        } finally {
          await server.stop();
          for (const [name, value] of Object.entries(saved)) {
            if (value === undefined) delete process.env[name];
            else process.env[name] = value;
          }
          await issuer.close();
        }
      });
    }

    it("a client that goes away while its tool runs cancels the tool (its abort signal), and the session serves the next request", async () => {
      let started!: () => void;
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      let toolSawAbort = false;
      const slow = {
        name: "slow",
        description: "waits until it is cancelled",
        execute: (_args: unknown, { signal }: { signal: AbortSignal }) =>
          new Promise((resolve) => {
            started();
            signal.addEventListener("abort", () => {
              toolSawAbort = true;
              resolve("cancelled");
            });
          }),
      };
      const server = testServer([slow]);
      const pool = new SessionPool((link, c) => server.connect(link, c));
      try {
        const client = new AbortController();
        const asked = pool.ask(caller("a"), "tools/call", { name: "slow", arguments: {} }, client.signal);
        await running;
        client.abort();
        await expect(asked).rejects.toThrow(/went away/);
        await expect.poll(() => toolSawAbort).toBe(true);
        const gone = new AbortController();
        gone.abort();
        await expect(pool.ask(caller("a"), "tools/list", {}, gone.signal)).rejects.toThrow();
        const next = await pool.ask(caller("a"), "tools/call", { name: "whoami", arguments: {} }, never);
        expect(JSON.parse(text(next))).toMatchObject({ extra: { sub: "user-a" } });
        expect(pool.size).toBe(1);
      } finally {
        await pool.close();
      }
    });
  });
}
