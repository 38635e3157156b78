/**
 * One JSON line per request on stdout: when it started, the method, the path,
 * the status and how long the answer took in milliseconds, e.g.
 * {"time":"2026-07-28T12:00:00.000Z","method":"POST","path":"/mcp","status":200,"ms":4}
 * Never the query string (a token someone put there stays out of the log),
 * never a header. Startup messages and errors go to stderr.
 */
export function logRequest(method: string, url: string, status: number, startedAt: number): void {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  const line = JSON.stringify({
    time: new Date(startedAt).toISOString(),
    method,
    path: path.length > 200 ? `${path.slice(0, 200)}...` : path,
    status,
    ms: Math.max(0, Math.round(Date.now() - startedAt)),
  });
  // Lines of one turn of the event loop go out in one write: a write per request to a pipe
  // blocks the process on Linux, a measurable share of the CPU under load.
  if (pending.push(line) === 1) setImmediate(flush);
}

let pending: string[] = [];

function flush(): void {
  if (pending.length === 0) return;
  const text = `${pending.join("\n")}\n`;
  pending = [];
  process.stdout.write(text);
}

process.on("exit", flush);
