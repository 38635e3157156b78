/**
 * The whole OAuth flow with the official MCP SDK v2 client, one probe per
 * step: discovery, registration, authorization + PKCE, token, tools/list,
 * tools/call, and a 403 insufficient_scope step-up. The client negotiates
 * the era (`auto`): 2026-07-28 when the server offers it, else the 2025 era.
 *
 * The client is the SDK's own (`auth()` inside StreamableHTTPClientTransport);
 * only the user agent is ours: `redirectToAuthorization` GETs the authorization
 * URL without following the redirect and keeps the query of its Location
 * (the local issuer approves without a consent page).
 */

import { randomUUID } from "node:crypto";
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  OAuthTokens,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from "@modelcontextprotocol/client";
import { plural } from "../../core/plural.js";
import { type CheckContext, callableTools, type ToolInfo } from "../context.js";
import { describeError, oneLine, timeoutSignal } from "../http.js";
import { type ModernConnection, newModernConnection, type SeenResponse, timedFetch } from "../mcp-client.js";
import { fail, lateResult, type Outcome, type Probe, pass, Skip, warn } from "../probe.js";
import type { Citation } from "../rules.js";
import { RULES } from "../rules.js";
import { bearerChallenge } from "../www-authenticate.js";
import { toolArguments } from "./scope.js";

const REDIRECT_URL = "http://127.0.0.1:8976/oauth/callback";

const sdk = () => import("@modelcontextprotocol/client");

interface AuthorizationAttempt {
  url: URL;
  state: string | undefined;
  status?: number;
  /** The query of the redirect back: code, state, iss (RFC 9207). */
  callback?: URLSearchParams;
}

/** An OAuthClientProvider kept in memory, whose "browser" is one fetch with redirect: "manual". */
export class MemoryOAuthProvider implements OAuthClientProvider {
  readonly authorizations: AuthorizationAttempt[] = [];
  discovery: OAuthDiscoveryState | undefined;
  /** Every token response as received. */
  received: OAuthTokens | undefined;
  private info: StoredOAuthClientInformation | undefined;
  private current: StoredOAuthTokens | undefined;
  private verifier = "";
  private lastState: string | undefined;

  constructor(
    private readonly timeoutMs: number,
    clientInformation?: StoredOAuthClientInformation,
  ) {
    this.info = clientInformation;
  }

  get redirectUrl(): string {
    return REDIRECT_URL;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "create-mcp-auth check",
      redirect_uris: [REDIRECT_URL],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "native",
    };
  }

  state(): string {
    this.lastState = randomUUID();
    return this.lastState;
  }

  // One authorization server per run: the issuer context is not needed to tell registrations apart.
  clientInformation(): StoredOAuthClientInformation | undefined {
    return this.info;
  }

  saveClientInformation(info: StoredOAuthClientInformation): void {
    this.info = info;
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.current;
  }

  saveTokens(tokens: StoredOAuthTokens): void {
    this.received = tokens;
    this.current = tokens;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    const attempt: AuthorizationAttempt = { url, state: this.lastState };
    this.authorizations.push(attempt);
    const res = await fetch(url, { redirect: "manual", signal: timeoutSignal(this.timeoutMs) });
    await res.body?.cancel();
    attempt.status = res.status;
    const location = res.headers.get("location");
    if (res.status < 300 || res.status > 399 || !location) {
      throw new Error(
        `the authorization endpoint answered HTTP ${res.status} without a redirect${res.status === 200 ? " (a consent page? start the issuer without consent)" : ""}`,
      );
    }
    const back = new URL(location, url);
    if (!back.searchParams.get("code")) {
      const error = back.searchParams.get("error") ?? "no code";
      throw new Error(
        `authorization redirected with error=${oneLine(error, 60)} ${oneLine(back.searchParams.get("error_description") ?? "", 120)}`.trim(),
      );
    }
    attempt.callback = back.searchParams;
  }

  /** The redirect query of the last authorization. */
  get callback(): URLSearchParams | undefined {
    return this.authorizations.at(-1)?.callback;
  }

  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }
}

/** State of one flow run, shared by its step probes. */
interface FlowRun {
  provider: MemoryOAuthProvider;
  first: ModernConnection;
  /** Why connect() stopped (UnauthorizedError after the redirect, when all is well). */
  connectError?: unknown;
  /** The id of the step that failed; later steps skip. */
  brokenAt?: string;
  connection?: ModernConnection;
  /** What the connection's requests were answered (status, challenge), in order. */
  seen: SeenResponse[];
  tools?: ToolInfo[];
}

const runs = new WeakMap<CheckContext, FlowRun>();

