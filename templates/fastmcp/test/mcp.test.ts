import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { FastMCPSession, type Tool } from "fastmcp";
import { describe, expect, it } from "vitest";
import type { AuthInfo } from "../src/auth/authorize.js";
import { allScopes } from "../src/auth/scopes.js";
import { type Caller, createMcpRunner, createSession, SessionPool } from "../src/mcp.js";
import { scopeHierarchy, toolScopes } from "../src/tools.js";
import { rpcResult } from "./rpc.js";

const caller = (scopes: string[]): AuthInfo => ({ token: "t", clientId: "client-1", scopes, extra: { sub: "user-1" } });

async function withSession<T>(authInfo: AuthInfo, run: (client: Client) => Promise<T>): Promise<T> {
  const session = createSession(authInfo);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([session.connect(serverSide), client.connect(clientSide)]);
  try {
    return await run(client);
  } finally {
    await client.close();
    await session.close();
  }
}

describe("createSession (fastmcp)", () => {
  it("lists every tool to a caller with every scope", async () => {
    const names = await withSession(caller(allScopes(toolScopes, scopeHierarchy)), async (c) =>
      (await c.listTools()).tools.map((t) => t.name),
    );
    expect(names.sort()).toEqual(Object.keys(toolScopes).sort());
  });

  it("hides the tools a caller's scopes do not allow (canAccess)", async () => {
    const names = await withSession(caller([]), async (c) => (await c.listTools()).tools.map((t) => t.name));
    const open = Object.entries(toolScopes as Record<string, readonly string[]>).filter(([, s]) => s.length === 0);
    expect(names.sort()).toEqual(open.map(([name]) => name).sort());
  });

  it("gives a tool the verified caller", async () => {
    const result = await withSession(caller(["x"]), (c) => c.callTool({ name: "whoami", arguments: {} }));
    expect(result.structuredContent).toEqual({ subject: "user-1", clientId: "client-1", scopes: ["x"] });
  });
});

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "test", version: "1.0.0" },
};

type Era = "2026-07-28" | "2025-11-25";

/** A request of `era` as src/endpoint.ts hands it to the runner: the Request and its parsed body. */
function mcpRequest(era: Era, id: number, method: string, params: Record<string, unknown> = {}): [Request, unknown] {
  const modern = era === "2026-07-28";
  const body = { jsonrpc: "2.0", id, method, params: modern ? { ...params, _meta: MODERN_META } : params };
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    "MCP-Protocol-Version": era,
  };
  if (modern) headers["Mcp-Method"] = method;
  if (modern && typeof params.name === "string") headers["Mcp-Name"] = params.name;
  const request = new Request("http://127.0.0.1/mcp", { method: "POST", headers, body: JSON.stringify(body) });
  return [request, body];
}

/** The result of an answer that must not be an error. */
async function resultOf(response: Response): Promise<Record<string, unknown>> {
  const message = await rpcResult(response);
  expect(message.error).toBeUndefined();
  return message.result!;
}

const token = (name: string, scopes: string[], expiresAt = Date.now() / 1000 + 3600): AuthInfo => ({
  token: `token-${name}`,
  clientId: `client-${name}`,
  scopes,
  expiresAt,
  extra: { sub: `user-${name}` },
});

