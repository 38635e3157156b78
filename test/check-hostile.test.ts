/**
 * The hostile-server corpus: `check` and `issuer token`, the built CLI spawned
 * as a user runs it, against servers that never answer, answer endlessly,
 * bomb, lie or try to drive the terminal. Every case holds the same bar:
 * the exit code of the contract (3: nothing usable answers; 1: findings),
 * a message that says what to do, no stack, no control character on the
 * terminal, a peak RSS under 200 MB, and an end in bounded time.
 *
 * CMA_HOSTILE_CLI=<path to bin/create-mcp-auth.js> runs the corpus against
 * another build: that is how each case was seen failing on the code before it
 * (commit 6adc160, built apart; CMA_HOSTILE_CONCURRENCY=1). The endless bodies
 * took it to 208-435 MB on a loaded 2-core machine (2 GB on a quiet one); the
 * servers that never answer got exit 1 and a failure per probe; the hostile
 * issuers got a stack trace, raw escapes or 800 MB. Cases marked `heldBefore`
 * held on that code too: kept as regressions, not counted in the 40.
 */
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createNetServer, type Socket } from "node:net";
import path from "node:path";
import zlib from "node:zlib";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cleanEnv, cliBin, repoRoot, tempDir } from "./helpers/cli.js";

const CLI = process.env.CMA_HOSTILE_CLI ?? cliBin;
const PRELOAD = path.join(repoRoot, "test", "fixtures", "max-rss.mjs");
const MAX_RSS_MB = 200;
/** Short, so cases that wait on a deadline end soon; the bars below do not depend on it. */
const TIMEOUT_MS = 1500;
/** Any JWT-shaped string: the hostile servers accept whatever they get. */
const TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

// A character a terminal acts on (C0 but newline and tab, DEL, C1, bidi controls, line separators).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/* ---------- servers ---------- */

interface Hostile {
  url: string;
  close(): Promise<void>;
}

function track(server: Server | ReturnType<typeof createNetServer>): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** An HTTP server: `handle` answers every request. */
async function httpServer(handle: (req: IncomingMessage, res: ServerResponse, base: string) => void): Promise<Hostile> {
  let base = "";
  const server = createHttpServer((req, res) => {
    res.on("error", () => {});
    req.on("error", () => {});
    handle(req, res, base);
  });
  const close = track(server);
  base = `http://127.0.0.1:${await listen(server)}`;
  return { url: `${base}/mcp`, close };
}

/** A TCP server that speaks whatever `handle` writes. */
async function rawServer(handle: (socket: Socket) => void): Promise<Hostile> {
  const server = createNetServer((socket) => {
    socket.on("error", () => {});
    handle(socket);
  });
  const close = track(server);
  return { url: `http://127.0.0.1:${await listen(server)}/mcp`, close };
}

/** Writes `chunk` for as long as the client reads (backpressure kept), until the connection ends. */
function endless(out: NodeJS.WritableStream & { destroyed?: boolean }, chunk: string | Buffer): void {
  const pump = (): void => {
    while (!out.destroyed && out.write(chunk)) {}
  };
  out.on("drain", pump);
  out.on("error", () => {});
  pump();
}

/** Writes one small piece every `ms` until the connection ends. */
function trickle(socket: NodeJS.WritableStream & { destroyed?: boolean }, piece: string, ms: number): void {
  const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(piece)), ms);
  socket.on("close", () => clearInterval(timer));
}

const ZEROS = Buffer.alloc(64 * 1024, 0x20);
type Encoding = "gzip" | "br" | "deflate";

/** A compression bomb: a few KB on the wire, endless once decoded. */
function bomb(res: ServerResponse, encoding: Encoding, type = "application/json"): void {
  res.writeHead(200, { "content-type": type, "content-encoding": encoding });
  const z =
    encoding === "gzip"
      ? zlib.createGzip({ level: 1 })
      : encoding === "br"
        ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } })
        : zlib.createDeflate({ level: 1 });
  z.pipe(res);
  res.on("close", () => z.destroy());
  z.write("[");
  endless(z, ZEROS);
}

