import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { PROBE_ORIGIN } from "../src/check/http.js";
import { startIssuer } from "../src/issuer/index.js";
import { startProjectServer } from "../src/selfcheck.js";
import { addFixtureSuite } from "./add-suite.js";

// The project's own CORS (Express's `cors`, @fastify/cors) with an origin list that leaves out the Inspector
// (http://localhost:6274), registered before the MCP route: both answer every OPTIONS preflight themselves. The
// metadata is public, so its preflight must allow any origin (browser clients send MCP-Protocol-Version when they
// fetch it); the MCP route keeps the project's own policy.
function corsMetadata(root: () => string, file: string, lines: { metadata: string; cors: string; auth: string }, allowed: string): void {
  it("writes the metadata registration right after the app, before the project's CORS; the auth step stays after it", async () => {
    const code = await readFile(path.join(root(), file), "utf8");
    const at = (line: string) => {
      const index = code.indexOf(line);
      expect(index, `${line} in ${file}`).toBeGreaterThan(-1);
      return index;
    };
    expect(at(lines.metadata)).toBeLessThan(at(lines.cors));
    expect(at(lines.cors)).toBeLessThan(at(lines.auth));
  });

  it("behind the project's CORS: the metadata preflight from the Inspector's origin is allowed, the MCP route's stays the project's", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true });
    const server = await startProjectServer(root(), issuer, { start: { command: { file: "npm", args: ["start"] }, mcpPath: "/mcp" } });
    try {
      await server.ready();
      const metadataUrl = new URL("/.well-known/oauth-protected-resource/mcp", server.url);
      const preflight = await fetch(metadataUrl, {
        method: "OPTIONS",
        headers: { Origin: PROBE_ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "mcp-protocol-version" },
      });
      await preflight.arrayBuffer();
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers.get("access-control-allow-origin")).toBeTruthy();
      expect((preflight.headers.get("access-control-allow-headers") ?? "").toLowerCase()).toMatch(/mcp-protocol-version|\*/);
      const metadata = await fetch(metadataUrl, { headers: { Origin: PROBE_ORIGIN } });
      expect(metadata.status).toBe(200);
      expect(metadata.headers.get("access-control-allow-origin")).toBeTruthy();
      expect(((await metadata.json()) as { resource?: string }).resource).toMatch(/\/mcp$/);

      const mcpPreflight = (origin: string) =>
        fetch(server.url, {
          method: "OPTIONS",
          headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
        });
      // The project's policy on its MCP route, as before add: its own origin allowed, the Inspector's not.
      const refused = await mcpPreflight(PROBE_ORIGIN);
      await refused.arrayBuffer();
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
      const own = await mcpPreflight(allowed);
      await own.arrayBuffer();
      expect(own.headers.get("access-control-allow-origin")).toBe(allowed);

      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
      const challenge = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body,
      });
      await challenge.arrayBuffer();
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get("www-authenticate")).toMatch(/^Bearer /);
    } finally {
      await server.stop();
      await issuer.close();
    }
  }, 120_000);
}

addFixtureSuite({
  fixture: "express-cors",
  scopes: "list_recipes=recipes:read,add_recipe=recipes:write",
  modifies: ["package.json", "src/index.js"],
  // add appends WWW-Authenticate to the project's exposedHeaders.
  removes: ['    exposedHeaders: ["Mcp-Session-Id"],'],
  more: (root) =>
    corsMetadata(
      root,
      "src/index.js",
      { metadata: 'app.use(mcpMetadata({ endpoint: "/mcp" }));', cors: "  cors({", auth: 'app.use(mcpAuth({ endpoint: "/mcp" }));' },
      "https://recipes.example.com",
    ),
});

addFixtureSuite({
  fixture: "fastify-cors",
  scopes: "list_bookmarks=bookmarks:read,add_bookmark=bookmarks:write",
  modifies: ["package.json", "src/server.js"],
  more: (root) =>
    corsMetadata(
      root,
      "src/server.js",
      {
        metadata: "mcpMetadata(app, { endpoint: '/mcp' })\n",
        cors: "await app.register(cors,",
        auth: "mcpAuth(app, { endpoint: '/mcp' })\n",
      },
      "https://bookmarks.example.com",
    ),
});
