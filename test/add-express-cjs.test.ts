import { request } from "node:http";
import { expect, it } from "vitest";
import { startIssuer } from "../src/issuer/index.js";
import { startProjectServer } from "../src/selfcheck.js";
import { addFixtureSuite } from "./add-suite.js";

// Express + SDK v1 in CommonJS JavaScript, with its own node:test tests.
addFixtureSuite({
  fixture: "express-cjs",
  scopes: "get_forecast=weather:read,get_alerts=weather:alerts",
  modifies: ["package.json", "server.js"],
  ownTests: true,
  more(root) {
    it("spellings Express routes to the MCP endpoint (/MCP, /mcp/, //mcp, %6Dcp) get the challenge too, never the tools; Origin and Host are checked", async () => {
      const issuer = await startIssuer({ port: 0, quiet: true });
      const server = await startProjectServer(root(), issuer, { start: { command: { file: "npm", args: ["start"] }, mcpPath: "/mcp" } });
      try {
        await server.ready();
        const base = server.url.replace(/\/mcp$/, "");
        const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
        for (const spelling of ["/mcp", "/MCP", "/mcp/", "//mcp", "/%6Dcp"]) {
          const response = await fetch(`${base}${spelling}`, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
            body,
          });
          expect([spelling, response.status]).not.toEqual([spelling, 200]);
          if (response.status !== 404) expect([spelling, response.status]).toEqual([spelling, 401]);
        }
        const token = await issuer.mint({ scopes: [] });
        const foreign = await fetch(`${base}/mcp`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: `Bearer ${token}`,
            origin: "https://evil.example",
          },
          body,
        });
        expect(foreign.status).toBe(403);
        // An allowed browser origin (loopback, the server being local) gets its origin back, as the generated servers answer.
        const preflight = await fetch(`${base}/mcp`, {
          method: "OPTIONS",
          headers: {
            origin: "http://localhost:6274",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
          },
        });
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:6274");
        expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
        expect(preflight.headers.get("vary")).toMatch(/Origin/);
        // DNS rebinding: a page on another name that resolves to 127.0.0.1 sends that name as Host.
        const { port } = new URL(base);
        const rebound = await new Promise<number>((resolve, reject) => {
          const req = request(
            {
              host: "127.0.0.1",
              port,
              path: "/mcp",
              method: "POST",
              headers: { host: `rebind.example:${port}`, authorization: `Bearer ${token}`, "content-type": "application/json" },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on("error", reject);
          req.end(body);
        });
        expect(rebound).toBe(403);
      } finally {
        await server.stop();
        await issuer.close();
      }
    }, 120_000);
  },
});