const PRM_PATHS = /^\/\.well-known\/oauth-protected-resource/;

/** Well-behaved discovery (a PRM naming `as`, a 401 challenge to requests without a token); `authed` answers the rest. */
function withDiscovery(
  authed: (req: IncomingMessage, res: ServerResponse, base: string) => void,
  o: { authorizationServers?: (base: string) => string[] } = {},
): (req: IncomingMessage, res: ServerResponse, base: string) => void {
  return (req, res, base) => {
    if (PRM_PATHS.test(req.url ?? "")) {
      res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*" });
      res.end(
        JSON.stringify({
          resource: `${base}/mcp`,
          authorization_servers: o.authorizationServers?.(base) ?? [`${base}/as`],
          scopes_supported: ["a:read"],
          bearer_methods_supported: ["header"],
        }),
      );
      return;
    }
    if (req.url === "/mcp" && !req.headers.authorization) {
      req.resume();
      res.writeHead(401, {
        "content-type": "application/json",
        "www-authenticate": `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="a:read"`,
      });
      res.end('{"error":"unauthorized"}');
      return;
    }
    authed(req, res, base);
  };
}

/** The body of a POST, then `then`. */
function afterBody(req: IncomingMessage, then: (body: string) => void): void {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (c: string) => {
    body += c.slice(0, 64 * 1024);
  });
  req.on("end", () => then(body));
}

const sse = { "content-type": "text/event-stream", "cache-control": "no-cache" };

/* ---------- the CLI ---------- */

interface Run {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  seconds: number;
  maxRssMb: number | undefined;
}

async function spawnCli(args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const { dir, cleanup } = await tempDir("cma-rss-");
  const rssFile = path.join(dir, "rss");
  const started = performance.now();
  try {
    const r = await execa(process.execPath, ["--import", PRELOAD, CLI, ...args], {
      reject: false,
      stdin: "ignore",
      extendEnv: false,
      cwd: o.cwd ?? dir,
      timeout: 90_000,
      env: cleanEnv({ CMA_MAX_RSS_FILE: rssFile, ...o.env }),
    });
    let maxRssMb: number | undefined;
    try {
      maxRssMb = Number(readFileSync(rssFile, "utf8")) / 1024;
    } catch {
      maxRssMb = undefined;
    }
    return {
      exitCode: r.exitCode,
      stdout: String(r.stdout),
      stderr: String(r.stderr),
      seconds: (performance.now() - started) / 1000,
      maxRssMb,
    };
  } finally {
    await cleanup();
  }
}

/** At most `n` CLIs at a time: the machine is shared. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
// One at a time by default: the corpus runs beside the whole suite, whose other tests have deadlines too.
const slot = limiter(Number(process.env.CMA_HOSTILE_CONCURRENCY ?? 1));

/* ---------- the corpus ---------- */

interface Case {
  name: string;
  server: () => Promise<Hostile>;
  /** The CLI's arguments, given the hostile server's MCP URL. */
  args: (url: string) => string[];
  /** Extra environment and a project directory for `issuer token`. */
  project?: (url: string) => Record<string, string>;
  exit: number;
  /** What the output (stdout and stderr) must say. */
  says: RegExp;
  /** Whether stdout must be empty (a `$(...)` capture gets nothing on failure). */
  emptyStdout?: boolean;
  /** The code before this corpus already held this case: a regression case, not counted in the 40. */
  heldBefore?: true;
}

const check =
  (extra: string[] = []) =>
  (url: string) => ["check", url, "--timeout", String(TIMEOUT_MS), ...extra];
