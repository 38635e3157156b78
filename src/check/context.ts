/** What the probes share: the endpoint, the discovery documents, the issuer, tokens, eras and findings. */
import type { MintOptions } from "../issuer/types.js";
import {
  describeError,
  describeStatus,
  type HttpResult,
  initializeRequest,
  isSuccess,
  jsonRpc,
  jsonRpcResponse,
  mcpHeaders,
  modernRequest,
  oneLine,
  request,
} from "./http.js";
import { connectIssuer } from "./issuer-client.js";
import {
  type AuthServerLookup,
  authorizationServerProblem,
  type Discovery,
  discover,
  fetchKeySet,
  type KeySet,
  lookupAuthServer,
} from "./metadata.js";
import { Skip } from "./probe.js";
import type { CheckOptions, EraName, IssuerHandle, ToolChoice } from "./types.js";

export interface ToolInfo {
  name: string;
  inputSchema?: unknown;
  annotations?: { destructiveHint?: boolean };
}

/** The tools of a tools/list result; undefined when it has no tools array. */
export function toolsOf(result: Record<string, unknown> | undefined): ToolInfo[] | undefined {
  const tools = result?.tools;
  if (!Array.isArray(tools)) return undefined;
  return tools
    .filter((t) => typeof t?.name === "string")
    .map((t) => ({ name: t.name as string, inputSchema: t.inputSchema, annotations: t.annotations }));
}

/** Tools the check may call with made-up arguments: not those marked destructive, unless the user chose one. */
export function callableTools(ctx: { tool: ToolChoice | undefined }, tools: ToolInfo[]): ToolInfo[] {
  return tools.filter((t) => t.annotations?.destructiveHint !== true || t.name === ctx.tool?.name);
}

/** The two protocol eras, as the SDK names them: `legacy` (initialize, 2024-10-07 … 2025-11-25) and `modern` (2026-07-28). */
export type Era = "legacy" | "modern";
export const ERA_NAME: Record<Era, EraName> = { legacy: "2025", modern: "2026-07-28" };

/** Whether a raw request of one era, with a valid token, was served. */
export interface EraAnswer {
  served: boolean;
  /** What was seen: "HTTP 200", "HTTP 400: Unsupported protocol version ...". */
  seen: string;
}

/** What one probe learns and a later one uses. */
export interface Findings {
  /** tools/list with a token holding every supported scope. */
  tools?: ToolInfo[];
  /** Per era: a tool refused with 403 insufficient_scope to a token without scopes, and the scopes the challenge named. */
  scoped: Partial<Record<Era, { name: string; scopes: string[] }>>;
  /** Tools that a token without scopes may call. */
  openTools?: string[];
  /** The finding shown before every other. */
  headline?: string;
}

/** The answer to the last request of a raw MCP exchange (initialize, notifications/initialized, the call). */
export interface McpExchange {
  /** "initialize" when the server refused the initialize request itself. */
  stage: string;
  response: HttpResult;
}

function memo<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

export const DEFAULT_TIMEOUT_MS = 5000;
export const NEEDS_ISSUER = "needs --issuer <url> (a local issuer that mints test tokens)";
export const NEEDS_TOKEN = "needs --issuer <url> or --token <token> (a valid access token)";

const withoutSlash = (u: string): string => u.replace(/\/+$/, "");

/** Why the issuer is not one the server trusts, or undefined when it is (or when the PRM does not say). */
export function issuerMismatch(issuer: IssuerHandle, authorizationServers: unknown): string | undefined {
  if (!Array.isArray(authorizationServers)) return undefined;
  const advertised = authorizationServers.filter((s): s is string => typeof s === "string");
  if (advertised.length === 0) return undefined;
  const ours = [...new Set([issuer.authorizationServer, issuer.issuer])];
  if (advertised.some((a) => ours.some((o) => withoutSlash(a) === withoutSlash(o)))) return undefined;
  return (
    `--issuer ${issuer.url} is the authorization server ${ours.join(" (iss ")}${ours.length > 1 ? ")" : ""}, ` +
    `but the server advertises ${advertised.map((a) => oneLine(a, 120)).join(", ")} (authorization_servers): ` +
    `it would refuse every token this issuer mints; start the server against this issuer or give the issuer it trusts`
  );
}

