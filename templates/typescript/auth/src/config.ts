import { ConfigError, type Env, httpsUrl, isLoopback, list, optional, parseHttpsUrl } from "./env.js";
import { loadProviderConfig, type ProviderConfig } from "./provider.js";

export { ConfigError, isLoopback };

export interface Config {
  /** The MCP endpoint's public URL, no trailing slash: the OAuth "resource". */
  resourceUrl: string;
  /** Path of the MCP endpoint, e.g. `/mcp`. */
  mcpPath: string;
  /** The public URL is on loopback: a server for this machine only. */
  local: boolean;
  /** Origins whose browser pages may call the endpoint (exact `scheme://host[:port]`). */
  allowedOrigins: string[];
  port: number;
  /** Listen address; undefined means all interfaces. */
  host: string | undefined;
  /** The authorization server: where tokens come from and how they are checked. */
  provider: ProviderConfig;
}

/** Reads and checks the environment; a bad value stops the server at boot with a ConfigError. */
export function loadConfig(env: Env): Config {
  const server = new URL(httpsUrl(env, "MCP_SERVER_URL", "https://mcp.example.com/mcp"));
  const mcpPath = server.pathname.replace(/\/+$/, "") || "/";
  if (mcpPath === "/healthz" || mcpPath.startsWith("/.well-known/")) {
    throw new ConfigError("MCP_SERVER_URL", `must not use the path ${mcpPath}, which the server reserves`, "https://mcp.example.com/mcp");
  }
  const resourceUrl = server.origin + (mcpPath === "/" ? "" : mcpPath);
  const local = isLoopback(server.hostname);
  return {
    resourceUrl,
    mcpPath,
    local,
    allowedOrigins: allowedOrigins(env, server.origin),
    port: portNumber(env),
    host: optional(env, "HOST") ?? (local ? loopbackAddress(server.hostname) : undefined),
    provider: loadProviderConfig(env, { resourceUrl }),
  };
}

/** The public URL's origin plus MCP_ALLOWED_ORIGINS, each an exact origin. */
function allowedOrigins(env: Env, own: string): string[] {
  const example = "https://app.example.com,http://localhost:6274";
  const origins = list(env, "MCP_ALLOWED_ORIGINS").map((entry) => {
    if (entry === "*" || entry === "null") {
      throw new ConfigError(
        "MCP_ALLOWED_ORIGINS",
        `cannot contain "${entry}": list the origins of the pages allowed to call this server`,
        example,
      );
    }
    const url = parseHttpsUrl("MCP_ALLOWED_ORIGINS", entry, example);
    if (url.pathname !== "/" || entry.replace(/\/$/, "") !== url.origin) {
      throw new ConfigError("MCP_ALLOWED_ORIGINS", `must hold origins only (scheme://host[:port], no path), got "${entry}"`, example);
    }
    return url.origin;
  });
  return [...new Set([own, ...origins])];
}

function portNumber(env: Env): number {
  const raw = optional(env, "PORT");
  if (raw === undefined) return 3000;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new ConfigError("PORT", `must be a number from 1 to 65535 (got "${raw}")`, "3000");
  }
  return port;
}

/** Where a local server listens: the loopback address of its URL (::1 for [::1], else 127.0.0.1). */
function loopbackAddress(hostname: string): string {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "::1" ? "::1" : /^127(\.\d{1,3}){3}$/.test(host) ? host : "127.0.0.1";
}
