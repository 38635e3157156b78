/**
 * GET|POST /oauth/authorize: authorization code + PKCE S256 + RFC 8707 resource.
 * Errors before the redirect URI is known to be good get a 400 page (HTML or JSON);
 * after, they are sent back to the client by redirect (error, state, iss).
 */

import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isLoopbackHost } from "../../oauth-syntax.js";
import { isSameOrigin } from "../access.js";
import { type Client, parseScope } from "../clients.js";
import { checkResources, grantedScopes, type IssuerContext, type PendingAuthorization } from "../context.js";
import { OAuthError } from "../errors.js";
import { CHALLENGE_RE } from "../grants.js";
import { escapeHtml, Params, readForm, redirect, sendError, sendHtml, wantsHtml } from "../http.js";
import { authorizationServerUrl } from "../metadata.js";
import { DEFAULT_SUB } from "../tokens.js";

const PENDING_LIFETIME_MS = 10 * 60_000;
const MAX_PENDING = 1_000;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
code{background:#f2f2f2;padding:0 .25rem;border-radius:3px;word-break:break-all}
.warn{color:#8a5a00;font-size:.9rem}button{font-size:1rem;padding:.4rem 1.2rem;margin-right:.5rem}</style>
</head><body>${body}
<p class="warn">create-mcp-auth local issuer: for development only.</p></body></html>`;
}

/** http(s) on localhost, 127.0.0.0/8 or [::1]: the redirect lands on this machine. */
export function isLoopbackRedirect(uri: string): boolean {
  const url = new URL(uri);
  return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(url.hostname);
}

/**
 * Where the consent form may send the browser: this page, then (by redirect)
 * the client's redirect URI. Browsers apply form-action to the redirect too.
 */
function formTarget(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === "http:" || url.protocol === "https:" ? url.origin : url.protocol;
}

/** Before the redirect URI is validated: never redirect. */
function sendBadRequest(req: IncomingMessage, res: ServerResponse, err: OAuthError): void {
  if (wantsHtml(req)) {
    sendHtml(
      res,
      err.status,
      page(
        "Authorization error",
        `<h1>Authorization error</h1><p><code>${escapeHtml(err.error)}</code></p><p>${escapeHtml(err.message)}</p>`,
      ),
    );
  } else {
    sendError(res, err);
  }
}

function redirectTo(res: ServerResponse, redirectUri: string, params: Record<string, string | undefined>): void {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  redirect(res, url.href);
}

function issueCode(res: ServerResponse, ctx: IssuerContext, p: Omit<PendingAuthorization, "clientLabel" | "expiresAt">): void {
  const code = ctx.grants.createCode({
    clientId: p.clientId,
    resourceId: p.resourceId,
    sub: DEFAULT_SUB,
    scopes: p.scopes,
    resources: p.resources,
    redirectUri: p.redirectUri,
    redirectUriSent: p.redirectUriSent,
    codeChallenge: p.codeChallenge,
  });
  redirectTo(res, p.redirectUri, { code, state: p.state, iss: authorizationServerUrl(ctx, p.resourceId) });
}

function consentPage(res: ServerResponse, ctx: IssuerContext, p: PendingAuthorization): void {
  for (const [id, entry] of ctx.pending) if (entry.expiresAt <= Date.now()) ctx.pending.delete(id);
  while (ctx.pending.size >= MAX_PENDING) ctx.pending.delete(ctx.pending.keys().next().value!);
  const id = randomBytes(24).toString("base64url");
  ctx.pending.set(id, p);
  const scopes = p.scopes.length ? p.scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(" ") : "(none)";
  const resources = p.resources.length ? p.resources.map((r) => `<code>${escapeHtml(r)}</code>`).join(" ") : "(not specified)";
  sendHtml(
    res,
    200,
    page(
      "Authorize access",
      `<h1>Authorize access</h1>
<p><strong>${escapeHtml(p.clientLabel)}</strong> wants to access
<code>${escapeHtml(p.resourceId)}</code> as <code>${escapeHtml(DEFAULT_SUB)}</code>.</p>
<p>Scopes: ${scopes}</p><p>Resource: ${resources}</p>
<p>Redirects to: <code>${escapeHtml(p.redirectUri)}</code></p>${
        isLoopbackRedirect(p.redirectUri)
          ? ""
          : `\n<p class="warn"><strong>This redirect leaves this computer.</strong> Approve only if you started this sign-in yourself.</p>`
      }
<form method="post" action="/oauth/authorize">
<input type="hidden" name="request_id" value="${escapeHtml(id)}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
    ),
    { formAction: ["'self'", formTarget(p.redirectUri)], referrerPolicy: "same-origin" },
  );
}

