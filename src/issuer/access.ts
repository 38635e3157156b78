/**
 * Who may call what. The issuer binds 127.0.0.1, but a web page in the
 * developer's browser can still reach it, directly or through DNS rebinding.
 *
 * - public   metadata, JWKS, the index: any Host, CORS `*` (nothing to steal)
 * - api      registration, token: a loopback Host; a browser caller only from a
 *            loopback origin (CORS echoes it; any other Origin gets 403)
 * - browser  /oauth/authorize: a loopback Host; no CORS (it is navigated to)
 * - dev      /_dev/*: this issuer's own host and port, same-origin only
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isLoopbackHost } from "../oauth-syntax.js";
import { OAuthError } from "./errors.js";

export type Access = "public" | "api" | "browser" | "dev";

const DEFAULT_ALLOW_HEADERS = "Authorization, Content-Type, Accept, MCP-Protocol-Version";

/** http(s)://<loopback host>[:port], exactly an origin (no path), never "null". */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && url.origin === origin.toLowerCase() && isLoopbackHost(url.hostname);
}

function hostHeader(req: IncomingMessage): string {
  return (req.headers.host ?? "").toLowerCase();
}

function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

/** The Host values of this issuer itself: 127.0.0.1, localhost and [::1] on its port. */
export function ownHosts(issuerUrl: string): string[] {
  const port = new URL(issuerUrl).port;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/**
 * A request from this issuer's own pages (the consent form) or from a
 * non-browser client: no Origin or one of its own origins, and, when the
 * browser says where the request comes from (Sec-Fetch-Site), same-origin
 * (or "none": typed in the address bar).
 */
export function isSameOrigin(req: IncomingMessage, issuerUrl: string): boolean {
  const origin = req.headers.origin;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  return origin === undefined || ownHosts(issuerUrl).some((h) => origin.toLowerCase() === `http://${h}`);
}

const denied = (message: string): OAuthError => new OAuthError("access_denied", message, 403);

function assertLoopbackHost(req: IncomingMessage): void {
  const hostname = hostnameOf(hostHeader(req));
  if (!hostname || !isLoopbackHost(hostname)) {
    throw denied("this endpoint answers only to a loopback Host (localhost, 127.0.0.1, [::1])");
  }
}

function assertLocalCaller(req: IncomingMessage, issuerUrl: string): void {
  if (!ownHosts(issuerUrl).includes(hostHeader(req))) {
    throw denied("development endpoints answer only to a loopback Host");
  }
  if (!isSameOrigin(req, issuerUrl)) throw denied("development endpoints refuse cross-origin requests");
}

/**
 * Applies the rules of `access` to a request: throws a 403 OAuthError when the
 * caller is not allowed, sets the CORS headers when it is. Returns true when the
 * request was a CORS preflight that has been answered.
 */
export function admit(access: Access, req: IncomingMessage, res: ServerResponse, issuerUrl: string): boolean {
  const origin = req.headers.origin;
  const preflight = req.method === "OPTIONS" && (access === "public" || access === "api");
  switch (access) {
    case "public":
      res.setHeader("Access-Control-Allow-Origin", "*");
      break;
    case "api":
      res.setHeader("Vary", "Origin");
      assertLoopbackHost(req);
      if (origin !== undefined) {
        if (!isLoopbackOrigin(origin)) throw denied("cross-origin requests are accepted only from loopback origins");
        res.setHeader("Access-Control-Allow-Origin", origin);
      }
      break;
    case "browser":
      assertLoopbackHost(req);
      break;
    case "dev":
      assertLocalCaller(req, issuerUrl);
      break;
  }
  if (access === "public" || access === "api") res.setHeader("Access-Control-Expose-Headers", "WWW-Authenticate");
  if (!preflight) return false;
  const requested = req.headers["access-control-request-headers"];
  res.writeHead(204, {
    "Access-Control-Allow-Headers":
      typeof requested === "string" && /^[A-Za-z0-9_, -]{0,1000}$/.test(requested) ? requested : DEFAULT_ALLOW_HEADERS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Max-Age": "600",
    "Content-Length": 0,
  });
  res.end();
  return true;
}
