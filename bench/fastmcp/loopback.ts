// The approach bench/fastmcp/run.mjs measures against src/add/glue/fastmcp.ts: add's fastmcp glue
// before the in-process one (commit 6adc160), kept here as it was, only to be measured. It runs inside
// that project, next to its ./mcp-auth.ts, so it is not typechecked here:
// @ts-nocheck
// Written by `create-mcp-auth add`: OAuth 2.1 in front of a fastmcp server.
// fastmcp's own HTTP layer cannot answer 403 insufficient_scope for a tool
// call or authenticate before it reads the body, so `mcpAuth(server).start()`
// starts fastmcp on a loopback port only this process uses, and serves the
// public port itself: the protected resource metadata, the Origin and Host
// check, the CORS preflight, the token, a JSON body of at most 1 MB, the
// scopes of the called tools; then it passes
// the request on to fastmcp unchanged. Other paths pass through as they are.
import { once } from "node:events";
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { bodyAnswer, createMcpAuth, readJsonBody, sendAnswer } from "./mcp-auth.js";

interface StartOptions {
  transportType?: "httpStream" | "stdio";
  httpStream?: { port: number; host?: string; endpoint?: `/${string}`; basePath?: `/${string}` };
}

interface Startable<Options> {
  start(options?: Options): Promise<void>;
}

export function mcpAuth<Options extends StartOptions>(server: Startable<Options>) {
  return {
    async start(options?: Options): Promise<void> {
      if (!options?.httpStream || options.transportType !== "httpStream") return server.start(options);
      const { port, host } = options.httpStream;
      const endpoint = joinPaths(options.httpStream.basePath, options.httpStream.endpoint ?? "/mcp");
      const auth = createMcpAuth(endpoint);
      const inner = await freeLoopbackPort();
      await server.start({ ...options, httpStream: { ...options.httpStream, port: inner, host: "127.0.0.1" } });

      const front = createServer((req, res) => {
        handle(req, res).catch((error: unknown) => {
          console.error(`[mcp-auth] ${error instanceof Error ? error.message : String(error)}`);
          if (res.headersSent) res.destroy();
          else sendAnswer(res, { status: 502, headers: {}, body: { error: "bad_gateway" } });
        });
      });
      async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        if (auth.isMetadataPath(req.url)) return sendAnswer(res, auth.metadataAnswer(req.method));
        if (!auth.isEndpoint(req.url)) return pass(req, res, inner);
        const before = await auth.beforeBody(req.method, req.headers);
        if ("answer" in before) return sendAnswer(res, before.answer);
        if (req.method !== "POST") {
          const authorized = auth.withBody(before.token, undefined, before.cors);
          if ("answer" in authorized) return sendAnswer(res, authorized.answer);
          return pass(req, res, inner, before.cors);
        }
        const body = await readJsonBody(req);
        if ("problem" in body) return sendAnswer(res, bodyAnswer(body.problem, before.cors));
        // A tool handler cannot answer 403: the scopes are checked here.
        const authorized = auth.withBody(before.token, body.value, before.cors);
        if ("answer" in authorized) return sendAnswer(res, authorized.answer);
        return pass(req, res, inner, before.cors, Buffer.from(JSON.stringify(body.value)));
      }
      front.listen(port, host);
      await once(front, "listening");
    },
  };
}

/** Sends the request on to fastmcp and its answer back, streaming (SSE included). */
function pass(
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  extraHeaders: Readonly<Record<string, string>> = {},
  body?: Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (body) {
      delete headers["transfer-encoding"];
      headers["content-length"] = String(body.length);
    }
    const upstream = forward({ host: "127.0.0.1", port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...extraHeaders });
      answer.pipe(res);
      answer.on("end", resolve);
      answer.on("error", reject);
    });
    upstream.on("error", reject);
    res.on("close", () => upstream.destroy());
    if (body) upstream.end(body);
    else req.pipe(upstream);
  });
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function joinPaths(basePath: string | undefined, endpoint: string): string {
  return `${(basePath ?? "").replace(/\/+$/, "")}/${endpoint.replace(/^\/+/, "")}`;
}
