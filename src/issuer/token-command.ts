/**
 * `create-mcp-auth issuer token`: one access token from a running local issuer
 * (POST /_dev/mint), for the project in the current directory.
 *
 * What it picks, unless a flag says otherwise:
 * - issuer: http://127.0.0.1:4444 (the local-mode issuer URL);
 * - audience and scopes: in a project (MCP_SERVER_URL in the environment or
 *   ./.env), the `resource` and `scopes_supported` of the server's protected
 *   resource metadata when the server is running; else MCP_SERVER_URL and the
 *   issuer's configured scopes. The project's accepted audiences
 *   (SCALEKIT_RESOURCE_ID, OIDC_AUDIENCE) are added. Outside a project: the
 *   issuer's resource id and configured scopes.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { selfCommand } from "../core/self-command.js";
import { CliError, EXIT } from "../errors.js";

export const DEFAULT_ISSUER_URL = "http://127.0.0.1:4444";
const ISSUER_TIMEOUT_MS = 5_000;
const PRM_TIMEOUT_MS = 2_000;

export interface TokenCommandOptions {
  scopes?: string[];
  sub?: string;
  expiresIn?: number;
  issuerUrl?: string;
  audience?: string[];
  json?: boolean;
  /** The project directory (default: process.cwd()). */
  cwd?: string;
  /** The environment (default: process.env); its values win over ./.env, as in a generated project. */
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/** The command that prints a token, as a user types it (with --issuer-url when not the default). */
export function tokenCommandLine(issuerUrl: string, prefix = selfCommand()): string {
  return `${prefix} issuer token${issuerUrl === DEFAULT_ISSUER_URL ? "" : ` --issuer-url ${issuerUrl}`}`;
}

/** A complete tools/list call with a fresh token, for the README and the issuer's banner; no token, no call. */
export function curlExample(issuerUrl: string, serverUrl = "http://localhost:3000/mcp", prefix = selfCommand()): string {
  return [
    `TOKEN=$(${tokenCommandLine(issuerUrl, prefix)}) &&`,
    `curl -s ${serverUrl} \\`,
    `  -H "Authorization: Bearer $TOKEN" \\`,
    `  -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" \\`,
    `  -H "MCP-Protocol-Version: 2025-11-25" \\`,
    `  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'`,
  ].join("\n");
}

interface ProjectSettings {
  serverUrl?: string;
  /** Audiences the project's server accepts besides its URL. */
  extraAudiences: string[];
  /** Where MCP_SERVER_URL came from. */
  from?: string;
}

/** MCP_SERVER_URL and the accepted audiences, from the environment or ./.env (environment wins). */
export function readProjectSettings(cwd: string, env: NodeJS.ProcessEnv): ProjectSettings {
  const file = path.join(cwd, ".env");
  let dotenv: NodeJS.Dict<string> = {};
  if (existsSync(file)) {
    try {
      dotenv = parseEnv(readFileSync(file, "utf8"));
    } catch {
      dotenv = {};
    }
  }
  const get = (name: string): { value: string; from: string } | undefined => {
    if (env[name]) return { value: env[name]!, from: `${name} (environment)` };
    if (dotenv[name]) return { value: dotenv[name]!, from: `${name} (./.env)` };
    return undefined;
  };
  const server = get("MCP_SERVER_URL");
  const list = (name: string) =>
    (get(name)?.value ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  return {
    serverUrl: server?.value,
    from: server?.from,
    extraAudiences: [...list("SCALEKIT_RESOURCE_ID"), ...list("OIDC_AUDIENCE")],
  };
}

interface Prm {
  resource: string;
  scopes?: string[];
}

/** The server's protected resource metadata (path-suffixed, then root), or undefined when it does not answer. */
async function fetchPrm(serverUrl: string): Promise<Prm | undefined> {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    return undefined;
  }
  const pathPart = url.pathname.replace(/\/+$/, "");
  const candidates = [
    `${url.origin}/.well-known/oauth-protected-resource${pathPart}`,
    `${url.origin}/.well-known/oauth-protected-resource`,
  ];
  for (const candidate of [...new Set(candidates)]) {
    try {
      const res = await fetch(candidate, {
        headers: { Accept: "application/json" },
        redirect: "manual",
        signal: AbortSignal.timeout(PRM_TIMEOUT_MS),
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        continue;
      }
      const doc = (await res.json()) as Record<string, unknown>;
      if (typeof doc?.resource !== "string") continue;
      const scopes = Array.isArray(doc.scopes_supported)
        ? doc.scopes_supported.filter((s): s is string => typeof s === "string")
        : undefined;
      return { resource: doc.resource, ...(scopes ? { scopes } : {}) };
    } catch {
      // Not running, or not JSON: try the next form, then fall back.
    }
  }
  return undefined;
}

function startHint(cwd: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(cwd, "package.json"), "utf8")) as { scripts?: Record<string, unknown> };
    if (typeof pkg.scripts?.issuer === "string") return "npm run issuer";
  } catch {
    // not a project with an issuer script
  }
  return `${selfCommand()} issuer`;
}