async function closeAll(run: FlowRun): Promise<void> {
  await Promise.all([run.first.close(), run.connection?.close()]);
}

/** A flow step: skips when an earlier step failed, marks the flow broken when it fails itself. */
function step(id: string, title: string, citation: Citation, body: (ctx: CheckContext, run: FlowRun) => Promise<Outcome>): Probe {
  return {
    id,
    title,
    ...citation,
    async run(ctx) {
      await ctx.issuer();
      const run = runs.get(ctx);
      if (!run) throw new Skip("the OAuth flow did not start");
      if (run.brokenAt) throw new Skip(`after ${run.brokenAt} failed`);
      try {
        const outcome = await body(ctx, run);
        if (outcome.status === "fail") {
          run.brokenAt = id;
          await closeAll(run);
        }
        return outcome;
      } catch (err) {
        if (!(err instanceof Skip)) {
          run.brokenAt = id;
          await closeAll(run);
        }
        throw err;
      }
    },
  };
}

const connectFailure = (run: FlowRun): string =>
  run.connectError ? describeError(run.connectError) : "the client connected without authorizing: the endpoint is not protected";

const isUnauthorized = async (err: unknown): Promise<boolean> => err instanceof (await sdk()).UnauthorizedError;

export const flowDiscovery: Probe = {
  id: "flow.discovery",
  title: "OAuth flow: the SDK client discovers the authorization server",
  ...RULES.flow("RFC 9728", "RFC 8414"),
  async run(ctx) {
    await ctx.issuer();
    const provider = new MemoryOAuthProvider(ctx.timeoutMs);
    const first = await newModernConnection(ctx.endpoint, { timeoutMs: ctx.timeoutMs, authProvider: provider, negotiation: "auto" });
    const run: FlowRun = { provider, first, seen: [] };
    runs.set(ctx, run);
    try {
      await first.client.connect(first.transport, { timeout: ctx.timeoutMs });
      run.brokenAt = "flow.discovery";
      await first.close();
      return fail(connectFailure(run));
    } catch (err) {
      run.connectError = err;
    }
    const d = provider.discovery;
    const mismatch = /does not match expected/.test(describeError(run.connectError));
    if (!d?.resourceMetadata || !d.authorizationServerMetadata || mismatch) {
      run.brokenAt = "flow.discovery";
      await first.close();
      if (!d?.resourceMetadata) return fail(`the SDK client found no protected resource metadata (${connectFailure(run)})`);
      if (!d.authorizationServerMetadata) return fail(`the SDK client found no metadata for ${d.authorizationServerUrl}`);
      return fail(connectFailure(run));
    }
    return pass(
      `resource ${oneLine(String(d.resourceMetadata.resource), 120)} → authorization server ${oneLine(String(d.authorizationServerUrl), 120)}`,
    );
  },
};

export const flowRegistration = step("flow.registration", "OAuth flow: client registration", RULES.registration(), async (_ctx, run) => {
  const info = run.provider.clientInformation();
  if (!info) return fail(connectFailure(run));
  const endpoint = run.provider.discovery?.authorizationServerMetadata?.registration_endpoint;
  return pass(`client_id ${oneLine(info.client_id, 80)}${endpoint ? ` registered at ${oneLine(String(endpoint), 120)}` : ""}`);
});

export const flowAuthorization = step(
  "flow.authorization",
  "OAuth flow: authorization request with PKCE and resource",
  RULES.resourceParameter(),
  async (_ctx, run) => {
    // All is well when connect() stopped with UnauthorizedError after a redirect that carried a code.
    const a = run.provider.authorizations[0];
    if (!a?.callback || !(await isUnauthorized(run.connectError))) return fail(connectFailure(run));
    const p = a.url.searchParams;
    if (p.get("code_challenge_method") !== "S256" || !p.get("code_challenge"))
      return fail("the authorization request has no S256 code_challenge");
    const resource = run.provider.discovery?.resourceMetadata?.resource;
    if (p.get("resource") !== resource)
      return fail(`the authorization request's resource=${p.get("resource")} is not the PRM resource ${resource}`);
    const returned = a.callback.get("state");
    if (returned !== a.state) return fail(`the redirect returned state=${oneLine(String(returned), 60)}, expected ${a.state}`);
    return pass(`redirected with a code (PKCE S256, resource=${resource}, scope="${oneLine(p.get("scope") ?? "", 120)}")`);
  },
);

