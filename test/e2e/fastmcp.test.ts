import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalIssuer, startIssuer } from "../../src/issuer/index.js";
import { frameworkSuite, startGeneratedServer, startupSuite } from "../helpers/project.js";

/** The JSON-RPC message of a JSON answer or of a one-message SSE answer. */
async function jsonRpcOf(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) return JSON.parse(text);
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5));
  expect(data).toHaveLength(1);
  return JSON.parse(data[0]!);
}

frameworkSuite("fastmcp", (root) => {
  startupSuite(root);
  // What only the fastmcp glue does: the project's own FastMCP server (tools
  // added with server.addTool, started with server.start) behind
  // mcpAuth(server).start(), its sessions made by server.connect() with the
  // verified caller, and fastmcp's own routes answered in the same process.
  describe("the FastMCP server behind mcpAuth(server).start()", () => {
    let issuer: LocalIssuer;
    let server: Awaited<ReturnType<typeof startGeneratedServer>>;

    beforeAll(async () => {
      issuer = await startIssuer({ port: 0, quiet: true, scopes: ["todo:read", "todo:write"] });
      server = await startGeneratedServer(root(), issuer);
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
      await issuer?.close();
    });

    const mint = (scopes: string[], sub = "user-fastmcp") => issuer.mint({ audience: [server.url], scopes, sub });

    async function connect(token: string) {
      const client = new Client({ name: "fastmcp-e2e", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
      );
      return client;
    }

    it("tools/list gives the tools added with server.addTool, their zod parameters as JSON Schema", async () => {
      const client = await connect(await mint(["todo:read"]));
      try {
        const tools = (await client.listTools()).tools;
        expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["whoami", "todo_read", "todo_write"]));
        const todoRead = tools.find((t) => t.name === "todo_read");
        expect(todoRead?.inputSchema).toMatchObject({ type: "object", properties: { message: { type: "string" } } });
      } finally {
        await client.close();
      }
    });

    it("a tool's execute gets the verified caller as its session", async () => {
      const client = await connect(await mint(["todo:read"], "alice@example.test"));
      try {
        const result = await client.callTool({ name: "whoami", arguments: {} });
        expect(result.structuredContent).toMatchObject({ subject: "alice@example.test", scopes: ["todo:read"] });
        const echoed = await client.callTool({ name: "todo_read", arguments: { message: "hi" } });
        expect(echoed.content).toEqual([{ type: "text", text: "todo_read ran for alice@example.test: hi" }]);
      } finally {
        await client.close();
      }
    });

    it("fastmcp's own health route (moved to /healthz) is answered by fastmcp, without a token", async () => {
      const health = await fetch(new URL("/healthz", server.url));
      expect(health.status).toBe(200);
    });

    it("answers a tool call without its scope with 403 insufficient_scope, and sends CORS to an allowed origin", async () => {
      const token = await mint(["todo:read"]);
      const origin = "http://localhost:6274"; // the MCP Inspector, allowed on a local server
      const post = (body: unknown, from = origin) =>
        fetch(server.url, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${token}`,
            "Content-Type": "application/json",
            Accept: "application/json, text/event-stream",
            Origin: from,
          },
          body: JSON.stringify(body),
        });
      const denied = await post({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "todo_write", arguments: {} } });
      expect(denied.status).toBe(403);
      expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer .*error="insufficient_scope".*scope="[^"]*todo:write[^"]*"/);
      expect(denied.headers.get("access-control-allow-origin")).toBe(origin);

      const listed = await post({ jsonrpc: "2.0", id: 2, method: "tools/list" });
      expect(listed.status).toBe(200);
      expect(listed.headers.get("access-control-allow-origin")).toBe(origin);
      expect(listed.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/i);
      expect(((await jsonRpcOf(listed)) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(0);
      expect((await post({ jsonrpc: "2.0", id: 3, method: "tools/list" }, "https://evil.example")).status).toBe(403);
      expect(server.log()).not.toMatch(/error/i);
    });
  });
});
