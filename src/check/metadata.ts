/** Fetching the discovery documents: protected resource metadata (RFC 9728) and AS metadata (RFC 8414). */
import type { JWK } from "jose";
import { isLoopbackHost } from "../oauth-syntax.js";
import { describeError, type HttpResult, PROBE_ORIGIN, PROTOCOL_VERSION, parseJsonObject, request } from "./http.js";
import { bearerChallenge, isAbsoluteHttpUrl } from "./www-authenticate.js";

export interface ProtectedResourceMetadata {
  resource?: unknown;
  authorization_servers?: unknown;
  scopes_supported?: unknown;
  bearer_methods_supported?: unknown;
  [key: string]: unknown;
}

export interface FetchedDocument<T> {
  url: string;
  /** The HTTP answer, or undefined when the request failed (see `error`). */
  response?: HttpResult;
  error?: string;
  /** The JSON object body, when the answer was 200 with a JSON object. */
  doc?: T;
}

export interface Discovery {
  /** `{origin}/.well-known/oauth-protected-resource{path}` */
  path: FetchedDocument<ProtectedResourceMetadata>;
  /** `{origin}/.well-known/oauth-protected-resource` */
  root: FetchedDocument<ProtectedResourceMetadata>;
  /** The answer to an MCP request without credentials (a 401 challenge, when all is well). */
  unauthenticated: { response?: HttpResult; error?: string };
  /** `resource_metadata` of that answer's Bearer challenge, as sent (it may be relative or junk). */
  headerValue?: string;
  /** The document at `resource_metadata`, when it is an absolute http(s) URL. */
  header?: FetchedDocument<ProtectedResourceMetadata>;
  /** The document a client would use: the header's first, then the path-suffixed one, then the root one. */
  prm?: ProtectedResourceMetadata;
}

/**
 * Why an `authorization_servers` entry is not one a client may use (and the
 * check will not fetch): not a URL, not https (plain http only on a loopback
 * host, as for a local issuer), or carrying credentials. Undefined when usable.
 */
export function authorizationServerProblem(entry: string): string | undefined {
  if (!URL.canParse(entry)) return "is not a URL";
  const u = new URL(entry);
  if (u.protocol === "http:" && !isLoopbackHost(u.hostname))
    return "is plain http on a host that is not loopback: tokens and codes would cross the network unencrypted (OAuth 2.1 §1.5); use https";
  if (u.protocol !== "https:" && u.protocol !== "http:")
    return `is a ${u.protocol} URL, not https: no client fetches it, and the check does not`;
  if (u.username || u.password) return "carries credentials in the URL";
  return undefined;
}

/** The two RFC 9728 URLs of an endpoint: path-suffixed (§3.1) and root. */
export function prmUrls(endpoint: URL): { path: string; root: string } {
  const root = `${endpoint.origin}/.well-known/oauth-protected-resource`;
  const pathname = endpoint.pathname.replace(/\/+$/, "");
  return { path: `${root}${pathname}`, root };
}

export async function fetchDocument<T>(url: string, timeoutMs: number): Promise<FetchedDocument<T>> {
  try {
    const response = await request(url, {
      timeoutMs,
      headers: { Accept: "application/json", Origin: PROBE_ORIGIN, "MCP-Protocol-Version": PROTOCOL_VERSION },
    });
    const doc = response.status === 200 ? (parseJsonObject(response.text) as T | undefined) : undefined;
    return { url, response, doc };
  } catch (err) {
    return { url, error: describeError(err) };
  }
}

/**
 * Everything a client could use to find the protected resource metadata: the
 * `resource_metadata` of the 401 to a request without credentials, and both
 * well-known URLs. `postUnauthenticated` sends that request.
 */
