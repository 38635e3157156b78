export interface Config {
  /** Scalekit environment URL, no trailing slash. */
  environmentUrl: string;
  /** Scalekit resource id of this MCP server (`res_...`). */
  resourceId: string;
  /** Only for Scalekit's management API; token validation does not need them. */
  clientId?: string;
  clientSecret?: string;
  /** The MCP endpoint's public URL, no trailing slash: the OAuth "resource". */
  resourceUrl: string;
  /** Path of the MCP endpoint, e.g. `/mcp`. */
  mcpPath: string;
  /** The authorization server named in the protected resource metadata. */
  authorizationServer: string;
  /** `iss` values accepted in access tokens. */
  issuers: string[];
  /** `aud` values accepted in access tokens (any one must match). */
  audiences: string[];
  port: number;
  /** Listen address; undefined means all interfaces. */
  host: string | undefined;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
    example: string,
  ) {
    super(`${variable} ${problem}. Example: ${variable}=${example}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env): Config {
  const environmentUrl = httpsUrl(env, "SCALEKIT_ENVIRONMENT_URL", "https://acme.scalekit.dev");
  const resourceId = required(env, "SCALEKIT_RESOURCE_ID", "res_1234567890");
  const idIsUrl = /^https?:\/\//.test(resourceId);
  if (idIsUrl) httpsUrl(env, "SCALEKIT_RESOURCE_ID", "res_1234567890");
  else if (!/^res_[A-Za-z0-9_-]+$/.test(resourceId)) {
    throw new ConfigError("SCALEKIT_RESOURCE_ID", "must look like res_ followed by letters and digits, or be a URL", "res_1234567890");
  }
  const server = new URL(httpsUrl(env, "MCP_SERVER_URL", "https://mcp.example.com/mcp"));
  const mcpPath = server.pathname.replace(/\/+$/, "") || "/";
  const resourceUrl = server.origin + (mcpPath === "/" ? "" : mcpPath);
  // A res_ id has its own authorization server path; a resource named by URL
  // is served by the environment's authorization server itself.
  const authorizationServer = idIsUrl ? environmentUrl : `${environmentUrl}/resources/${resourceId}`;

  return {
    environmentUrl,
    resourceId,
    clientId: optional(env, "SCALEKIT_CLIENT_ID"),
    clientSecret: optional(env, "SCALEKIT_CLIENT_SECRET"),
    resourceUrl,
    mcpPath,
    authorizationServer,
    // Scalekit signs MCP tokens with the environment URL as issuer today and is
    // moving to the per-resource issuer; accepting both keeps tokens valid across the switch.
    issuers: [...new Set([environmentUrl, authorizationServer])],
    // Scalekit puts both the registered server URL and the resource id in `aud`.
    audiences: [...new Set([resourceUrl, `${resourceUrl}/`, resourceId.replace(/\/+$/, ""), resourceId])],
    port: portNumber(env),
    host: optional(env, "HOST") ?? (isLoopback(server.hostname) ? "127.0.0.1" : undefined),
  };
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function required(env: Env, name: string, example: string): string {
  const value = optional(env, name);
  if (!value) throw new ConfigError(name, "is not set", example);
  return value;
}

/** An http(s) URL without query or fragment; plain http only on loopback. Returned without trailing slash. */
function httpsUrl(env: Env, name: string, example: string): string {
  const raw = required(env, name, example);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL (got "${raw}")`, example);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    throw new ConfigError(name, "must be an https:// URL (http:// is allowed only for localhost)", example);
  }
  if (url.username || url.password || url.search || url.hash || raw.includes("#")) {
    throw new ConfigError(name, "must not contain credentials, a query string or a fragment", example);
  }
  return url.origin + url.pathname.replace(/\/+$/, "");
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

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