export class CheckContext {
  readonly url: URL;
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly userToken: string | undefined;
  readonly tool: ToolChoice | undefined;
  readonly issuerUrl: string | undefined;
  readonly findings: Findings = { scoped: {} };
  private readonly issuerOption: string | IssuerHandle | undefined;

  constructor(o: CheckOptions) {
    this.url = new URL(o.url);
    this.endpoint = o.url;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userToken = o.token || undefined;
    this.tool = typeof o.tool === "string" ? { name: o.tool } : o.tool;
    this.issuerOption = o.issuer;
    this.issuerUrl = typeof o.issuer === "string" ? o.issuer : o.issuer?.url;
  }

  /** The PRM documents and the answer to a request without credentials, fetched once, together. */
  readonly discovery = memo((): Promise<Discovery> => discover(this.url, this.timeoutMs, () => this.post(undefined)));

  /** The AS metadata lookup for authorization_servers[0]; undefined without one. */
  readonly authServer = memo(async (): Promise<AuthServerLookup | undefined> => {
    const { prm } = await this.discovery();
    const servers = prm?.authorization_servers;
    const first = Array.isArray(servers) ? servers[0] : undefined;
    // file:, data:, plain http to a public host...: never fetched (prm.fields says why).
    if (typeof first !== "string" || authorizationServerProblem(first)) return undefined;
    return lookupAuthServer(first, this.timeoutMs);
  });

  /** The authorization server's published keys, found through PRM -> AS metadata -> jwks_uri (no issuer needed). */
  readonly keySet = memo(async (): Promise<KeySet> => {
    const lookup = await this.authServer();
    const jwksUri = lookup?.found?.doc?.jwks_uri;
    if (!lookup?.found?.doc) return { problem: "no authorization server metadata (see as.metadata)" };
    if (typeof jwksUri !== "string") return { problem: "the authorization server metadata has no jwks_uri, so its tokens may not be JWTs" };
    const unusable = authorizationServerProblem(jwksUri);
    if (unusable) return { problem: `jwks_uri ${oneLine(jwksUri, 120)} ${unusable}` };
    return fetchKeySet(jwksUri, this.timeoutMs);
  });

  /** The issuer handle: the in-process object, or the /_dev client of a URL (rejects when unreachable). */
  readonly connectIssuer = memo(async (): Promise<IssuerHandle | undefined> => {
    const o = this.issuerOption;
    if (o === undefined) return undefined;
    return typeof o === "string" ? connectIssuer(o, this.timeoutMs) : o;
  });

  /** Why --issuer is not an authorization server this server trusts; undefined when it is. */
  readonly issuerProblem = memo(async (): Promise<string | undefined> => {
    const issuer = await this.connectIssuer().catch(() => undefined);
    if (!issuer) return undefined;
    return issuerMismatch(issuer, (await this.discovery()).prm?.authorization_servers);
  });

  get hasIssuer(): boolean {
    return this.issuerOption !== undefined;
  }

  /** The issuer, or a Skip naming why there is none (or why it cannot be used). */
  async issuer(): Promise<IssuerHandle> {
    if (!this.hasIssuer) throw new Skip(NEEDS_ISSUER);
    let issuer: IssuerHandle | undefined;
    try {
      issuer = await this.connectIssuer();
    } catch {
      throw new Skip("the local issuer is unavailable (see issuer.reachable)");
    }
    if (await this.issuerProblem()) throw new Skip("--issuer is not an authorization server this server names (see issuer.reachable)");
    return issuer!;
  }

  /** The PRM `resource` plus the issuer's resource id: what Scalekit puts in `aud`. */
  async audience(): Promise<string[]> {
    const issuer = await this.issuer();
    const { prm } = await this.discovery();
    const resource = typeof prm?.resource === "string" ? prm.resource : this.endpoint;
    return [resource, issuer.resourceId];
  }

  async scopesSupported(): Promise<string[] | undefined> {
    const scopes = (await this.discovery()).prm?.scopes_supported;
    return Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : undefined;
  }

  /** A token for this server: right audience, every supported scope, unless overridden. */
  async mint(o: MintOptions = {}): Promise<string> {
    const issuer = await this.issuer();
    const scopes = await this.scopesSupported();
    return issuer.mint({ audience: await this.audience(), ...(scopes ? { scopes } : {}), ...o });
  }