async function resolveClient(ctx: IssuerContext, params: Params): Promise<{ client: Client; redirectUri: string; sent: boolean }> {
  const clientId = params.get("client_id");
  if (!clientId) throw new OAuthError("invalid_request", "client_id is required");
  const client = await ctx.clients.resolve(clientId);
  const given = params.get("redirect_uri");
  if (given !== undefined) {
    if (!client.redirectUris.includes(given)) {
      throw new OAuthError("invalid_request", `redirect_uri is not registered for this client: ${given.slice(0, 300)}`);
    }
    return { client, redirectUri: given, sent: true };
  }
  if (client.redirectUris.length !== 1) {
    throw new OAuthError("invalid_request", "redirect_uri is required (the client has several or none registered)");
  }
  return { client, redirectUri: client.redirectUris[0]!, sent: false };
}

async function authorizationRequest(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext, params: Params): Promise<void> {
  let resolved: Awaited<ReturnType<typeof resolveClient>>;
  try {
    resolved = await resolveClient(ctx, params);
  } catch (e) {
    if (e instanceof OAuthError) return sendBadRequest(req, res, e);
    throw e;
  }
  const { client, redirectUri, sent } = resolved;
  const resourceId = client.resourceId ?? ctx.resourceId;
  const iss = authorizationServerUrl(ctx, resourceId);
  const rawState = params.raw.getAll("state");
  const state = rawState.length === 1 && rawState[0] !== "" ? rawState[0] : undefined;
  try {
    if (rawState.length > 1) throw new OAuthError("invalid_request", 'parameter "state" is repeated');
    const responseType = params.get("response_type");
    if (!responseType) throw new OAuthError("invalid_request", "response_type is required");
    if (responseType !== "code") throw new OAuthError("unsupported_response_type", 'only response_type "code" is supported');
    if (!client.grantTypes.includes("authorization_code")) {
      throw new OAuthError("unauthorized_client", "this client is not registered for the authorization_code grant");
    }
    const method = params.get("code_challenge_method");
    const challenge = params.get("code_challenge");
    if (!challenge) throw new OAuthError("invalid_request", "code_challenge is required (PKCE)");
    if (method !== "S256") {
      throw new OAuthError(
        "invalid_request",
        method ? `code_challenge_method "${method.slice(0, 50)}" is not supported: use S256` : "code_challenge_method=S256 is required",
      );
    }
    if (!CHALLENGE_RE.test(challenge)) throw new OAuthError("invalid_request", "code_challenge is not a base64url SHA-256 value");
    const scopes = grantedScopes(ctx, parseScope(params.get("scope")));
    if (!Array.isArray(scopes)) throw new OAuthError("invalid_scope", `unknown scope: ${scopes.unknown.join(" ")}`);
    const resources = checkResources(params.all("resource"));

    const pending: PendingAuthorization = {
      clientId: client.clientId,
      resourceId,
      redirectUri,
      redirectUriSent: sent,
      codeChallenge: challenge,
      scopes,
      resources,
      state,
      clientLabel: client.name ?? client.clientId,
      expiresAt: Date.now() + PENDING_LIFETIME_MS,
    };
    // Only a redirect to this machine is approved without asking: a code sent to
    // any other site would hand that site a token for the developer's local tools.
    if (ctx.consent || !isLoopbackRedirect(redirectUri)) consentPage(res, ctx, pending);
    else issueCode(res, ctx, pending);
  } catch (e) {
    if (!(e instanceof OAuthError)) throw e;
    redirectTo(res, redirectUri, { error: e.error, error_description: e.message, state, iss });
  }
}

async function consentDecision(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext, form: Params): Promise<void> {
  // The decision comes from the consent page itself, never from another site's form or script.
  if (!isSameOrigin(req, ctx.url)) {
    return sendBadRequest(req, res, new OAuthError("access_denied", "the consent decision must come from the issuer's own page", 403));
  }
  const id = form.get("request_id")!;
  const pending = ctx.pending.get(id);
  ctx.pending.delete(id);
  if (!pending || pending.expiresAt <= Date.now()) {
    return sendBadRequest(req, res, new OAuthError("invalid_request", "this authorization request expired or was already answered"));
  }
  const decision = form.get("decision");
  if (decision === "approve") return issueCode(res, ctx, pending);
  redirectTo(res, pending.redirectUri, {
    error: "access_denied",
    error_description: "the user denied the request",
    state: pending.state,
    iss: authorizationServerUrl(ctx, pending.resourceId),
  });
}

export async function handleAuthorize(req: IncomingMessage, res: ServerResponse, ctx: IssuerContext, url: URL): Promise<void> {
  try {
    if (req.method === "POST") {
      const form = await readForm(req);
      if (form.get("request_id") !== undefined) return await consentDecision(req, res, ctx, form);
      return await authorizationRequest(req, res, ctx, form);
    }
    return await authorizationRequest(req, res, ctx, new Params(url.searchParams));
  } catch (e) {
    if (e instanceof OAuthError) return sendBadRequest(req, res, e);
    throw e;
  }
}