export const flowToken = step(
  "flow.token",
  "OAuth flow: code exchanged for an access token",
  RULES.flow("OAuth 2.1 §4.1.3"),
  async (_ctx, run) => {
    try {
      await run.first.transport.finishAuth(run.provider.callback!);
    } finally {
      await run.first.close();
    }
    const t = run.provider.received;
    if (!t?.access_token) return fail("the token endpoint answered without an access_token");
    if (t.token_type.toLowerCase() !== "bearer") return fail(`token_type is ${oneLine(t.token_type, 40)}, not Bearer`);
    return pass(`Bearer token, scope "${oneLine(t.scope ?? "", 120)}"${t.expires_in ? `, expires in ${t.expires_in} s` : ""}`);
  },
);

const ERA_OF: Record<string, string> = { modern: "2026-07-28", legacy: "2025" };

export const flowToolsList = step(
  "flow.tools-list",
  "OAuth flow: tools/list with the new token",
  RULES.accessTokenUsage(),
  async (ctx, run) => {
    // Closed by tools-call, or by step() when this fails.
    const c = await newModernConnection(ctx.endpoint, {
      timeoutMs: ctx.timeoutMs,
      authProvider: run.provider,
      negotiation: "auto",
      seen: run.seen,
    });
    run.connection = c;
    try {
      await c.client.connect(c.transport, { timeout: ctx.timeoutMs });
      const { tools } = await c.client.listTools(undefined, { timeout: ctx.timeoutMs });
      run.tools = tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema, annotations: t.annotations }));
      return pass(
        `${plural(tools.length, "tool")} (the client negotiated the ${ERA_OF[c.client.getProtocolEra() ?? ""] ?? "unknown"} era)`,
      );
    } catch (err) {
      return fail(describeError(err));
    }
  },
);

const scopesOf = (t: OAuthTokens | undefined): string[] => (t?.scope ?? "").split(" ").filter(Boolean);

/** A tool the granted scopes allow: the chosen one, the scope-protected one, or one open to all. */
function allowedTool(ctx: CheckContext, run: FlowRun): ToolInfo | undefined {
  const tools = callableTools(ctx, run.tools ?? []);
  const granted = scopesOf(run.provider.received);
  const scoped = ctx.findings.scoped.modern ?? ctx.findings.scoped.legacy;
  const byName = (name: string | undefined) => tools.find((t) => t.name === name);
  return (
    byName(ctx.tool?.name) ??
    (scoped?.scopes.every((s) => granted.includes(s)) ? byName(scoped.name) : undefined) ??
    byName(ctx.findings.openTools?.[0]) ??
    tools[0]
  );
}

/**
 * The code of a JSON-RPC error the server sent (the client's ProtocolError: a negative integer), as opposed to
 * the client's own errors (a timeout, a transport or HTTP failure: string codes or HTTP statuses).
 */
function jsonRpcErrorCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === "number" && Number.isInteger(code) && code < 0 ? code : undefined;
}

/**
 * The status of a call the client gave up waiting for (SDK v2: SdkError REQUEST_TIMEOUT) although the server had let
 * it in: its POST, the first of `seen` from `from` on, answered 2xx (an SSE stream the result was to come on). A slow
 * tool, not an authorization verdict. Undefined for anything else.
 */
function slowCallStatus(err: unknown, seen: SeenResponse[], from: number): number | undefined {
  if ((err as { code?: unknown } | null)?.code !== "REQUEST_TIMEOUT") return undefined;
  const post = seen.slice(from).find((r) => r.method === "POST");
  return post && post.status >= 200 && post.status < 300 ? post.status : undefined;
}

export const flowToolsCall = step(
  "flow.tools-call",
  "OAuth flow: tools/call of a tool the token's scope allows",
  RULES.accessTokenUsage(),
  async (ctx, run) => {
    const c = run.connection!;
    let tried: string | undefined;
    /** Where the call's own answers start in run.seen. */
    let answered = 0;
    try {
      const tool = allowedTool(ctx, run);
      if (!tool) throw new Skip("the server lists no tool to call (none, or all marked destructive)");
      tried = tool.name;
      answered = run.seen.length;
      const result = await c.client.callTool({ name: tool.name, arguments: toolArguments(ctx, tool) }, { timeout: ctx.timeoutMs });
      return pass(`tools/call ${tool.name}: ${result.isError ? "a tool error result (the call passed authorization)" : "ok"}`);
    } catch (err) {
      if (err instanceof Skip) throw err;
      const slow = slowCallStatus(err, run.seen, answered);
      if (tried && slow !== undefined)
        return warn(`tools/call ${tried} passed authorization (HTTP ${slow}), but ${lateResult(ctx.timeoutMs)}`);
      const code = jsonRpcErrorCode(err);
      if (tried && code !== undefined) {
        // The server answered the call itself (HTTP 200, a JSON-RPC error): the token was accepted and the tool
        // failed on its own (a backend it cannot reach, arguments it rejects). Not an authorization verdict.
        return warn(
          `tools/call ${tried} passed authorization, then the server answered JSON-RPC error ${code} (${describeError(err)}): the tool failed on its own; try it with arguments it accepts (--tool)`,
        );
      }
      return fail(describeError(err));
    } finally {
      await c.close();
    }
  },
);