async function issuerCall(
  base: string,
  pathname: string,
  cwd: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  let res: Response;
  try {
    res = await fetch(`${base}${pathname}`, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: "manual",
      signal: AbortSignal.timeout(ISSUER_TIMEOUT_MS),
    });
  } catch {
    throw new CliError(
      `no local issuer answers at ${base}. Start one with \`${startHint(cwd)}\` (and keep it running), or pass --issuer-url <url>.`,
      EXIT.environment,
    );
  }
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = await res.json();
    json = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

export async function runTokenCommand(o: TokenCommandOptions = {}): Promise<number> {
  const stdout = o.stdout ?? process.stdout;
  const stderr = o.stderr ?? process.stderr;
  const cwd = o.cwd ?? process.cwd();
  const env = o.env ?? process.env;
  const base = (o.issuerUrl ?? DEFAULT_ISSUER_URL).replace(/\/+$/, "");
  let parsedBase: URL;
  try {
    parsedBase = new URL(base);
  } catch {
    throw new CliError(`--issuer-url must be an absolute http(s) URL, got ${JSON.stringify(base)}`, EXIT.usage);
  }
  if (parsedBase.protocol !== "http:" && parsedBase.protocol !== "https:") {
    throw new CliError(`--issuer-url must be an http(s) URL, got ${JSON.stringify(base)}`, EXIT.usage);
  }

  const info = await issuerCall(base, "/_dev/info", cwd);
  if (info.status !== 200 || typeof info.json?.resourceId !== "string" || typeof info.json?.issuer !== "string") {
    throw new CliError(
      `${base} is not a create-mcp-auth local issuer (GET /_dev/info answered HTTP ${info.status}). Start one with \`${startHint(cwd)}\`.`,
      EXIT.environment,
    );
  }
  const issuerScopes = Array.isArray(info.json.scopes) ? info.json.scopes.filter((s): s is string => typeof s === "string") : [];

  const project = readProjectSettings(cwd, env);
  const needPrm = project.serverUrl !== undefined && (o.audience === undefined || o.scopes === undefined);
  const prm = needPrm ? await fetchPrm(project.serverUrl!) : undefined;

  let audience: string[] | undefined;
  let audienceFrom: string;
  if (o.audience?.length) {
    audience = o.audience;
    audienceFrom = "--audience";
  } else if (project.serverUrl !== undefined) {
    const resource = prm?.resource ?? project.serverUrl;
    audience = [...new Set([resource, ...project.extraAudiences])];
    audienceFrom = prm ? "the server's protected resource metadata" : `${project.from} (the server is not running)`;
  } else {
    audience = undefined; // the issuer's default: its resource id
    audienceFrom = "the issuer's resource id (no MCP_SERVER_URL here)";
  }

  let scopes: string[];
  let scopesFrom: string;
  if (o.scopes !== undefined) {
    scopes = o.scopes;
    scopesFrom = "--scopes";
  } else if (prm?.scopes) {
    scopes = prm.scopes;
    scopesFrom = "the server's scopes_supported";
  } else {
    scopes = issuerScopes;
    scopesFrom = "the issuer's --scopes";
  }

  const mintOptions = {
    scopes,
    ...(audience ? { audience } : {}),
    ...(o.sub !== undefined ? { sub: o.sub } : {}),
    ...(o.expiresIn !== undefined ? { expiresIn: o.expiresIn } : {}),
  };
  const minted = await issuerCall(base, "/_dev/mint", cwd, mintOptions);
  const token = minted.json?.token;
  if (minted.status !== 200 || typeof token !== "string") {
    const why = typeof minted.json?.error_description === "string" ? minted.json.error_description : `HTTP ${minted.status}`;
    throw new CliError(
      `the issuer at ${base} did not mint a token: ${why}`,
      minted.status >= 400 && minted.status < 500 ? EXIT.usage : EXIT.environment,
    );
  }
  const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  const summary = {
    token,
    issuer: claims.iss,
    audience: claims.aud,
    scopes,
    sub: claims.sub,
    expiresIn: typeof claims.exp === "number" && typeof claims.iat === "number" ? claims.exp - claims.iat : undefined,
    from: { audience: audienceFrom, scopes: scopesFrom },
  };
  if (o.json) {
    stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    stdout.write(`${token}\n`);
    const aud = [claims.aud ?? []].flat().join(", ");
    stderr.write(
      `create-mcp-auth: token for ${aud} (from ${audienceFrom}), scopes ${scopes.length ? scopes.join(" ") : "(none)"} (from ${scopesFrom}), ` +
        `sub ${String(claims.sub)}, expires in ${String(summary.expiresIn)} s\n`,
    );
  }
  return EXIT.ok;
}
