import { once } from "node:events";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";

export interface RunningServer {
  /** Where this process listens (not the public URL). */
  url: string;
  /** Stops accepting, lets requests in flight finish (at most `DRAIN_MS`), then resolves. */
  close(): Promise<void>;
}

/** How long a shutdown waits for requests in flight before it cuts their connections. */
export const DRAIN_MS = 10_000;

/**
 * Node's `(req, res)` for a web-standard handler (src/routes.ts). The body
 * stays unread until the handler reads it, so authentication happens before.
 */
export function toNodeListener(
  handler: (request: Request) => Promise<Response>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return getRequestListener((request) => handler(request));
}

/** Serves `listener` on `port` (every interface unless `host` is given); `cleanup` runs after the drain. */
export async function listen(
  listener: RequestListener,
  port: number,
  host: string | undefined,
  cleanup: () => Promise<void>,
): Promise<RunningServer> {
  const server = createServer(listener);
  server.listen(port, host);
  await once(server, "listening");
  let closing: Promise<void> | undefined;
  return { url: listenUrl(server.address() as AddressInfo), close: () => (closing ??= drain(server).then(cleanup)) };
}

/**
 * A graceful stop: no new connections, idle keep-alive connections closed at
 * once and busy ones as soon as their request is answered, and after
 * DRAIN_MS whatever is left.
 */
export function drain(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    idle.unref();
    cut.unref();
    server.close((error) => {
      clearInterval(idle);
      clearTimeout(cut);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/** The URL a listening socket answers on, for logs. */
export function listenUrl(address: AddressInfo): string {
  const host =
    address.address === "::" || address.address === "0.0.0.0"
      ? "localhost"
      : address.address.includes(":")
        ? `[${address.address}]`
        : address.address;
  return `http://${host}:${address.port}`;
}
