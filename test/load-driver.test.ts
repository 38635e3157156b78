// The load driver of bench/load (and of test/helpers/load.ts) against small
// in-process servers that answer wrongly: each of its assertions can fail.
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript, shared with bench/load/run.mjs
import { buildPlan, KINDS, loadFailures, runLoad, startJwksProxy } from "../lib/load.mjs";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => handler(req, res));
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const tokens = { session: "a.b.c", noScope: "d.e.f", expired: "g.h.i", badSignature: "j.k.l", malformed: "x" };
const load = (url: string, requests: number) =>
  runLoad({ url: `${url}/mcp`, plan: buildPlan(requests), connections: 8, tokens, fresh: ["m.n.o"], tool: "todo_read", pid: process.pid });

describe("the load plan", () => {
  it("is the same order for the same seed, every kind equally often", () => {
    const ids = (plan: { id: string }[]) => plan.map((k) => k.id);
    expect(ids(buildPlan(340, 7))).toEqual(ids(buildPlan(340, 7)));
    expect(ids(buildPlan(340, 7))).not.toEqual(ids(buildPlan(340, 8)));
    const counts: Record<string, number> = {};
    for (const id of ids(buildPlan(340, 7))) counts[id] = (counts[id] ?? 0) + 1;
    expect(Object.values(counts)).toEqual(KINDS.map(() => 340 / KINDS.length));
  });
});

describe("the load assertions", () => {
  it("a server that answers 200 to everything fails every kind that expects another status, and only those", async () => {
    const url = await serve((_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"tools":[],"content":[]}}'),
    );
    const failures: string[] = loadFailures(await load(url, 170), { assertRss: false });
    const failed = KINDS.filter((k: { id: string }) => failures.some((f) => f.startsWith(`${k.id} (`))).map(
      (k: { expect: number }) => k.expect,
    );
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((status: number) => status !== 200)).toBe(true);
    expect(failed).toHaveLength(KINDS.filter((k: { expect: number }) => k.expect !== 200).length);
  });

  it("counts 5xx answers", async () => {
    const url = await serve((_req, res) => res.writeHead(503).end());
    const failures: string[] = loadFailures(await load(url, 34), { assertRss: false });
    expect(failures[0]).toBe("34 answers were 5xx");
  });

  it("an answer with the right status but no challenge, or a 200 without a result, is a mismatch", async () => {
    const url = await serve((req, res) => {
      const hasToken = req.headers.authorization !== undefined;
      res.writeHead(hasToken ? 200 : 401, { "content-type": "application/json" }).end("{}");
    });
    const result = await load(url, 170);
    expect(result.byKind["no token"].mismatches).toEqual({ "challenge missing": 10 });
    expect(result.byKind["tools/list 2025"].mismatches).toEqual({ "no result in the body": 10 });
  });

  it("RSS growth from the 2,000th request on is measured and fails past 20 MB", async () => {
    const kept: Buffer[] = [];
    const url = await serve((_req, res) => {
      kept.push(Buffer.alloc(24 * 1024, 1)); // a leak of 24 kB a request, in this process
      res.writeHead(503).end();
    });
    const result = await load(url, 4000);
    expect(result.rss.map((s: { request: number }) => s.request)).toEqual([2000, 3000, 4000]);
    expect(loadFailures(result).some((f: string) => f.startsWith("RSS grew"))).toBe(true);
    expect(kept.length).toBe(4000);
  }, 60_000);
});

describe("the JWKS fault proxy", () => {
  it("forwards everything while no fault is on, and answers GET /keys as the fault says when one is", async () => {
    const upstream = await serve((req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(req.url === "/keys" ? '{"keys":[{"kid":"k"}]}' : '{"other":true}'),
    );
    const proxy = await startJwksProxy(upstream);
    try {
      const get = (path: string) =>
        fetch(`${proxy.url}${path}`, { signal: AbortSignal.timeout(2000) }).then(async (r) => `${r.status} ${await r.text()}`);
      expect(await get("/keys")).toBe('200 {"keys":[{"kid":"k"}]}');
      expect(await get("/.well-known/x")).toBe('200 {"other":true}');
      proxy.fault = "status500";
      expect(await get("/keys")).toMatch(/^500 /);
      expect(await get("/.well-known/x")).toBe('200 {"other":true}');
      proxy.fault = "empty";
      expect(await get("/keys")).toBe('200 {"keys":[]}');
      proxy.fault = "garbage";
      expect((await get("/keys")).startsWith("200 <html>")).toBe(true);
      proxy.fault = "hang";
      await expect(fetch(`${proxy.url}/keys`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
      proxy.fault = "trickle";
      const trickled = await fetch(`${proxy.url}/keys`);
      expect(trickled.headers.get("content-length")).toBe(String('{"keys":[{"kid":"k"}]}'.length));
      const reader = trickled.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe("{"); // one byte, then the next a second later
      await reader.cancel();
      expect(proxy.keysRequests).toBe(6);
    } finally {
      await proxy.close();
    }
  });
});