  /** The first valid minted token (signed by the key the server saw first). */
  readonly mintedToken = memo(() => this.mint());

  /** A token to use against the server: the user's, else a minted one, else undefined. */
  readonly validToken = memo(async (): Promise<string | undefined> => {
    if (this.userToken) return this.userToken;
    if (!this.hasIssuer) return undefined;
    return this.mintedToken().catch(() => undefined);
  });

  /** A valid token, or a Skip saying what would give one. */
  async requireToken(): Promise<string> {
    const token = await this.validToken();
    if (!token) throw new Skip(this.hasIssuer ? "no valid token: the local issuer cannot be used (see issuer.reachable)" : NEEDS_TOKEN);
    return token;
  }

  /**
   * Which eras the server serves, asked with a valid token and raw requests:
   * 2026-07-28 `server/discover` (with the `_meta` envelope and Mcp-Method),
   * and the 2025 `initialize`. Undefined without a token.
   */
  readonly eras = memo(async (): Promise<Record<Era, EraAnswer> | undefined> => {
    const token = await this.validToken();
    if (!token) return undefined;
    const ask = async (era: Era): Promise<EraAnswer> => {
      try {
        const r =
          era === "modern"
            ? await this.post(`Bearer ${token}`, modernRequest("server/discover"))
            : await this.post(`Bearer ${token}`, { body: initializeRequest() });
        const msg = jsonRpcResponse(r);
        if (isSuccess(r) && msg?.result) return { served: true, seen: `HTTP ${r.status}` };
        const error = msg?.error ? `: JSON-RPC error ${msg.error.code} ${oneLine(String(msg.error.message), 160)}` : "";
        return { served: false, seen: `${error ? `HTTP ${r.status}` : describeStatus(r)}${error}` };
      } catch (err) {
        return { served: false, seen: describeError(err) };
      }
    };
    // One after the other: the first request with a valid token is the one that loads the server's key set.
    const modern = await ask("modern");
    const legacy = await ask("legacy");
    return { modern, legacy };
  });

  /** The era raw probes speak: 2026-07-28 when the server serves it, else the 2025 era. */
  async preferredEra(): Promise<Era> {
    return (await this.eras())?.modern.served ? "modern" : "legacy";
  }

  /** POST to the MCP endpoint (a 2025 initialize by default) with the given Authorization header value. */
  post(
    authorization: string | undefined,
    o: { body?: string; url?: string; headers?: Record<string, string>; slowStream?: boolean } = {},
  ): Promise<HttpResult> {
    const headers = mcpHeaders(o.headers);
    if (authorization !== undefined) headers.Authorization = authorization;
    return request(o.url ?? this.endpoint, {
      method: "POST",
      headers,
      body: o.body ?? initializeRequest(),
      timeoutMs: this.timeoutMs,
      ...(o.slowStream ? { slowStream: true } : {}),
    });
  }

  /**
   * One MCP call with the given Authorization. In the 2026-07-28 era a single
   * request with the `_meta` envelope; in the 2025 era initialize,
   * notifications/initialized, then `method`, each with the same
   * Authorization (and the session id, when the server hands one out).
   * `slowStream` applies to the call itself (see HttpResult.slow).
   */
  async exchange(
    authorization: string,
    method: string,
    params?: Record<string, unknown>,
    era?: Era,
    o: { slowStream?: boolean } = {},
  ): Promise<McpExchange> {
    if ((era ?? (await this.preferredEra())) === "modern") {
      return { stage: method, response: await this.post(authorization, { ...modernRequest(method, params), ...o }) };
    }
    const init = await this.post(authorization);
    if (!isSuccess(init)) return { stage: "initialize", response: init };
    const sessionId = init.headers.get("mcp-session-id");
    const headers: Record<string, string> = sessionId ? { "Mcp-Session-Id": sessionId } : {};
    const notified = await this.post(authorization, {
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    if (notified.status >= 300) return { stage: "notifications/initialized", response: notified };
    return { stage: method, response: await this.post(authorization, { headers, body: jsonRpc(method, params), ...o }) };
  }
}
