/** What the MCP endpoint learns about a request, for its log line. Never a token or a secret. */
export interface RequestDetails {
  rpcMethod?: string;
  tool?: string;
  subject?: string;
  clientId?: string;
}

/** Where log lines go: one JSON object per line. */
export type LogSink = (line: string) => void;

export const stdoutLog: LogSink = (line) => process.stdout.write(`${line}\n`);

/**
 * One structured line per request: time, method, path (never the query
 * string, which may carry a token someone sent there), status, duration, and
 * for MCP requests the JSON-RPC method, the tool, the token's subject and client.
 */
export function logRequest(sink: LogSink, request: Request, status: number, startedAt: number, details: RequestDetails): void {
  const path = new URL(request.url).pathname;
  sink(
    JSON.stringify({
      time: new Date(startedAt).toISOString(),
      method: request.method,
      path: path.length > 200 ? `${path.slice(0, 200)}...` : path,
      status,
      durationMs: Date.now() - startedAt,
      ...details,
    }),
  );
}
