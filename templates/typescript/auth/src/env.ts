/** Reading environment variables: every problem names the variable and an example value. */
export type Env = Record<string, string | undefined>;

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

export function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function required(env: Env, name: string, example: string): string {
  const value = optional(env, name);
  if (!value) throw new ConfigError(name, "is not set", example);
  return value;
}

/** An http(s) URL without credentials, query or fragment; plain http only on loopback. */
export function parseHttpsUrl(name: string, raw: string, example: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL (got "${raw}")`, example);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    throw new ConfigError(name, "must be an https:// URL (http:// is allowed only for localhost)", example);
  }
  if (url.username || url.password || url.search || url.hash || raw.includes("#") || raw.includes("?")) {
    throw new ConfigError(name, "must not contain credentials, a query string or a fragment", example);
  }
  return url;
}

/** The variable as an https URL (see parseHttpsUrl), returned without trailing slash. */
export function httpsUrl(env: Env, name: string, example: string): string {
  const url = parseHttpsUrl(name, required(env, name, example), example);
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** A comma-separated list (blank entries ignored). */
export function list(env: Env, name: string): string[] {
  return (optional(env, name) ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
