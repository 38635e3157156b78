/** Raw HTTP for the probes: every request has a timeout; errors become one-line messages. */
import { oneLine } from "../core/printable.js";

export { oneLine };

export interface HttpResult {
  status: number;
  headers: Headers;
  /** The body as text (for an SSE response: up to the first JSON-RPC response). */
  text: string;
  /**
   * The status and headers came in time, an SSE stream with them, but no JSON-RPC response on it before the
   * timeout (a slow tool): only when the request asked for it (`slowStream`), and then `text` is empty.
   */
  slow?: true;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** A 2xx SSE answer whose JSON-RPC response is still to come at the timeout is an answer (`slow`), not an error. */
  slowStream?: boolean;
}

/** The origin the probes claim to come from (MCP Inspector's default), to see CORS headers. */
export const PROBE_ORIGIN = "http://localhost:6274";
/** The protocol version of the raw 2025-era requests (initialize): the oldest one every 2025-era server speaks. */
export const PROTOCOL_VERSION = "2025-06-18";
/** The stateless revision: no initialize, a `_meta` envelope on every request, server/discover. */
export const MODERN_VERSION = "2026-07-28";
const MAX_BODY = 1024 * 1024;

export class HttpError extends Error {
  override name = "HttpError";
}

/** "connect ECONNREFUSED 127.0.0.1:3000", "timed out after 5000 ms", ... */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError") return err.message.includes("timed out") ? err.message : "timed out";
    const cause = (err as { cause?: unknown }).cause;
    if (err.message === "fetch failed" && cause instanceof Error) {
      const code = (cause as { code?: string }).code;
      return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
    }
    return oneLine(err.message);
  }
  return oneLine(String(err));
}

export function timeoutSignal(timeoutMs: number, other?: AbortSignal | null): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return other ? AbortSignal.any([other, timeout]) : timeout;
}

export async function request(url: string | URL, o: RequestOptions): Promise<HttpResult> {
  const method = o.method ?? "GET";
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: o.headers,
      body: o.body,
      redirect: "manual",
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    try {
      const text = await readBody(res);
      return { status: res.status, headers: res.headers, text };
    } catch (err) {
      const sse = (res.headers.get("content-type") ?? "").toLowerCase().startsWith("text/event-stream");
      if (o.slowStream && sse && res.ok && err instanceof Error && err.name === "TimeoutError")
        return { status: res.status, headers: res.headers, text: "", slow: true };
      throw err;
    }
  } catch (err) {
    if (err instanceof HttpError) throw new HttpError(`${method} ${url}: ${err.message}`);
    const what = err instanceof Error && err.name === "TimeoutError" ? `no answer within ${o.timeoutMs} ms` : describeError(err);
    throw new HttpError(`${method} ${url}: ${what}`);
  }
}

/**
 * Reads a body as text. An SSE stream is read only until it carries a JSON-RPC
 * response: a server may keep the stream open after it. Only the text that
 * arrived since the last complete event is searched for the next one, so a
 * stream without event ends (or a bomb of them) costs linear time and memory.
 */
async function readBody(res: Response): Promise<string> {
  if (!res.body) return "";
  const sse = (res.headers.get("content-type") ?? "").toLowerCase().startsWith("text/event-stream");
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const events = sse ? new SseEvents() : undefined;
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      // Past the cap the body is incomplete, so never valid JSON: say so rather than parse a megabyte of it.
      if (text.length > MAX_BODY) throw new HttpError(`the answer's body is over ${MAX_BODY / (1024 * 1024)} MB: not read further`);
      if (events?.push(value).some(isResponse)) break;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text;
}

/**
 * The events of an SSE stream as its text arrives in pieces: each piece is
 * searched once for an event's end (a blank line, after CRLF and CR are read
 * as LF); an unfinished event is kept as pieces, joined only when it ends.
 */
export class SseEvents {
  private pieces: string[] = [];
  /** The last piece ended in LF (an event ends if the next starts with one). */
  private endsInLf = false;
  /** A CR ended the last piece: it may be the first half of a CRLF. */
  private heldCr = false;

