import express from "express";
import type { Config } from "./auth/config.js";
import { listen, type RunningServer, toNodeListener } from "./http.js";
import { type AppOptions, createRoutes, type Routes } from "./routes.js";

export type { AppOptions, RunningServer };

/**
 * The Express app. The MCP endpoint, the metadata documents and /healthz are
 * web-standard handlers (src/routes.ts); the MCP endpoint reads its own body,
 * so it comes before any body parser: add your own routes (and their
 * `express.json()`) below it.
 */
export function createApp(routes: Routes): express.Express {
  const app = express();
  app.disable("x-powered-by");
  const listeners = new Map([routes.mcp, routes.metadata, routes.health].map((handler) => [handler, toNodeListener(handler)]));

  app.use((req, res, next) => {
    const handler = routes.match(req.path);
    if (!handler) return next();
    void listeners.get(handler)!(req, res);
  });

  // Your own routes go here.

  const notFound = toNodeListener(routes.notFound);
  app.use((req, res) => void notFound(req, res));
  return app;
}

export function startServer(config: Config, options: AppOptions & { port: number; host?: string | undefined }): Promise<RunningServer> {
  const routes = createRoutes(config, options);
  return listen(createApp(routes), options.port, options.host, routes.close);
}
