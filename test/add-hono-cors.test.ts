import http from "node:http";
import { expect, it } from "vitest";
import { startIssuer } from "../src/issuer/index.js";
import { startProjectServer } from "../src/selfcheck.js";
import { addFixtureSuite } from "./add-suite.js";

// Hono on @hono/node-server with the project's own hono/cors before every route (no origin allowed by default,
// credentials), and the SDK's Node transport writing to the Node response: obsidian-mcp-server's shape.
addFixtureSuite({
  fixture: "hono-cors",
  scopes: "read_note=notes:read,update_note=notes:write",
  modifies: ["package.json", "src/index.ts"],
  // add appends MCP-Protocol-Version to the project's allowHeaders list.
  removes: ['    allowHeaders: ["Content-Type", "Mcp-Session-Id", "Last-Event-ID", "Authorization"],'],
  typescript: true,
  more: (root) => {
    it("behind the project's hono/cors: the metadata preflight allows any origin, the 401 exposes WWW-Authenticate, an authorized call works, and nothing writes a response twice", async () => {
      const issuer = await startIssuer({ port: 0, quiet: true });
      const server = await startProjectServer(root(), issuer, { start: { command: { file: "npm", args: ["start"] }, mcpPath: "/mcp" } });
      try {
        await server.ready();
        const origin = "https://inspector.example";
        const metadataUrl = new URL("/.well-known/oauth-protected-resource/mcp", server.url);
        const preflight = await fetch(metadataUrl, {
          method: "OPTIONS",
          headers: { Origin: origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "mcp-protocol-version" },
        });
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get("access-control-allow-origin")).toBeTruthy();
        expect((preflight.headers.get("access-control-allow-headers") ?? "").toLowerCase()).toMatch(/mcp-protocol-version|\*/);
        const metadata = await fetch(metadataUrl, { headers: { Origin: origin } });
        expect(metadata.status).toBe(200);
        expect(metadata.headers.get("access-control-allow-origin")).toBeTruthy();
        await metadata.arrayBuffer();

        const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
        const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
        const challenge = await fetch(server.url, { method: "POST", headers, body });
        await challenge.arrayBuffer();
        expect(challenge.status).toBe(401);
        expect(challenge.headers.get("www-authenticate")).toMatch(/^Bearer /);
        expect(challenge.headers.get("access-control-expose-headers") ?? "").toMatch(/WWW-Authenticate/i);

        const token = await issuer.mint({ scopes: ["notes:read"], sub: "user_hono_cors" });
        const init = await fetch(server.url, {
          method: "POST",
          headers: { ...headers, authorization: `Bearer ${token}` },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "initialize",
            params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
          }),
        });
        const text = await init.text();
        expect(init.status, text).toBe(200);
        expect(text).toMatch(/"serverInfo"/);
        const session = init.headers.get("mcp-session-id");
        expect(session).toBeTruthy();

        // An answer the SDK's transport gives itself (400: a protocol version it does not serve) is a Node response
        // @hono/node-server has already ended; the route returns what the transport returned, so Hono would take it
        // as the route's answer and write again, and the failed write destroys the socket: the next request on that
        // kept-alive connection got ECONNRESET (obsidian-mcp-server in CI, after check's era probe).
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const send = (extra: Record<string, string>) =>
            new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
              const request = http.request(
                server.url,
                {
                  method: "POST",
                  agent,
                  headers: { ...headers, authorization: `Bearer ${token}`, "mcp-session-id": session!, ...extra },
                },
                (response) => {
                  response.resume();
                  response.on("end", () => resolve({ status: response.statusCode ?? 0, socket: response.socket }));
                },
              );
              request.on("error", reject);
              request.end(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
            });
          const refused = await send({ "mcp-protocol-version": "2099-01-01" });
          expect(refused.status).toBe(400);
          await new Promise((resolve) => setTimeout(resolve, 200));
          const next = await send({ "mcp-protocol-version": "2025-06-18" });
          expect(next.status).toBe(200);
          expect(next.socket).toBe(refused.socket);
          // The route hands the Node request to the SDK's transport, which takes the caller from `req.auth`: the tool
          // gets the token's subject.
          const call = await fetch(server.url, {
            method: "POST",
            headers: { ...headers, authorization: `Bearer ${token}`, "mcp-session-id": session!, "mcp-protocol-version": "2025-06-18" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "read_note", arguments: {} } }),
          });
          const called = await call.text();
          expect(call.status, called).toBe(200);
          expect(called).toContain(`"caller":"user_hono_cors"`);
        } finally {
          agent.destroy();
        }
        // Let the server finish anything it does after the answer, then read its log.
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(server.log()).not.toMatch(/ERR_HTTP_HEADERS_SENT|Cannot set headers after they are sent|Context is not finalized/);
      } finally {
        await server.stop();
        await issuer.close();
      }
    }, 120_000);
  },
});
