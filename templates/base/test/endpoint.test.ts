import { once } from "node:events";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/auth/config.js";
import { createVerifier } from "../src/auth/provider.js";
import { createEndpoint } from "../src/endpoint.js";
import { toNodeListener } from "../src/http.js";
import type { McpRunner } from "../src/mcp.js";
import { TestIssuer } from "./issuer.js";
import { providerEnv, tokenAudience } from "./provider-env.js";

const PUBLIC_URL = "https://mcp.example.com/mcp";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start();
});
afterAll(() => issuer.close());

/** The endpoint with `runner` behind it, served the way src/http.ts serves every framework's routes. */
async function serve(runner: McpRunner): Promise<{ url: string; server: Server }> {
  const config = loadConfig({ ...providerEnv(issuer.url), MCP_SERVER_URL: PUBLIC_URL });
  const endpoint = createEndpoint(config, createVerifier(config, { keySet: { log: () => {} } }), runner);
  const server = createServer(toNodeListener((request) => endpoint.handle(request)));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server };
}

const BODY = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });

/** How a client frames the body: with a Content-Length (read whole) or chunked (streamed). */
type Framing = "content-length" | "chunked";

function headers(token: string, framing: Framing): Record<string, string> {
  const framed: Record<string, string> =
    framing === "chunked" ? { "Transfer-Encoding": "chunked" } : { "Content-Length": String(Buffer.byteLength(BODY)) };
  return { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Host: "mcp.example.com", ...framed };
}

function post(url: string, token: string, framing: Framing): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers: headers(token, framing) }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(BODY);
  });
}

describe.each(["content-length", "chunked"] as const)("what the endpoint hands the MCP SDK (body framed by %s)", (framing) => {
  it("lets go of what the SDK attaches to the request's signal as soon as the request is done", async () => {
    // The SDK's stateless 2025 fallback listens for `abort` on the request's signal with a
    // closure that holds the exchange's transport and McpServer. @hono/node-server's signal is
    // the parent of the Request it builds for the body, and undici holds a parent signal until
    // that Request has been finalized: each exchange then outlived a garbage collection, and a
    // server under load grew by hundreds of MB.
    const kept: WeakRef<object>[] = [];
    const runner: McpRunner = {
      async run(request) {
        const exchange = { transport: new Array(1000).fill("x") };
        request.signal.addEventListener("abort", () => void exchange, { once: true });
        kept.push(new WeakRef(exchange));
        return Response.json({ jsonrpc: "2.0", id: 1, result: { tools: [] } });
      },
      close: async () => {},
    };
    const { url, server } = await serve(runner);
    try {
      const token = await issuer.mint({ audience: tokenAudience(PUBLIC_URL), scopes: [] });
      for (let i = 0; i < 20; i++) expect(await post(url, token, framing)).toBe(200);
    } finally {
      server.closeAllConnections();
      server.close();
    }
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(kept).toHaveLength(20);
    expect(kept.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });

  it("still aborts what the SDK runs when the client goes away, after a garbage collection", async () => {
    let aborted: Promise<unknown> | undefined;
    const runner: McpRunner = {
      async run(request) {
        aborted = once(request.signal, "abort");
        return new Response(new ReadableStream({ start: () => {} }), { headers: { "Content-Type": "text/event-stream" } });
      },
      close: async () => {},
    };
    const { url, server } = await serve(runner);
    try {
      const token = await issuer.mint({ audience: tokenAudience(PUBLIC_URL), scopes: [] });
      const req = httpRequest(url, { method: "POST", headers: headers(token, framing) });
      req.on("error", () => {});
      req.on("response", () => {
        // The stream has started. Collect garbage first: what forwards the client's hang-up must
        // live as long as the answer is being sent, not only until the next collection.
        for (let i = 0; i < 3; i++) gc();
        req.destroy(); // the client hangs up
      });
      req.end(BODY);
      while (!aborted) await new Promise((resolve) => setTimeout(resolve, 10));
      await aborted;
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
