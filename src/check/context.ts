/** What the probes share: the endpoint, the discovery documents, the issuer, tokens and findings. */
import type { MintOptions } from "../issuer/types.js";
import {
  type HttpResult,
  initializeRequest,
  isSuccess,
  jsonRpc,
  mcpHeaders,
  request,
} from "./http.js";
import { connectIssuer } from "./issuer-client.js";
import { type AuthServerLookup, type Discovery, discover, lookupAuthServer } from "./metadata.js";
import { Skip } from "./probe.js";
import type { CheckOptions, IssuerHandle, ToolChoice } from "./types.js";

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

/** What one probe learns and a later one uses. */
export interface Findings {
  /** tools/list with a token holding every supported scope. */
  tools?: ToolInfo[];
  /** A tool refused with 403 insufficient_scope to a token without scopes, and the scopes the challenge named. */
  scopedTool?: { name: string; scopes: string[] };
  /** Tools that a token without scopes may call. */
  openTools?: string[];
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
export const NO_ISSUER = "needs a local issuer (--issuer)";

export class CheckContext {
  readonly url: URL;
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly userToken: string | undefined;
  readonly tool: ToolChoice | undefined;
  readonly issuerUrl: string | undefined;
  readonly findings: Findings = {};
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

  readonly discovery = memo((): Promise<Discovery> => discover(this.url, this.timeoutMs));

  /** The AS metadata lookup for authorization_servers[0]; undefined without one. */
  readonly authServer = memo(async (): Promise<AuthServerLookup | undefined> => {
    const { prm } = await this.discovery();
    const servers = prm?.authorization_servers;
    const first = Array.isArray(servers) ? servers[0] : undefined;
    if (typeof first !== "string") return undefined;
    try {
      new URL(first);
    } catch {
      return undefined;
    }
    return lookupAuthServer(first, this.timeoutMs);
  });

  /** The issuer handle: the in-process object, or the /_dev client of a URL (rejects when unreachable). */
  readonly connectIssuer = memo(async (): Promise<IssuerHandle | undefined> => {
    const o = this.issuerOption;
    if (o === undefined) return undefined;
    return typeof o === "string" ? connectIssuer(o, this.timeoutMs) : o;
  });

  get hasIssuer(): boolean {
    return this.issuerOption !== undefined;
  }

  /** The issuer, or a Skip naming why there is none. */
  async issuer(): Promise<IssuerHandle> {
    if (!this.hasIssuer) throw new Skip(NO_ISSUER);
    try {
      return (await this.connectIssuer())!;
    } catch {
      throw new Skip("the local issuer is unavailable (see issuer.reachable)");
    }
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
    return this.mintedToken();
  });

  /** POST to the MCP endpoint (initialize by default) with the given Authorization header value. */
  post(authorization: string | undefined, o: { body?: string; url?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const headers = mcpHeaders(o.headers);
    if (authorization !== undefined) headers.Authorization = authorization;
    return request(o.url ?? this.endpoint, { method: "POST", headers, body: o.body ?? initializeRequest(), timeoutMs: this.timeoutMs });
  }

  /**
   * initialize, notifications/initialized, then `method`, each with the same
   * Authorization (and the session id, when the server hands one out).
   */
  async exchange(authorization: string, method: string, params?: Record<string, unknown>): Promise<McpExchange> {
    const init = await this.post(authorization);
    if (!isSuccess(init)) return { stage: "initialize", response: init };
    const sessionId = init.headers.get("mcp-session-id");
    const headers: Record<string, string> = sessionId ? { "Mcp-Session-Id": sessionId } : {};
    const notified = await this.post(authorization, {
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    if (notified.status >= 300) return { stage: "notifications/initialized", response: notified };
    return { stage: method, response: await this.post(authorization, { headers, body: jsonRpc(method, params) }) };
  }
}
