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
import type { Command } from "commander";
import { CliError, EXIT } from "../core/errors.js";
import { collect, intOption, listValue } from "../core/flags.js";
import { BodyTooLargeError, formatBytes, MAX_BODY_BYTES, readBodyJson } from "../core/http-body.js";
import { whileAlive } from "../core/keep-alive.js";
import { oneLine, printableJson } from "../core/printable.js";
import { selfCommand } from "../core/self-command.js";
import { DEFAULT_ISSUER_URL } from "../issuer/token-usage.js";

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
      const doc = (await readBodyJson(res, MAX_BODY_BYTES)) as Record<string, unknown> | undefined;
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
  } catch (err) {
    const timedOut = err instanceof Error && err.name === "TimeoutError";
    throw new CliError(
      timedOut
        ? `the local issuer at ${base} accepted the connection but did not answer within ${ISSUER_TIMEOUT_MS / 1000} s: restart it with \`${startHint(cwd)}\`, or pass --issuer-url <url>.`
        : `no local issuer answers at ${base}. Start one with \`${startHint(cwd)}\` (and keep it running), or pass --issuer-url <url>.`,
      EXIT.environment,
    );
  }
  let json: Record<string, unknown> | undefined;
  try {
    const parsed = await readBodyJson(res, MAX_BODY_BYTES);
    json = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch (err) {
    const why =
      err instanceof BodyTooLargeError
        ? `answered ${pathname} with a body over ${formatBytes(MAX_BODY_BYTES)}`
        : err instanceof Error && err.name === "TimeoutError"
          ? `did not finish its answer to ${pathname} within ${ISSUER_TIMEOUT_MS / 1000} s`
          : `broke off its answer to ${pathname} (${oneLine(err instanceof Error ? err.message : String(err), 120)})`;
    throw new CliError(`${base} ${why}: is it a create-mcp-auth local issuer? Start one with \`${startHint(cwd)}\`.`, EXIT.environment);
  }
  return { status: res.status, json };
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The claims of a JWT-shaped string; undefined when it is not one. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  if (token.length > 64 * 1024 || !JWT.test(token)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as unknown;
    return claims && typeof claims === "object" && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function runTokenCommand(o: TokenCommandOptions = {}): Promise<number> {
  try {
    return await whileAlive(() => tokenCommand(o));
  } catch (err) {
    if (err instanceof CliError) throw err;
    // Whatever else goes wrong is said in one line (its output is often captured by $(...): stderr is all one sees).
    throw new CliError(`issuer token stopped: ${oneLine(err instanceof Error ? err.message : String(err), 300)}`, EXIT.environment);
  }
}

async function tokenCommand(o: TokenCommandOptions): Promise<number> {
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
    const why =
      typeof minted.json?.error_description === "string"
        ? oneLine(minted.json.error_description, 200)
        : typeof token === "string" || token === undefined
          ? `HTTP ${minted.status}`
          : `HTTP ${minted.status}, "token" is not a string`;
    throw new CliError(
      `the issuer at ${base} did not mint a token: ${why}`,
      minted.status >= 400 && minted.status < 500 ? EXIT.usage : EXIT.environment,
    );
  }
  // The token goes to stdout as is, often into $(...) and an Authorization header: only a JWT's characters.
  const claims = jwtClaims(token);
  if (!claims) {
    throw new CliError(
      `the issuer at ${base} answered /_dev/mint with something that is not a JWT (${oneLine(JSON.stringify(token), 80)}): is it a create-mcp-auth local issuer?`,
      EXIT.environment,
    );
  }
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
    stdout.write(`${printableJson(summary)}\n`);
  } else {
    stdout.write(`${token}\n`);
    const aud = oneLine([claims.aud ?? []].flat().map(String).join(", "), 300);
    stderr.write(
      `create-mcp-auth: token for ${aud} (from ${audienceFrom}), scopes ${scopes.length ? oneLine(scopes.join(" "), 300) : "(none)"} (from ${scopesFrom}), ` +
        `sub ${oneLine(String(claims.sub), 120)}, expires in ${String(summary.expiresIn)} s\n`,
    );
  }
  return EXIT.ok;
}

/** `issuer token`, registered under the `issuer` command. */
export function registerIssuerToken(issuer: Command, setExit: (code: number) => void): Command {
  return issuer
    .command("token")
    .description("print an access token from a running local issuer, for the project in this directory")
    .option("--scopes <list>", "scopes, comma or space separated (default: every scope the project's server declares)")
    .option("--sub <subject>", "the token subject (default: usr_local)")
    .option("--expires-in <seconds>", "lifetime (default: the issuer's token lifetime)", intOption("--expires-in", 1, 31536000))
    .option("--issuer-url <url>", "URL of the running local issuer (default: http://127.0.0.1:4444)")
    .option("--audience <value>", "token audience, repeatable (default: the project's server, see below)", collect)
    .option("--json", "print { token, issuer, audience, scopes, ... } as JSON instead of the bare token")
    .option("--verbose", "on an unexpected error (a bug), print its stack trace")
    .addHelpText(
      "after",
      `
What it picks without flags: in a project directory (MCP_SERVER_URL set in the
environment or in ./.env), the audience and scopes come from the server's
protected resource metadata (its \`resource\` and \`scopes_supported\`) when the
server is running, else from MCP_SERVER_URL and the issuer's --scopes; the
project's SCALEKIT_RESOURCE_ID / OIDC_AUDIENCE are added to the audience.
Outside a project: the issuer's resource id and scopes. The token goes to
stdout alone, what was picked to stderr.

Exit code: 0, 2 on bad usage, 3 when no local issuer answers.

Examples:
  $ npx create-mcp-auth issuer token
  $ npx create-mcp-auth issuer token --scopes todo:read --expires-in 300
  $ curl -s http://localhost:3000/mcp -H "Authorization: Bearer $(npx create-mcp-auth issuer token)" \\
      -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" \\
      -H "MCP-Protocol-Version: 2025-11-25" -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'`,
    )
    .exitOverride()
    .action(async (opts: Record<string, unknown>) => {
      const scopes = listValue(opts.scopes);
      setExit(
        await runTokenCommand({
          ...(scopes ? { scopes } : {}),
          sub: opts.sub as string | undefined,
          expiresIn: opts.expiresIn as number | undefined,
          issuerUrl: opts.issuerUrl as string | undefined,
          audience: opts.audience as string[] | undefined,
          json: Boolean(opts.json),
        }),
      );
    });
}
