import { once } from "node:events";
import { Agent, createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import type { FastMCP } from "fastmcp";
import { createAuthorizer } from "./auth/authorize.js";
import type { Config } from "./auth/config.js";
import { ScalekitTokenVerifier } from "./auth/verifier.js";
import { createFront } from "./front.js";
import { listenUrl, type AppOptions, type RunningServer } from "./http.js";
import { createMcpServer, type Caller } from "./mcp.js";

export type { AppOptions, Caller, RunningServer };

const LOOPBACK = "127.0.0.1";
const UPSTREAM_PATH = "/mcp";

/**
 * The FastMCP instance (not started). `startServer` runs it behind the front
 * of src/front.ts; started on its own with `.start()`, it would miss the
 * challenges, the 403 and the metadata documents that only the front serves.
 */
export function createApp(config: Config, options: AppOptions = {}): FastMCP<Caller> {
  return createMcpServer(createAuthorizer(config, options.verifier ?? new ScalekitTokenVerifier(config)));
}

/**
 * fastmcp (stateless, JSON responses) on a free loopback port, and the public
 * front on `port`: CORS, metadata, challenges and the scope check, then the
 * request is handed to fastmcp.
 */
export async function startServer(
  config: Config,
  options: AppOptions & { port: number; host?: string | undefined },
): Promise<RunningServer> {
  // One verifier for the front and fastmcp: one key cache, one fetch at a time.
  const verifier = options.verifier ?? new ScalekitTokenVerifier(config);
  const mcp = createApp(config, { ...options, verifier });
  const agent = new Agent({ keepAlive: true, timeout: 5_000 });
  const upstream = { host: LOOPBACK, port: await startUpstream(mcp), path: UPSTREAM_PATH, agent };
  const front = createServer(createFront(config, createAuthorizer(config, verifier), upstream));
  const stopUpstream = async () => {
    await mcp.stop();
    agent.destroy();
  };

  try {
    front.listen(options.port, options.host);
    await once(front, "listening");
  } catch (error) {
    await stopUpstream();
    throw error;
  }
  return {
    url: listenUrl(front.address() as AddressInfo),
    close: async () => {
      await closeServer(front);
      await stopUpstream();
    },
  };
}

/** mcp-proxy (fastmcp's HTTP layer) does not tell which port it got, so a free one is picked first. */
async function startUpstream(mcp: FastMCP<Caller>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    try {
      await mcp.start({
        transportType: "httpStream",
        httpStream: { host: LOOPBACK, port, basePath: "/", endpoint: UPSTREAM_PATH, stateless: true, enableJsonResponse: true, cors: false },
      });
      return port;
    } catch (error) {
      // Another process took the port in between: pick again.
      if (attempt >= 3 || (error as { code?: unknown }).code !== "EADDRINUSE") throw error;
    }
  }
}

async function freeLoopbackPort(): Promise<number> {
  const probe = createNetServer().listen(0, LOOPBACK);
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5_000).unref();
  });
}
