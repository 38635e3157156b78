/** Small node:http helpers: bounded body reading, JSON / form parsing, responses, CORS. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { OAuthError } from "./errors.js";

export const MAX_BODY_BYTES = 64 * 1024;
/** Past the limit we keep reading (and discard) up to this much so the client sees the 413. */
const DRAIN_BYTES = 8 * 1024 * 1024;

const tooLarge = (): OAuthError =>
  new OAuthError("invalid_request", `request body is larger than ${MAX_BODY_BYTES / 1024} KB`, 413, {
    Connection: "close",
  });

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > DRAIN_BYTES) {
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (err: OAuthError): void => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_BYTES) {
        fail(tooLarge());
        req.pause();
        return;
      }
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => {
      if (settled) return;
      if (size > limit) return fail(tooLarge());
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    req.on("error", () => fail(new OAuthError("invalid_request", "could not read the request body")));
    req.on("aborted", () => fail(new OAuthError("invalid_request", "request aborted")));
  });
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

function decodeUtf8(buf: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw new OAuthError("invalid_request", "request body is not valid UTF-8");
  }
}

/** Query / form parameters. Empty values count as absent (RFC 6749 3.1); repeats are refused. */
export class Params {
  constructor(readonly raw: URLSearchParams) {}

  get(name: string): string | undefined {
    const values = this.raw.getAll(name).filter((v) => v !== "");
    if (values.length > 1) throw new OAuthError("invalid_request", `parameter "${name}" is repeated`);
    return values[0];
  }

  all(name: string): string[] {
    return this.raw.getAll(name).filter((v) => v !== "");
  }
}

export async function readForm(req: IncomingMessage): Promise<Params> {
  const body = await readBody(req);
  if (mediaType(req) !== "application/x-www-form-urlencoded") {
    throw new OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded");
  }
  const text = decodeUtf8(body);
  return new Params(new URLSearchParams(text));
}

/** Reads a JSON object body. `optional`: an empty body gives {}. */
export async function readJsonObject(req: IncomingMessage, optional = false): Promise<Record<string, unknown>> {
  const body = await readBody(req);
  if (optional && body.length === 0) return {};
  if (!/^application\/([a-z0-9.+-]*\+)?json$/.test(mediaType(req))) {
    throw new OAuthError("invalid_request", "the body must be application/json");
  }
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8(body));
  } catch {
    throw new OAuthError("invalid_request", "the body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OAuthError("invalid_request", "the body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

const BASE_HEADERS = {
  "Cache-Control": "no-store",
  Pragma: "no-cache",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: OAuthError): void {
  sendJson(res, err.status, err.toJSON(), err.headers);
}

export interface PageOptions {
  /** Where the page's form may send the browser (CSP form-action). Default: nowhere. */
  formAction?: string[];
  /**
   * A page with a form posting to itself needs "same-origin": under no-referrer
   * browsers send `Origin: null` with the form, and the origin check fails.
   */
  referrerPolicy?: "no-referrer" | "same-origin";
}

/** An HTML page under a strict CSP: no script at all, inline style only, never framed. */
export function sendHtml(res: ServerResponse, status: number, html: string, o: PageOptions = {}): void {
  const forms = o.formAction?.length ? o.formAction.join(" ") : "'none'";
  res.writeHead(status, {
    ...BASE_HEADERS,
    "Referrer-Policy": o.referrerPolicy ?? "no-referrer",
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(html),
    "Content-Security-Policy": `default-src 'none'; style-src 'unsafe-inline'; form-action ${forms}; base-uri 'none'; frame-ancestors 'none'`,
    "X-Frame-Options": "DENY",
  });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { ...BASE_HEADERS, Location: location, "Content-Length": 0 });
  res.end();
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function wantsHtml(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").includes("text/html");
}