export async function discover(endpoint: URL, timeoutMs: number, postUnauthenticated: () => Promise<HttpResult>): Promise<Discovery> {
  const urls = prmUrls(endpoint);
  const [path, root, unauthenticated] = await Promise.all([
    fetchDocument<ProtectedResourceMetadata>(urls.path, timeoutMs),
    urls.path === urls.root ? undefined : fetchDocument<ProtectedResourceMetadata>(urls.root, timeoutMs),
    postUnauthenticated().then(
      (response) => ({ response }),
      (err: unknown) => ({ error: describeError(err) }),
    ),
  ]);
  const rootDoc = root ?? path;
  const response = "response" in unauthenticated ? unauthenticated.response : undefined;
  const headerValue =
    response?.status === 401 ? bearerChallenge(response.headers.get("www-authenticate"))?.params.resource_metadata : undefined;
  let header: FetchedDocument<ProtectedResourceMetadata> | undefined;
  if (isAbsoluteHttpUrl(headerValue)) {
    header =
      [path, rootDoc].find((d) => d.url === headerValue) ?? (await fetchDocument<ProtectedResourceMetadata>(headerValue!, timeoutMs));
  }
  return { path, root: rootDoc, unauthenticated, headerValue, header, prm: header?.doc ?? path.doc ?? rootDoc.doc };
}

/** "HTTP 404", "ECONNREFUSED ...", "not a JSON object": why a document is missing. */
export function whyMissing(d: FetchedDocument<unknown>): string {
  if (d.error) return d.error;
  if (!d.response) return "no answer";
  if (d.response.status !== 200) return `HTTP ${d.response.status}`;
  return "the body is not a JSON object";
}

export interface AuthorizationServerMetadata {
  issuer?: unknown;
  authorization_endpoint?: unknown;
  token_endpoint?: unknown;
  registration_endpoint?: unknown;
  jwks_uri?: unknown;
  code_challenge_methods_supported?: unknown;
  client_id_metadata_document_supported?: unknown;
  [key: string]: unknown;
}

export interface AuthServerLookup {
  /** authorization_servers[0] of the PRM. */
  authorizationServer: string;
  /** Every URL tried, in order. */
  tried: string[];
  found?: FetchedDocument<AuthorizationServerMetadata>;
  /** False when only a URL the official MCP client does not try had the document. */
  sdkFindsIt: boolean;
}

/**
 * RFC 8414 §3.1 path-inserted form first (what the official client tries),
 * then the path-appended form, then OpenID Connect discovery.
 */
export function authServerMetadataUrls(authorizationServer: string): { url: string; sdk: boolean }[] {
  const as = new URL(authorizationServer);
  const path = as.pathname.replace(/\/+$/, "");
  if (!path) {
    return [
      { url: `${as.origin}/.well-known/oauth-authorization-server`, sdk: true },
      { url: `${as.origin}/.well-known/openid-configuration`, sdk: true },
    ];
  }
  return [
    { url: `${as.origin}/.well-known/oauth-authorization-server${path}`, sdk: true },
    { url: `${as.origin}${path}/.well-known/oauth-authorization-server`, sdk: false },
    { url: `${as.origin}/.well-known/openid-configuration${path}`, sdk: true },
    { url: `${as.origin}${path}/.well-known/openid-configuration`, sdk: true },
  ];
}

export async function lookupAuthServer(authorizationServer: string, timeoutMs: number): Promise<AuthServerLookup> {
  const tried: string[] = [];
  for (const { url, sdk } of authServerMetadataUrls(authorizationServer)) {
    tried.push(url);
    const d = await fetchDocument<AuthorizationServerMetadata>(url, timeoutMs);
    if (d.doc) return { authorizationServer, tried, found: d, sdkFindsIt: sdk };
  }
  return { authorizationServer, tried, sdkFindsIt: false };
}

/** An authorization server's published keys (RFC 7517), or why they are not available. */
export type KeySet = { uri: string; keys: JWK[] } | { problem: string };

export async function fetchKeySet(uri: string, timeoutMs: number): Promise<KeySet> {
  const d = await fetchDocument<{ keys?: unknown }>(uri, timeoutMs);
  if (!d.doc) return { problem: `jwks_uri ${uri}: ${whyMissing(d)}` };
  const keys = Array.isArray(d.doc.keys)
    ? (d.doc.keys as unknown[]).filter((k): k is JWK => !!k && typeof k === "object" && typeof (k as JWK).kty === "string")
    : [];
  if (keys.length === 0) return { problem: `jwks_uri ${uri} lists no keys` };
  return { uri, keys };
}
