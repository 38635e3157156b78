import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from "express";
import { createAuthorizer } from "./auth/authorize.js";
import type { Challenge } from "./auth/challenge.js";
import type { Config } from "./auth/config.js";
import { metadataHeaders, prmPaths, protectedResourceMetadata } from "./auth/metadata.js";
import { ScalekitTokenVerifier } from "./auth/verifier.js";
import {
  listen,
  MAX_BODY_BYTES,
  mcpCorsHeaders,
  mcpPreflightHeaders,
  METHOD_NOT_ALLOWED,
  BODY_NOT_JSON,
  BODY_TOO_LARGE,
  BODY_WRONG_TYPE,
  INTERNAL_ERROR,
  runMcpRequest,
  type AppOptions,
  type BodyError,
  type RunningServer,
} from "./http.js";
import { createMcpServer } from "./mcp.js";

export type { AppOptions, RunningServer };

export function createApp(config: Config, options: AppOptions = {}): express.Express {
  const auth = createAuthorizer(config, options.verifier ?? new ScalekitTokenVerifier(config));
  const parseJson = express.json({ limit: MAX_BODY_BYTES });
  const metadata = protectedResourceMetadata(config);
  const app = express();
  app.disable("x-powered-by");

  // The MCP endpoint first: it takes nearly every request.
  app.use(
    onPath(config.mcpPath, async (req, res) => {
      res.set(mcpCorsHeaders);
      if (req.method === "OPTIONS") return void res.set(mcpPreflightHeaders).status(204).end();

      // Authenticate from the header before reading any body.
      const authenticated = await auth.authenticate(req.get("authorization"));
      if (!authenticated.ok) return sendChallenge(res, authenticated.challenge);

      if (req.method !== "POST") return void res.set("Allow", "POST, OPTIONS").status(405).json(METHOD_NOT_ALLOWED);

      const bodyError = await readJson(parseJson, req, res);
      if (bodyError) return void res.status(bodyError.status).json(bodyError.body);

      // The scopes a tool needs are checked here: a tool handler cannot answer 403.
      const authorized = auth.authorize(authenticated.value, req.body);
      if (!authorized.ok) return sendChallenge(res, authorized.challenge);

      await runMcpRequest(createMcpServer(), req, res, req.body, authorized.value);
    }),
  );

  const { pathSuffixed, root } = prmPaths(config);
  for (const path of new Set([pathSuffixed, root])) {
    app.use(
      onPath(path, (req, res) => {
        res.set(metadataHeaders);
        if (req.method === "OPTIONS") return void res.status(204).end();
        if (req.method !== "GET" && req.method !== "HEAD") {
          return void res.set("Allow", "GET, HEAD, OPTIONS").status(405).json({ error: "method_not_allowed" });
        }
        res.json(metadata);
      }),
    );
  }

  app.use((_req, res) => void res.status(404).json({ error: "not_found" }));
  app.use(errorHandler);
  return app;
}

export function startServer(
  config: Config,
  options: AppOptions & { port: number; host?: string | undefined },
): Promise<RunningServer> {
  return listen(createApp(config, options), options.port, options.host);
}

/** Runs `handler` for `path` (and `path/`) only; matched as a plain string, never as an Express pattern. */
function onPath(path: string, handler: (req: Request, res: Response) => void | Promise<void>): RequestHandler {
  return (req, res, next) => {
    if (req.path !== path && req.path !== `${path}/`.replace("//", "/")) return next();
    Promise.resolve(handler(req, res)).catch(next);
  };
}

function sendChallenge(res: Response, challenge: Challenge): void {
  res.status(challenge.status).set(challenge.headers).json(challenge.body);
}

/** Parses the JSON body; a bad body is a JSON-RPC error, not a 500. */
function readJson(parser: RequestHandler, req: Request, res: Response): Promise<BodyError | undefined> {
  return new Promise((resolve) => {
    parser(req, res, (error?: unknown) => {
      const type = (error as { type?: unknown } | undefined)?.type;
      if (type === "entity.too.large") resolve(BODY_TOO_LARGE);
      else if (error) resolve(BODY_NOT_JSON);
      else if (req.body === undefined) resolve(BODY_WRONG_TYPE);
      else resolve(undefined);
    });
  });
}

const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  console.error(`[server] ${error instanceof Error ? error.message : String(error)}`);
  if (res.headersSent) return void res.end();
  res.status(500).json(INTERNAL_ERROR);
};
