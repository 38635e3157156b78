import type { Config } from "./auth/config.js";
import { metadataHeaders, prmPaths, protectedResourceMetadata } from "./auth/metadata.js";
import { createVerifier } from "./auth/provider.js";
import type { TokenVerifier } from "./auth/verifier.js";
import { createEndpoint } from "./endpoint.js";
import { type LogSink, logRequest, type RequestDetails, stdoutLog } from "./log.js";
import { createMcpRunner, type McpRunner } from "./mcp.js";

/** What every framework adapter (src/server.ts) takes. */
export interface AppOptions {
  /** Replaces the authorization server's verifier (tests, benchmarks). */
  verifier?: TokenVerifier;
  /** Where the request log goes. Default: stdout; `() => {}` turns it off. */
  log?: LogSink;
}

type Handler = (request: Request) => Promise<Response>;

/** The routes every framework serves, as web-standard handlers; the adapters only route to them. */
export interface Routes {
  /** Paths of each route, matched as plain strings (and with one trailing slash). */
  paths: { mcp: string; metadata: string[]; health: string };
  mcp: Handler;
  metadata: Handler;
  health: Handler;
  notFound: Handler;
  /** The route for a request path, if one of these serves it. */
  match(pathname: string): Handler | undefined;
  /** Ends what is still running after the HTTP server has drained. */
  close(): Promise<void>;
}

export function createRoutes(config: Config, options: AppOptions = {}): Routes {
  const sink = options.log ?? stdoutLog;
  const runner: McpRunner = createMcpRunner();
  const endpoint = createEndpoint(config, options.verifier ?? createVerifier(config), runner);
  const metadata = JSON.stringify(protectedResourceMetadata(config));
  const { pathSuffixed, root } = prmPaths(config);

  /** Runs a handler and logs one line for it; an unexpected error is a 500 without details. */
  const logged =
    (handler: (request: Request, details: RequestDetails) => Promise<Response> | Response): Handler =>
    async (request) => {
      const startedAt = Date.now();
      const details: RequestDetails = {};
      let response: Response;
      try {
        response = await handler(request, details);
      } catch (error) {
        console.error(`[server] ${error instanceof Error ? error.message : String(error)}`);
        response = Response.json({ jsonrpc: "2.0", error: { code: -32603, message: "Internal error" } }, { status: 500 });
      }
      logRequest(sink, request, response.status, startedAt, details);
      return response;
    };

  const paths = { mcp: config.mcpPath, metadata: [...new Set([pathSuffixed, root])], health: "/healthz" };
  const routes: Routes = {
    paths,
    match: (pathname) =>
      matchesPath(pathname, paths.mcp)
        ? routes.mcp
        : paths.metadata.some((path) => matchesPath(pathname, path))
          ? routes.metadata
          : matchesPath(pathname, paths.health)
            ? routes.health
            : undefined,
    mcp: logged((request, details) => endpoint.handle(request, details)),
    // Public, for any origin: clients read it before they have a token (RFC 9728).
    metadata: logged((request) => {
      if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: metadataHeaders });
      if (request.method !== "GET" && request.method !== "HEAD") {
        return Response.json(
          { error: "method_not_allowed" },
          { status: 405, headers: { ...metadataHeaders, Allow: "GET, HEAD, OPTIONS" } },
        );
      }
      return new Response(request.method === "HEAD" ? null : metadata, {
        headers: { ...metadataHeaders, "Content-Type": "application/json" },
      });
    }),
    // For load balancers and container health checks: no auth, and nothing about the configuration.
    health: logged((request) =>
      request.method === "GET" || request.method === "HEAD"
        ? Response.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } })
        : Response.json({ error: "method_not_allowed" }, { status: 405, headers: { Allow: "GET, HEAD" } }),
    ),
    notFound: logged(() => Response.json({ error: "not_found" }, { status: 404 })),
    close: () => runner.close(),
  };
  return routes;
}

/**
 * True when `pathname` is `path` or `path` with one trailing slash, compared
 * as plain strings, never as a router pattern: the path of MCP_SERVER_URL may
 * hold ':' or '*' or percent escapes.
 */
function matchesPath(pathname: string, path: string): boolean {
  return pathname === path || pathname === `${path}/`.replace("//", "/");
}
