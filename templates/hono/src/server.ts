import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { Config } from "./auth/config.js";
import { drain, listenUrl, type RunningServer } from "./http.js";
import { type AppOptions, createRoutes, type Routes } from "./routes.js";

export type { AppOptions, RunningServer };

/** The Hono app. The MCP endpoint, the metadata documents and /healthz are web-standard handlers (src/routes.ts). */
export function createApp(routes: Routes): Hono {
  const app = new Hono();

  app.use(async (c, next) => {
    const handler = routes.match(new URL(c.req.url).pathname);
    if (handler) return handler(c.req.raw);
    await next();
  });

  // Your own routes go here.

  app.notFound((c) => routes.notFound(c.req.raw));
  return app;
}

export function startServer(config: Config, options: AppOptions & { port: number; host?: string | undefined }): Promise<RunningServer> {
  const routes = createRoutes(config, options);
  const app = createApp(routes);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, (address) => {
      server.off("error", reject);
      let closing: Promise<void> | undefined;
      resolve({ url: listenUrl(address), close: () => (closing ??= drain(server as Server).then(routes.close)) });
    });
    server.once("error", reject);
  });
}