export const flowStepUp = step("flow.step-up", "OAuth flow: 403 insufficient_scope step-up", RULES.stepUp(), async (ctx, run) => {
  const scoped = ctx.findings.scoped.modern ?? ctx.findings.scoped.legacy;
  if (!scoped) throw new Skip("no tool needs a scope (see scope.insufficient)");
  const tool = run.tools?.find((t) => t.name === scoped.name);
  if (!tool) throw new Skip(`${scoped.name} is not in tools/list`);
  const narrow = ((await ctx.scopesSupported()) ?? []).find((s) => !scoped.scopes.includes(s));
  if (!narrow) throw new Skip(`every supported scope is needed by ${scoped.name}: no narrower grant to start from`);

  // Authorize with one scope that does not open the tool (same registered client).
  const { auth } = await sdk();
  const provider = new MemoryOAuthProvider(ctx.timeoutMs, run.provider.clientInformation());
  const fetchFn = timedFetch(ctx.timeoutMs);
  if ((await auth(provider, { serverUrl: ctx.endpoint, scope: narrow, fetchFn })) !== "REDIRECT" || !provider.callback) {
    return fail(`authorization with scope "${narrow}" did not redirect with a code`);
  }
  const back = provider.callback;
  await auth(provider, {
    serverUrl: ctx.endpoint,
    authorizationCode: back.get("code")!,
    ...(back.get("iss") ? { iss: back.get("iss")! } : {}),
    fetchFn,
  });
  if (scoped.scopes.every((s) => scopesOf(provider.received).includes(s))) {
    throw new Skip(`the issuer granted "${oneLine(provider.received?.scope ?? "", 120)}" when asked for "${narrow}"`);
  }

  const seen: SeenResponse[] = [];
  const c = await newModernConnection(ctx.endpoint, { timeoutMs: ctx.timeoutMs, authProvider: provider, seen, negotiation: "auto" });
  const call = () => c.client.callTool({ name: tool.name, arguments: toolArguments(ctx, tool) }, { timeout: ctx.timeoutMs });
  try {
    await c.client.connect(c.transport, { timeout: ctx.timeoutMs });
    const before = provider.authorizations.length;
    try {
      await call();
      return fail(`tools/call ${tool.name} succeeded with only "${narrow}"`);
    } catch (err) {
      if (!(await isUnauthorized(err)) || provider.authorizations.length === before) {
        return fail(`tools/call ${tool.name} with "${narrow}": the SDK did not re-authorize (${describeError(err)})`);
      }
    }
    const challenge = seen.find((r) => r.status === 403 && bearerChallenge(r.wwwAuthenticate)?.params.error === "insufficient_scope");
    if (!challenge) return fail("the SDK re-authorized, but not after a 403 insufficient_scope");
    const asked = provider.authorizations.at(-1)!.url.searchParams.get("scope") ?? "";
    if (!scoped.scopes.every((s) => asked.split(" ").includes(s)))
      return fail(`the re-authorization asked for "${oneLine(asked, 120)}", not "${oneLine(scoped.scopes.join(" "), 120)}"`);
    await c.transport.finishAuth(provider.callback!);
    const steps = `"${narrow}" → 403 insufficient_scope → re-authorized with "${oneLine(asked, 120)}" → tools/call ${tool.name}`;
    const answered = seen.length;
    try {
      await call();
    } catch (err) {
      const slow = slowCallStatus(err, seen, answered);
      if (slow !== undefined) return pass(`${steps} passed authorization (HTTP ${slow}); ${lateResult(ctx.timeoutMs)}`);
      const code = jsonRpcErrorCode(err);
      if (code === undefined) throw err;
      // Authorized this time: the server ran the call and the tool failed on its own (see flow.tools-call).
      return pass(`${steps} passed authorization (the tool itself answered JSON-RPC error ${code})`);
    }
    return pass(`${steps} succeeded`);
  } finally {
    await c.close();
  }
});

export const flowProbes = [flowDiscovery, flowRegistration, flowAuthorization, flowToken, flowToolsList, flowToolsCall, flowStepUp];