  /** The complete events' JSON-RPC messages this piece finished. */
  push(piece: string): JsonRpcMessage[] {
    let text = piece;
    if (this.heldCr) text = `\r${text}`;
    this.heldCr = text.endsWith("\r");
    if (this.heldCr) text = text.slice(0, -1);
    text = text.replace(/\r\n?/g, "\n");
    const out: JsonRpcMessage[] = [];
    let from = 0;
    if (this.endsInLf && text.startsWith("\n")) {
      out.push(...this.finish(""));
      from = 1;
    }
    for (let end = text.indexOf("\n\n", from); end !== -1; end = text.indexOf("\n\n", from)) {
      out.push(...this.finish(text.slice(from, end)));
      from = end + 2;
    }
    const rest = text.slice(from);
    if (rest) {
      this.pieces.push(rest);
      this.endsInLf = rest.endsWith("\n");
    }
    return out;
  }

  /** The event made of the kept pieces and `tail`. */
  private finish(tail: string): JsonRpcMessage[] {
    const event = this.pieces.join("") + tail;
    this.pieces = [];
    this.endsInLf = false;
    return sseMessages(`${event}\n\n`);
  }
}

export type JsonRpcMessage = {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
};

const isResponse = (m: JsonRpcMessage): boolean => m.id !== undefined && ("result" in m || "error" in m);

function sseMessages(text: string): JsonRpcMessage[] {
  const out: JsonRpcMessage[] = [];
  // Complete events only: an event ends with a blank line.
  const events = text.replace(/\r\n?/g, "\n").split("\n\n").slice(0, -1);
  for (const event of events) {
    const data = event
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""))
      .join("\n");
    if (!data) continue;
    try {
      out.push(JSON.parse(data) as JsonRpcMessage);
    } catch {
      // not JSON: ignore
    }
  }
  return out;
}

/** The JSON-RPC response carried by a JSON or SSE body, if any. */
export function jsonRpcResponse(r: HttpResult): JsonRpcMessage | undefined {
  const type = (r.headers.get("content-type") ?? "").toLowerCase();
  if (type.startsWith("text/event-stream")) return sseMessages(r.text.endsWith("\n\n") ? r.text : `${r.text}\n\n`).find(isResponse);
  try {
    const body = JSON.parse(r.text) as unknown;
    const messages = (Array.isArray(body) ? body : [body]) as JsonRpcMessage[];
    return messages.find((m) => m && typeof m === "object" && isResponse(m));
  } catch {
    return undefined;
  }
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The headers of an MCP POST (Streamable HTTP): both media types accepted. */
export function mcpHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    Accept: "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": PROTOCOL_VERSION,
    ...extra,
  };
}

const CLIENT_INFO = { name: "create-mcp-auth-check", version: "1" };

let nextId = 1;
export function jsonRpc(method: string, params?: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, ...(params ? { params } : {}) });
}

export const initializeRequest = (): string =>
  jsonRpc("initialize", {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: CLIENT_INFO,
  });

/** The `_meta` envelope every 2026-07-28 request carries. */
export const modernMeta = (): Record<string, unknown> => ({
  "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
  "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
  "io.modelcontextprotocol/clientCapabilities": {},
});

/** A header value as 2026-07-28 carries it: plain when it is safe ASCII, else the Base64 sentinel form. */
export function headerValue(value: string): string {
  const plain = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !/^=\?base64\?.*\?=$/.test(value);
  return plain ? value : `=?base64?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/** A 2026-07-28 request: its body (with `_meta`) and the headers that mirror it. */
export function modernRequest(method: string, params: Record<string, unknown> = {}): { body: string; headers: Record<string, string> } {
  const name = typeof params.name === "string" ? params.name : typeof params.uri === "string" ? params.uri : undefined;
  return {
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: { ...params, _meta: modernMeta() } }),
    headers: {
      "MCP-Protocol-Version": MODERN_VERSION,
      "Mcp-Method": method,
      ...(name !== undefined && /^(tools\/call|resources\/read|prompts\/get)$/.test(method) ? { "Mcp-Name": headerValue(name) } : {}),
    },
  };
}

/** A 2xx answer. */
export const isSuccess = (r: HttpResult): boolean => r.status >= 200 && r.status < 300;

/** "HTTP 401 (WWW-Authenticate: Bearer ...)": for reasons. */
export function describeStatus(r: HttpResult): string {
  const www = r.headers.get("www-authenticate");
  return `HTTP ${r.status}${www ? ` (WWW-Authenticate: ${oneLine(www, 160)})` : ""}`;
}