/** The default deadline (5 s a request), as a user runs it: the time an endless body has to fill memory. */
const checkWithToken = (url: string) => ["check", url, "--token", TOKEN];
const token =
  (extra: string[] = []) =>
  (url: string) => ["issuer", "token", "--issuer-url", new URL(url).origin, "--scopes", "a:read", ...extra];

const STUCK = /answered none of the discovery requests within 1500 ms: .*raise --timeout/;
const NOT_HTTP = /no HTTP answer from http:\/\/127\.0\.0\.1:\d+ \(.+\): is an HTTP server listening at that port/;

/** Servers that never give a usable HTTP answer: one environment error, exit 3, said once. */
const neverAnswers: Case[] = [
  {
    name: "accepts the connection and never writes a byte",
    server: () => rawServer(() => {}),
    args: check(),
    exit: 3,
    says: STUCK,
  },
  {
    name: "sends a status line, never the end of the headers",
    server: () => rawServer((s) => s.write("HTTP/1.1 200 OK\r\n")),
    args: check(),
    exit: 3,
    says: STUCK,
  },
  {
    name: "trickles header bytes forever (slow headers)",
    server: () =>
      rawServer((s) => {
        s.write("HTTP/1.1 200 OK\r\n");
        trickle(s, "X", 100);
      }),
    args: check(),
    exit: 3,
    says: /within 1500 ms|no HTTP answer/,
  },
  {
    name: "sends the headers of a JSON answer, never its body",
    server: () =>
      httpServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
      }),
    args: check(),
    exit: 3,
    says: STUCK,
  },
  {
    name: "trickles a body one byte at a time, forever",
    server: () =>
      httpServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write("{");
        trickle(res, " ", 100);
      }),
    args: check(),
    exit: 3,
    says: STUCK,
  },
  {
    name: "opens an SSE stream and never sends an event",
    server: () =>
      httpServer((_req, res) => {
        res.writeHead(200, sse);
        res.flushHeaders();
      }),
    args: check(),
    exit: 3,
    says: STUCK,
  },
  {
    name: "promises a Content-Length and sends less, keeping the connection",
    server: () => rawServer((s) => s.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")),
    args: check(),
    exit: 3,
    says: STUCK,
  },
  {
    name: "answers 100 Continue, then nothing",
    server: () => rawServer((s) => s.write("HTTP/1.1 100 Continue\r\n\r\n")),
    args: check(),
    exit: 3,
    says: NOT_HTTP,
  },
  {
    name: "closes every connection at once",
    server: () => rawServer((s) => s.destroy()),
    args: check(),
    exit: 3,
    says: new RegExp(`${NOT_HTTP.source}|${STUCK.source}`),
  },
  {
    name: "speaks another protocol (an SSH banner)",
    server: () => rawServer((s) => s.end("SSH-2.0-OpenSSH_9.6\r\n")),
    args: check(),
    exit: 3,
    says: NOT_HTTP,
  },
  {
    name: "answers with a status line that is not HTTP",
    server: () => rawServer((s) => s.end("HTTP/1.1 9999 NOPE\r\n\r\n")),
    args: check(),
    exit: 3,
    says: NOT_HTTP,
  },
  {
    name: "sends one header line of 1 MB",
    server: () => rawServer((s) => s.end(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(1024 * 1024)}\r\n\r\n`)),
    args: check(),
    exit: 3,
    says: NOT_HTTP,
  },
  {
    name: "sends 20,000 header lines",
    server: () =>
      rawServer((s) => s.end(`HTTP/1.1 200 OK\r\n${Array.from({ length: 20_000 }, (_, i) => `X-H${i}: v`).join("\r\n")}\r\n\r\n`)),
    args: check(),
    exit: 3,
    says: NOT_HTTP,
  },
  {
    name: "answers with terminal escapes in place of HTTP",
    server: () => rawServer((s) => s.end("\x1b]0;owned\x07\x1b[2J\x1b[31mHTTP/1.1 200 OK\r\n\r\n")),
    args: check(),
    exit: 3,
    says: NOT_HTTP,
  },
];

/** With a token, the SDK clients read the answers: endless and bombed bodies end at the cap. */
const endlessBodies: Case[] = [
  {
    name: "every answer is an endless JSON body",
    server: () =>
      httpServer((req, res) => {
        req.resume();
        res.writeHead(200, { "content-type": "application/json" });
        endless(res, '{"a":"'.padEnd(64 * 1024, "x"));
      }),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  {
    name: "discovery is right; with a token, an endless JSON body",
    server: () =>
      httpServer(
        withDiscovery((req, res) => {
          req.resume();
          res.writeHead(200, { "content-type": "application/json" });
          endless(res, "x".repeat(64 * 1024));
        }),
      ),
    args: checkWithToken,
    exit: 1,
    says: /over 1 MB|failed/,
  },
  {
    name: "with a token, one endless SSE event",
    server: () =>
      httpServer(
        withDiscovery((req, res) => {
          req.resume();
          res.writeHead(200, sse);
          res.write("event: message\ndata: ");
          endless(res, "y".repeat(64 * 1024));
        }),
      ),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  {
    name: "with a token, an SSE event of endless data lines",
    heldBefore: true,
    server: () =>
      httpServer(
        withDiscovery((req, res) => {
          req.resume();
          res.writeHead(200, sse);
          endless(res, `data: ${"z".repeat(1024)}\n`.repeat(64));
        }),
      ),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  {
    name: "with a token, a 10 GB Content-Length and endless bytes",
    server: () =>
      httpServer(
        withDiscovery((req, res) => {
          req.resume();
          res.writeHead(200, { "content-type": "application/json", "content-length": String(10 * 1024 ** 3) });
          endless(res, "w".repeat(64 * 1024));
        }),
      ),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  ...(["gzip", "br", "deflate"] as const).map(
    (encoding): Case => ({
      name: `with a token, a ${encoding} bomb`,
      server: () =>
        httpServer(
          withDiscovery((req, res) => {
            req.resume();
            bomb(res, encoding);
          }),
        ),
      args: checkWithToken,
      exit: 1,
      says: /failed/,
    }),
  ),
  {
    name: "with a token, a gzip bomb on an SSE stream",
    server: () =>
      httpServer(
        withDiscovery((req, res) => {
          req.resume();
          bomb(res, "gzip", "text/event-stream");
        }),
      ),
    args: checkWithToken,
    exit: 1,
    // The SDK clients report a cut stream as a timeout: the report names the cut, in both eras (each
    // probe's text runs to the next mark, over the lines the report wraps at 80 columns).
    says: /2025-era clients[^✔✖▲]*over 1 MB:\s+not\s+read\s+further[\s\S]*2026-07-28 clients[^✔✖▲]*over 1 MB:\s+not\s+read\s+further/,
  },
  {
    name: "every answer, discovery included, is a gzip bomb",
    server: () =>
      httpServer((req, res) => {
        req.resume();
        bomb(res, "gzip");
      }),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  {
    name: "with a token, initialize answers endlessly (2025-era clients)",
    server: () =>
      httpServer(
        withDiscovery((req, res) =>
          afterBody(req, (body) => {
            if (body.includes('"initialize"')) {
              res.writeHead(200, { "content-type": "application/json" });
              endless(res, "i".repeat(64 * 1024));
            } else {
              res.writeHead(400, { "content-type": "application/json" });
              res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"no"}}');
            }
          }),
        ),
      ),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  {
    name: "with a token, server/discover answers endlessly (2026-07-28 clients)",
    server: () =>
      httpServer(
        withDiscovery((req, res) =>
          afterBody(req, (body) => {
            if (body.includes('"server/discover"')) {
              res.writeHead(200, { "content-type": "application/json" });
              endless(res, "d".repeat(64 * 1024));
            } else {
              res.writeHead(400, { "content-type": "application/json" });
              res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Unsupported protocol version"}}');
            }
          }),
        ),
      ),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  {
    name: "with a token, a 401 with an endless body",
    server: () =>
      httpServer(
        withDiscovery((req, res) => {
          req.resume();
          res.writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer error="invalid_token"' });
          endless(res, "u".repeat(64 * 1024));
        }),
      ),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  {
    name: "with a token, a 500 with an endless HTML body",
    server: () =>
      httpServer(
        withDiscovery((req, res) => {
          req.resume();
          res.writeHead(500, { "content-type": "text/html" });
          endless(res, "<p>".repeat(20_000));
        }),
      ),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  {
    name: "with a token, endless text/plain",
    server: () =>
      httpServer(
        withDiscovery((req, res) => {
          req.resume();
          res.writeHead(200, { "content-type": "text/plain" });
          endless(res, "t".repeat(64 * 1024));
        }),
      ),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
  {
    name: "with a token, endless nested JSON arrays",
    server: () =>
      httpServer(
        withDiscovery((req, res) => {
          req.resume();
          res.writeHead(200, { "content-type": "application/json" });
          endless(res, "[".repeat(64 * 1024));
        }),
      ),
    args: checkWithToken,
    exit: 1,
    says: /failed/,
  },
];

/** An issuer at `url`'s origin: `/_dev/info` and `/_dev/mint` answered by the given handlers. */
function fakeIssuer(
  o: {
    info?: (res: ServerResponse, base: string) => void;
    mint?: (res: ServerResponse, base: string) => void;
    prm?: (res: ServerResponse) => void;
  } = {},
): () => Promise<Hostile> {
  return () =>
    httpServer((req, res, base) => {
      req.resume();
      if (req.url === "/_dev/info") {
        if (o.info) return o.info(res, base);
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ issuer: base, resourceId: "res_x", url: base, scopes: ["a:read"] }));
      }
      if (req.url === "/_dev/mint") {
        if (o.mint) return o.mint(res, base);
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ token: jwt({ sub: "usr_1", aud: ["res_x"], iat: 1, exp: 3601 }) }));
      }
      if (PRM_PATHS.test(req.url ?? "") && o.prm) return o.prm(res);
      res.writeHead(404).end();
    });
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: "RS256", kid: "k" })}.${b64(claims)}.c2ln`;
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const endlessJson = (res: ServerResponse) => {
  res.writeHead(200, { "content-type": "application/json" });
  endless(res, '{"token":"'.padEnd(64 * 1024, "e"));
};
const gzipBomb = (res: ServerResponse) => bomb(res, "gzip");

/** `issuer token` against issuers (and project servers) that are not what they claim. */
const tokenCases: Case[] = [
  {
    name: "issuer token: /_dev/info is an endless body",
    server: fakeIssuer({ info: endlessJson }),
    args: token(),
    exit: 3,
    says: /answered \/_dev\/info with a body over 1 MB: is it a create-mcp-auth local issuer/,
    emptyStdout: true,
  },
  {
    name: "issuer token: /_dev/info is a gzip bomb",
    server: fakeIssuer({ info: gzipBomb }),
    args: token(),
    exit: 3,
    says: /over 1 MB/,
    emptyStdout: true,
  },
  {
    name: "issuer token: /_dev/mint is an endless body",
    server: fakeIssuer({ mint: endlessJson }),
    args: token(),
    exit: 3,
    says: /answered \/_dev\/mint with a body over 1 MB/,
    emptyStdout: true,
  },
  {
    name: "issuer token: /_dev/mint is a brotli bomb",
    server: fakeIssuer({ mint: (res) => bomb(res, "br") }),
    args: token(),
    exit: 3,
    says: /over 1 MB/,
    emptyStdout: true,
  },
  {
    name: "issuer token: the project's server answers its metadata endlessly (the token still comes)",
    server: fakeIssuer({ prm: endlessJson }),
    args: (url) => ["issuer", "token", "--issuer-url", new URL(url).origin],
    project: (url) => ({ MCP_SERVER_URL: url }),
    heldBefore: true,
    exit: 0,
    says: /^eyJ[\w-]+\.[\w-]+\.[\w-]*$/,
  },
  {
    name: "issuer token: /_dev/info never answers",
    server: () => rawServer(() => {}),
    args: token(),
    exit: 3,
    says: /did not answer within 5 s: restart it with `[^`]+ issuer`/,
    emptyStdout: true,
  },
  {
    name: "issuer token: the minted token is not a JWT",
    server: fakeIssuer({ mint: (res) => json(res, 200, { token: "not-a-jwt" }) }),
    args: token(),
    exit: 3,
    says: /answered \/_dev\/mint with something that is not a JWT \("not-a-jwt"\)/,
    emptyStdout: true,
  },
  {
    name: "issuer token: the minted token's claims are not JSON",
    server: fakeIssuer({ mint: (res) => json(res, 200, { token: "aaaa.bbbb.cccc" }) }),
    args: token(),
    exit: 3,
    says: /not a JWT/,
    emptyStdout: true,
  },
  {
    name: "issuer token: the minted token carries terminal escapes",
    server: fakeIssuer({ mint: (res) => json(res, 200, { token: "\x1b]0;owned\x07\x1b[2J.e30.c2ln" }) }),
    args: token(),
    exit: 3,
    says: /not a JWT \("\\u001b\]0;owned\\u0007\\u001b\[2J\.e30\.c2ln"\)/,
    emptyStdout: true,
  },
  {
    name: "issuer token: the token's sub and aud carry escapes (printed escaped)",
    server: fakeIssuer({
      mint: (res) => json(res, 200, { token: jwt({ sub: "\x1b[2Jusr", aud: ["\x1b]0;t\x07res"], iat: 1, exp: 2 }) }),
    }),
    args: token(),
    exit: 0,
    says: /token for \\x1b\]0;t\\x07res .*sub \\x1b\[2Jusr/,
  },
  {
    name: "issuer token --json: claims with C1 and bidi controls come out as \\u escapes",
    server: fakeIssuer({
      mint: (res) => json(res, 200, { token: jwt({ sub: "usr\u009b2J\u202e", aud: ["res\u2066x"], iat: 1, exp: 2 }) }),
    }),
    args: token(["--json"]),
    exit: 0,
    says: /"audience":\["res\\u2066x"\].*"sub":"usr\\u009b2J\\u202e"/,
  },
  {
    name: "issuer token: the refusal's error_description carries escapes",
    server: fakeIssuer({
      mint: (res) => json(res, 400, { error: "invalid_request", error_description: "\x1b[2J\x1b]0;owned\x07bad scope" }),
    }),
    args: token(),
    exit: 2,
    says: /did not mint a token: \\x1b\[2J\\x1b\]0;owned\\x07bad scope/,
    emptyStdout: true,
  },
];

/** authorization_servers entries no client may use: flagged by prm.fields, never fetched. */
const unusableAuthServers: Case[] = [
  ...[
    ["file:///etc/passwd", /entry file:\/\/\/etc\/passwd is a file: URL, not https/],
    ["file://fileserver/share/as", /entry file:\/\/fileserver\/share\/as is a file: URL/],
    ["http://auth.example.invalid/", /entry http:\/\/auth\.example\.invalid\/ is plain http on a host that is not loopback/],
    ["http://auth.example.invalid:8080/resources/res_1", /is plain http on a host that is not loopback/],
    ["data:application/json,{}", /entry data:application\/json,\{\} is a data: URL/],
    ["javascript:alert(1)", /entry javascript:alert\(1\) is a javascript: URL/],
    ["ftp://127.0.0.1/as", /entry ftp:\/\/127\.0\.0\.1\/as is a ftp: URL/],
    ["https://user:secret@auth.example.invalid/", /carries credentials in the URL/],
  ].map(
    ([entry, says]): Case => ({
      name: `authorization_servers names ${String(entry)}`,
      server: () =>
        httpServer(
          withDiscovery(
            (req, res) => {
              req.resume();
              res.writeHead(401).end();
            },
            { authorizationServers: () => [entry as string] },
          ),
        ),
      args: check(["--json"]),
      exit: 1,
      says: says as RegExp,
    }),
  ),
  {
    name: "authorization_servers: a loopback one first, then a file: one",
    server: () =>
      httpServer(
        withDiscovery(
          (req, res) => {
            req.resume();
            res.writeHead(401).end();
          },
          { authorizationServers: (base) => [`${base}/as`, "file:///etc/shadow"] },
        ),
      ),
    args: check(["--json"]),
    exit: 1,
    says: /entry file:\/\/\/etc\/shadow is a file: URL/,
  },
];

const CORPUS = [...neverAnswers, ...endlessBodies, ...tokenCases, ...unusableAuthServers];

describe("a server that closes every connection, again and again", () => {
  // fetch's deadline is an unreferenced timer: with a request left without a socket or an answer, Node used to
  // exit 0 in silence (34 of 40 runs of check, before). Six runs of each command, all with the error.
  it.each([
    // A request whose socket died unanswered ends at its deadline, so either message is right.
    ["check", (url: string) => ["check", url, "--timeout", String(TIMEOUT_MS)], 3, new RegExp(`${NOT_HTTP.source}|${STUCK.source}`)],
    ["issuer token", token(), 3, /create-mcp-auth: .*(no local issuer answers|did not answer within 5 s|broke off its answer)/],
  ] as const)(
    "%s: every run ends with its error, none exits 0 in silence",
    async (_name, args, exit, says) => {
      const server = await rawServer((s) => s.destroy());
      try {
        const runs = await Promise.all(Array.from({ length: 6 }, () => slot(() => spawnCli(args(server.url)))));
        for (const run of runs) {
          expect(run.exitCode, `${run.stdout}${run.stderr}`).toBe(exit);
          expect(run.stderr).toMatch(says);
        }
      } finally {
        await server.close();
      }
    },
    300_000,
  );
});

describe("the hostile-server corpus", () => {
  it("has at least 40 cases that failed before it", () => {
    expect(CORPUS.filter((c) => !c.heldBefore).length).toBeGreaterThanOrEqual(40);
  });

  it.concurrent.each(CORPUS.map((c) => [c.name, c] as const))(
    "%s",
    async (_name, c) => {
      const server = await c.server();
      try {
        const run = await slot(async () => {
          const env = c.project?.(server.url);
          return spawnCli(c.args(server.url), env ? { env } : {});
        });
        const output = `${run.stdout}\n${run.stderr}`;
        const shown = `exit ${run.exitCode} in ${run.seconds.toFixed(1)} s, ${run.maxRssMb?.toFixed(0)} MB\n${output.slice(0, 3000)}`;
        expect(run.exitCode, shown).toBe(c.exit);
        expect(c.exit === 0 && c.says.source.startsWith("^") ? run.stdout : output, shown).toMatch(c.says);
        expect(output, shown).not.toMatch(CONTROL);
        expect(output, shown).not.toMatch(/unexpected error|\n\s+at /);
        if (c.emptyStdout) expect(run.stdout, shown).toBe("");
        expect(run.maxRssMb, shown).toBeDefined();
        expect(run.maxRssMb!, shown).toBeLessThan(MAX_RSS_MB);
        expect(run.seconds, shown).toBeLessThan(45);
      } finally {
        await server.close();
      }
      // Each run is bounded above (45 s); this bound also covers the wait for a slot.
    },
    900_000,
  );
});