describe("createMcpRunner and its SessionPool", () => {
  const everything = allScopes(toolScopes, scopeHierarchy);
  const open = Object.entries(toolScopes as Record<string, readonly string[]>)
    .filter(([, s]) => s.length === 0)
    .map(([name]) => name)
    .sort();

  for (const era of ["2026-07-28", "2025-11-25"] as const) {
    it(`${era}: callers asking at the same time each get their own tools and identity`, async () => {
      const runner = createMcpRunner();
      try {
        const callers = [token("a", everything), token("b", []), token("c", ["x"])];
        const asks = Array.from({ length: 30 }, async (_, i) => {
          const caller = callers[i % callers.length]!;
          const [listRequest, listBody] = mcpRequest(era, 2 * i, "tools/list");
          const [callRequest, callBody] = mcpRequest(era, 2 * i + 1, "tools/call", { name: "whoami", arguments: {} });
          const [listed, called] = await Promise.all([
            runner.run(listRequest, listBody, caller).then(resultOf),
            runner.run(callRequest, callBody, caller).then(resultOf),
          ]);
          return { caller, listed, called };
        });
        for (const { caller, listed, called } of await Promise.all(asks)) {
          const names = (listed.tools as { name: string }[]).map((t) => t.name).sort();
          expect(names).toEqual(caller.scopes === everything ? Object.keys(toolScopes).sort() : open);
          expect(called.structuredContent).toEqual({ subject: caller.extra!.sub, clientId: caller.clientId, scopes: caller.scopes });
        }
      } finally {
        await runner.close();
      }
    });
  }

  it("keeps one session per token and lets the least recently used go", async () => {
    const pool = new SessionPool(2);
    const never = new AbortController().signal;
    try {
      const [a, b, c] = [token("a", []), token("b", []), token("c", [])];
      await pool.ask(a, "tools/list", {}, never);
      await pool.ask(a, "tools/list", {}, never);
      expect(pool.size).toBe(1);
      await pool.ask(b, "tools/list", {}, never);
      await pool.ask(a, "tools/list", {}, never);
      await pool.ask(c, "tools/list", {}, never);
      expect(pool.size).toBe(2);
      // b was the least recently used: asking as b again builds it anew, and still answers.
      const again = (await pool.ask(b, "tools/call", { name: "whoami", arguments: {} }, never)) as Record<string, unknown>;
      expect(again.structuredContent).toMatchObject({ subject: "user-b" });
    } finally {
      await pool.close();
    }
  });

  it("a session let go while its requests are in flight still answers them", async () => {
    const pool = new SessionPool(1);
    const never = new AbortController().signal;
    try {
      const answers = await Promise.all(
        ["a", "b", "a", "c", "b"].map((name) => pool.ask(token(name, []), "tools/call", { name: "whoami", arguments: {} }, never)),
      );
      expect(answers.map((a) => (a.structuredContent as { subject: string }).subject)).toEqual([
        "user-a",
        "user-b",
        "user-a",
        "user-c",
        "user-b",
      ]);
      expect(pool.size).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("lets go of the sessions of expired tokens", async () => {
    const pool = new SessionPool();
    const never = new AbortController().signal;
    try {
      await pool.ask(token("old", [], Date.now() / 1000 + 0.2), "tools/list", {}, never);
      await pool.ask(token("new", []), "tools/list", {}, never);
      expect(pool.size).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await pool.ask(token("newer", []), "tools/list", {}, never);
      expect(pool.size).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it("a request whose client went away gets no answer, and the session serves the next one", async () => {
    const pool = new SessionPool();
    try {
      const gone = new AbortController();
      gone.abort();
      await expect(pool.ask(token("a", []), "tools/list", {}, gone.signal)).rejects.toThrow();
      const next = (await pool.ask(
        token("a", []),
        "tools/call",
        { name: "whoami", arguments: {} },
        new AbortController().signal,
      )) as Record<string, unknown>;
      expect(next.structuredContent).toMatchObject({ subject: "user-a" });
      expect(pool.size).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("a client that goes away while its tool runs cancels the tool (its abort signal)", async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let toolSawAbort = false;
    const slow: Tool<Caller> = {
      name: "slow",
      description: "waits until it is cancelled",
      execute: (_args, { signal }) =>
        new Promise((resolve) => {
          started();
          signal.addEventListener("abort", () => {
            toolSawAbort = true;
            resolve("cancelled");
          });
        }),
    };
    const pool = new SessionPool(
      1,
      (authInfo) =>
        new FastMCPSession<Caller>({
          auth: { scopes: authInfo.scopes, authInfo },
          name: "test",
          version: "1.0.0",
          logger: console,
          tools: [slow],
          prompts: [],
          resources: [],
          resourcesTemplates: [],
          stateless: true,
          transportType: "httpStream",
        }),
    );
    try {
      const client = new AbortController();
      const asked = pool.ask(token("a", []), "tools/call", { name: "slow", arguments: {} }, client.signal);
      await running;
      client.abort();
      await expect(asked).rejects.toThrow(/went away/);
      await expect.poll(() => toolSawAbort).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
