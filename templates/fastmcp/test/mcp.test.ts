import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { describe, expect, it } from "vitest";
import type { AuthInfo } from "../src/auth/authorize.js";
import { allScopes } from "../src/auth/scopes.js";
import { createSession } from "../src/mcp.js";
import { scopeHierarchy, toolScopes } from "../src/tools.js";

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
