/**
 * Limits on slow clients, for the Node HTTP server under any framework: the
 * headers within 20 s and the whole request within 60 s (Node's defaults are
 * 60 s and 5 minutes, long enough for a few slow connections to hold the
 * server), checked every 5 s. A response (an SSE stream) is not limited.
 */
export const SLOW_CLIENT_LIMITS = { headersTimeout: 20_000, requestTimeout: 60_000, connectionsCheckingInterval: 5_000 };

/** Why the server could not listen, in one line with what to do: no stack trace for a busy port. */
export function listenFailure(error: unknown, host: string, port: number): string {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (code === "EADDRINUSE") return `port ${port} is already in use on ${host}: stop what listens there, or set PORT to a free port`;
  if (code === "EACCES") return `no permission to listen on ${where}: use a port above 1023 (set PORT)`;
  if (code === "EADDRNOTAVAIL") return `${host} is not an address of this machine: set HOST (127.0.0.1, or 0.0.0.0 in a container)`;
  return `cannot listen on ${where}: ${error instanceof Error ? error.message : String(error)}`;
}
