import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import type { Config } from "./auth/config.js";
import { drain, listenUrl, type RunningServer, toNodeListener } from "./http.js";
import { type AppOptions, createRoutes, type Routes } from "./routes.js";

export type { AppOptions, RunningServer };

/**
 * The Fastify app. The MCP endpoint, the metadata documents and /healthz are
 * web-standard handlers (src/routes.ts), answered from an onRequest hook,
 * before Fastify reads a body: the MCP endpoint authenticates first and reads
 * its own body.
 */
export function createApp(routes: Routes): FastifyInstance {
  const app = Fastify({
    logger: false, // src/routes.ts logs one line per request
    requestTimeout: 300_000, // Node's default, which Fastify turns off
  });
  const listeners = new Map([routes.mcp, routes.metadata, routes.health].map((handler) => [handler, toNodeListener(handler)]));

  app.addHook("onRequest", async (request, reply) => {
    const handler = routes.match((request.raw.url ?? "/").split("?", 1)[0]!);
    if (!handler) return;
    reply.hijack(); // answered on the raw response below; Fastify sends nothing
    await listeners.get(handler)!(request.raw, reply.raw);
  });

  // Your own routes go here.

  const notFound = toNodeListener(routes.notFound);
  app.setNotFoundHandler(async (request, reply) => {
    reply.hijack();
    await notFound(request.raw, reply.raw);
  });
  return app;
}

export async function startServer(
  config: Config,
  options: AppOptions & { port: number; host?: string | undefined },
): Promise<RunningServer> {
  const routes = createRoutes(config, options);
  const app = createApp(routes);
  await app.ready();
  // Listening through Node's server keeps the same graceful stop as the other adapters.
  app.server.listen(options.port, options.host);
  await new Promise<void>((resolve, reject) => {
    app.server.once("listening", resolve);
    app.server.once("error", reject);
  });
  let closing: Promise<void> | undefined;
  return {
    url: listenUrl(app.server.address() as AddressInfo),
    close: () => (closing ??= drain(app.server).then(routes.close)),
  };
}
