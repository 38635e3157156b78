// Written by `create-mcp-auth add`: DNS-rebinding protection for the MCP
// endpoint (the Streamable HTTP transport's MUST). A request whose Origin is
// not allowed gets 403 before any auth work; on a loopback server the Host
// must be a loopback name too. Allowed origins: the public URL's, loopback
// origins when the server is local, and MCP_ALLOWED_ORIGINS (comma-separated).
// No Origin (a server-to-server client) is allowed.
import { isLoopback, type Config } from "./config.js";

export function checkOrigin(
  config: Config,
  origin: string | undefined,
  host: string | undefined,
  env: Record<string, string | undefined> = process.env,
): undefined | { status: 403; body: { error: string; error_description: string } } {
  const server = new URL(config.resourceUrl);
  const local = isLoopback(server.hostname);
  if (local && host !== undefined && !isLoopback(hostname(host))) {
    return refuse(`Host ${host} is not allowed for this server`);
  }
  if (origin === undefined) return undefined;
  const allowed = new Set([server.origin, ...(env.MCP_ALLOWED_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean)]);
  let parsed: URL | undefined;
  try {
    parsed = new URL(origin);
  } catch {
    parsed = undefined;
  }
  if (parsed && (allowed.has(parsed.origin) || (local && isLoopback(parsed.hostname)))) return undefined;
  return refuse(`Origin ${origin} is not allowed`);
}

function hostname(host: string): string {
  return host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":", 1)[0] ?? host);
}

function refuse(description: string) {
  return { status: 403 as const, body: { error: "forbidden", error_description: description } };
}
