import type { RequestListener } from "node:http";
import type { Config } from "./auth/config.js";
import { listen, type RunningServer, toNodeListener } from "./http.js";
import { type AppOptions, createRoutes, type Routes } from "./routes.js";

export type { AppOptions, RunningServer };

/**
 * The HTTP layer, on `node:http`, in place of fastmcp's own (mcp-proxy), which
 * cannot send CORS headers on every answer, authenticate before it reads the
 * body, or answer a `tools/call` with 403 `insufficient_scope`. The MCP
 * endpoint, the metadata documents and /healthz are web-standard handlers
 * (src/routes.ts); the MCP request itself runs in a fastmcp session (src/mcp.ts).
 */
export function createApp(routes: Routes): RequestListener {
  const listeners = new Map(
    [routes.mcp, routes.metadata, routes.health, routes.notFound].map((handler) => [handler, toNodeListener(handler)]),
  );
  return (req, res) => {
    // The path as sent, never decoded or resolved, matched as a plain string.
    const handler = routes.match((req.url ?? "").split("?", 1)[0] ?? "") ?? routes.notFound;
    void listeners.get(handler)!(req, res);
  };
}

export function startServer(config: Config, options: AppOptions & { port: number; host?: string | undefined }): Promise<RunningServer> {
  const routes = createRoutes(config, options);
  return listen(createApp(routes), options.port, options.host, routes.close);
}
