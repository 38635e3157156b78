import type { Config } from "./config.js";
import { isLoopback } from "./env.js";

export interface OriginRefusal {
  status: 403;
  body: { jsonrpc: "2.0"; error: { code: number; message: string } };
}

/**
 * DNS-rebinding protection (MCP Streamable HTTP transport, Security): a
 * request whose `Origin` is not allowed gets 403 before any auth work, and a
 * server listening on loopback also checks `Host`, so a page whose own domain
 * resolves to 127.0.0.1 cannot reach it. Allowed origins: the public URL's,
 * MCP_ALLOWED_ORIGINS, and any loopback origin when the server is local (the
 * MCP Inspector runs on localhost). No `Origin` at all is a non-browser client,
 * which is allowed.
 */
export function checkOrigin(config: Config, origin: string | null | undefined, host: string | null | undefined): OriginRefusal | undefined {
  if (origin !== undefined && origin !== null && !originAllowed(config, origin)) {
    return refuse("Forbidden: requests from this Origin are not allowed (MCP_ALLOWED_ORIGINS lists the allowed ones)");
  }
  if (listensOnLoopback(config) && !hostAllowed(config, host)) {
    return refuse("Forbidden: this server answers only to its own host name");
  }
  return undefined;
}

export function originAllowed(config: Config, origin: string): boolean {
  if (config.allowedOrigins.includes(origin)) return true;
  if (!config.local) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === origin && isLoopback(url.hostname);
  } catch {
    return false;
  }
}

function listensOnLoopback(config: Config): boolean {
  return config.host !== undefined && isLoopback(config.host.includes(":") ? `[${config.host}]` : config.host);
}

/** `name[:port]` or `[v6]:port`, nothing else (no user info, no path). */
const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function hostAllowed(config: Config, host: string | null | undefined): boolean {
  if (!host || !HOST_HEADER.test(host)) return false;
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  return isLoopback(hostname) || hostname === new URL(config.resourceUrl).hostname;
}

function refuse(message: string): OriginRefusal {
  return { status: 403, body: { jsonrpc: "2.0", error: { code: -32000, message } } };
}
