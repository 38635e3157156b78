/**
 * OAuth clients: dynamic client registration (RFC 7591), client ID metadata
 * documents (an https URL as client_id), redirect URI rules, and client
 * authentication at the token endpoint (none / client_secret_basic / client_secret_post).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { isLoopbackHost, SCOPE_TOKEN } from "../oauth-syntax.js";
import { CimdFetchError, type CimdPolicy, checkedAddress, fetchPinned } from "./cimd.js";
import { OAuthError } from "./errors.js";

export type AuthMethod = "none" | "client_secret_basic" | "client_secret_post";
export const AUTH_METHODS: readonly AuthMethod[] = ["none", "client_secret_basic", "client_secret_post"];
export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;

export interface Client {
  clientId: string;
  clientSecret?: string;
  authMethod: AuthMethod;
  redirectUris: string[];
  grantTypes: string[];
  /** Resource id the client was registered under; metadata-document clients use the default one. */
  resourceId?: string;
  /** client_name, for the consent page. */
  name?: string;
  kind: "registered" | "metadata_document";
}

const MAX_CLIENTS = 10_000;
const CIMD_TIMEOUT_MS = 5_000;
const CIMD_MAX_BYTES = 64 * 1024;
/** The one message for a client ID metadata document that was refused or could not be fetched. */
export const CIMD_NOT_FETCHED =
  "client_id names a client ID metadata document that could not be fetched. The issuer fetches only https URLs on public hosts " +
  "that answer 200 with JSON of at most 64 KB, without redirects (loopback URLs only when started with --allow-local-cimd); " +
  "the issuer's log says why.";
const FORBIDDEN_SCHEMES = new Set(["javascript:", "data:", "vbscript:", "file:", "blob:", "about:", "filesystem:"]);

/** Returns a reason when the redirect URI is not acceptable. */
export function redirectUriProblem(uri: unknown): string | undefined {
  if (typeof uri !== "string" || uri.length === 0) return "redirect URIs must be non-empty strings";
  if (uri.length > 2048) return "redirect URI is too long";
  if (uri.includes("#")) return `redirect URI must not contain a fragment: ${uri}`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `redirect URI is not an absolute URI: ${uri}`;
  }
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `redirect URI scheme ${url.protocol} is not allowed`;
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    return `http redirect URIs are only allowed for loopback hosts (localhost, 127.0.0.1, [::1]): ${uri}`;
  }
  if ((url.protocol === "http:" || url.protocol === "https:") && (url.username || url.password)) {
    return "redirect URI must not contain credentials";
  }
  return undefined;
}

export function parseScope(scope: string | undefined): string[] | undefined {
  if (scope === undefined) return undefined;
  const parts = scope.split(" ").filter((s) => s !== "");
  for (const p of parts) {
    if (!SCOPE_TOKEN.test(p)) throw new OAuthError("invalid_scope", `malformed scope "${p}"`);
  }
  return [...new Set(parts)];
}

/** A client_id that names a client ID metadata document. */
export function isMetadataDocumentUrl(clientId: string): boolean {
  if (!/^https?:\/\//i.test(clientId)) return false;
  try {
    const url = new URL(clientId);
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}

const metadataError = (msg: string): OAuthError => new OAuthError("invalid_client_metadata", msg);

function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

export interface ClientCredentials {
  clientId?: string;
  clientSecret?: string;
  /** The request used HTTP Basic (a 401 then carries WWW-Authenticate: Basic). */
  basic: boolean;
}

/** Reads client credentials from the Authorization header and the form body. */
export function readClientCredentials(
  authorization: string | undefined,
  body: { clientId?: string; clientSecret?: string },
): ClientCredentials {
  if (authorization && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i < 0) {
      throw new OAuthError("invalid_client", "malformed Basic credentials", 401, {
        "WWW-Authenticate": 'Basic realm="local-issuer"',
      });
    }
    const clientId = formDecode(decoded.slice(0, i));
    const clientSecret = formDecode(decoded.slice(i + 1));
    if (body.clientSecret !== undefined) {
      throw new OAuthError("invalid_request", "use only one client authentication method");
    }
    if (body.clientId !== undefined && body.clientId !== clientId) {
      throw new OAuthError("invalid_request", "client_id in the body does not match the Basic credentials");
    }
    return { clientId, clientSecret, basic: true };
  }
  return { clientId: body.clientId, clientSecret: body.clientSecret, basic: false };
}

export class ClientRegistry {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly defaultResourceId: string,
    private readonly cimd: CimdPolicy & { log?: (line: string) => void },
  ) {}

  /** RFC 7591 registration. Returns the 201 response body. */
  register(body: Record<string, unknown>, resourceId: string): Record<string, unknown> {
    const str = (name: string): string | undefined => {
      const v = body[name];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== "string") throw metadataError(`${name} must be a string`);
      return v;
    };
    const strArray = (name: string): string[] | undefined => {
      const v = body[name];
      if (v === undefined || v === null) return undefined;
      if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
        throw metadataError(`${name} must be an array of strings`);
      }
      return v as string[];
    };

    const authMethodRaw = str("token_endpoint_auth_method") ?? "client_secret_basic";
    if (!(AUTH_METHODS as readonly string[]).includes(authMethodRaw)) {
      throw metadataError(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(", ")}`);
    }
    const authMethod = authMethodRaw as AuthMethod;

    const grantTypes = strArray("grant_types") ?? ["authorization_code"];
    if (grantTypes.length === 0) throw metadataError("grant_types must not be empty");
    for (const g of grantTypes) {
      if (!(GRANT_TYPES as readonly string[]).includes(g)) {
        throw metadataError(`unsupported grant type "${g}" (supported: ${GRANT_TYPES.join(", ")})`);
      }
    }
    if (grantTypes.includes("client_credentials") && authMethod === "none") {
      throw metadataError("client_credentials needs a confidential client (token_endpoint_auth_method is none)");
    }

    const responseTypes = strArray("response_types") ?? (grantTypes.includes("authorization_code") ? ["code"] : []);
    for (const r of responseTypes) {
      if (r !== "code") throw metadataError(`unsupported response type "${r}" (only "code")`);
    }

    const redirectUris = strArray("redirect_uris") ?? [];
    if (grantTypes.includes("authorization_code") && redirectUris.length === 0) {
      throw new OAuthError("invalid_redirect_uri", "redirect_uris is required for the authorization_code grant");
    }
    for (const uri of redirectUris) {
      const problem = redirectUriProblem(uri);
      if (problem) throw new OAuthError("invalid_redirect_uri", problem);
    }

    const scope = str("scope");
    if (scope !== undefined) {
      try {
        parseScope(scope);
      } catch (e) {
        throw metadataError(e instanceof Error ? e.message : "malformed scope");
      }
    }

    const echo: Record<string, unknown> = {};
    for (const name of ["client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri", "software_id", "software_version"]) {
      const v = str(name);
      if (v !== undefined) echo[name] = v;
    }
    const contacts = strArray("contacts");
    if (contacts) echo.contacts = contacts;

    if (this.clients.size >= MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
    const clientId = `skc_dcr_${randomBytes(12).toString("hex")}`;
    const clientSecret = authMethod === "none" ? undefined : randomBytes(32).toString("base64url");
    this.clients.set(clientId, {
      clientId,
      clientSecret,
      authMethod,
      redirectUris: [...redirectUris],
      grantTypes: [...grantTypes],
      resourceId,
      ...(typeof echo.client_name === "string" ? { name: echo.client_name } : {}),
      kind: "registered",
    });
    return {
      client_id: clientId,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
      redirect_uris: redirectUris,
      token_endpoint_auth_method: authMethod,
      grant_types: grantTypes,
      response_types: responseTypes,
      ...(scope !== undefined ? { scope } : {}),
      ...echo,
    };
  }

  /** Looks up a registered client, or fetches its client ID metadata document. */
  async resolve(clientId: string): Promise<Client> {
    const registered = this.clients.get(clientId);
    if (registered) return registered;
    if (isMetadataDocumentUrl(clientId)) return this.fetchMetadataDocument(clientId);
    throw new OAuthError("invalid_client", `unknown client_id "${clientId.slice(0, 200)}"`);
  }

  /** Token endpoint client authentication. */
  authenticate(creds: ClientCredentials): Client {
    const unauthorized = (msg: string): OAuthError =>
      new OAuthError("invalid_client", msg, 401, creds.basic ? { "WWW-Authenticate": 'Basic realm="local-issuer"' } : {});
    if (creds.clientId === undefined) throw unauthorized("client authentication failed: no client_id");
    const client = this.clients.get(creds.clientId);
    if (client) {
      if (client.clientSecret !== undefined) {
        if (creds.clientSecret === undefined) throw unauthorized("client authentication failed: client_secret is required");
        if (!secretsEqual(creds.clientSecret, client.clientSecret)) {
          throw unauthorized("client authentication failed: wrong client_secret");
        }
      } else if (creds.clientSecret !== undefined) {
        throw unauthorized("client authentication failed: this is a public client, it has no secret");
      }
      return client;
    }
    if (isMetadataDocumentUrl(creds.clientId)) {
      // Metadata-document clients are public: the code / refresh token binds them.
      if (creds.clientSecret !== undefined) throw unauthorized("metadata document clients have no client_secret");
      return {
        clientId: creds.clientId,
        authMethod: "none",
        redirectUris: [],
        grantTypes: ["authorization_code", "refresh_token"],
        kind: "metadata_document",
      };
    }
    throw unauthorized("client authentication failed: unknown client");
  }

  private async fetchMetadataDocument(clientId: string): Promise<Client> {
    const fail = (why: string): OAuthError =>
      new OAuthError("invalid_client", `client metadata document ${clientId.slice(0, 200)}: ${why}`);
    const url = new URL(clientId);
    if (url.hash || clientId.includes("#")) throw fail("the URL must not have a fragment");
    if (url.username || url.password) throw fail("the URL must not contain credentials");
    if (url.pathname === "/" || url.pathname === "") throw fail("the URL must have a path");

    // One answer for every refused or failed fetch: what is listening where stays unknown to the caller.
    let text: string;
    try {
      const address = await checkedAddress(url, this.cimd);
      text = await fetchPinned(url, address, { timeoutMs: CIMD_TIMEOUT_MS, maxBytes: CIMD_MAX_BYTES });
    } catch (e) {
      if (!(e instanceof CimdFetchError)) throw e;
      this.cimd.log?.(`client metadata document ${clientId.slice(0, 200)} not fetched: ${e.message}`);
      throw new OAuthError("invalid_client", CIMD_NOT_FETCHED);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw fail("not valid JSON");
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw fail("not a JSON object");
    const d = doc as Record<string, unknown>;
    if (d.client_id !== clientId) throw fail("its client_id does not equal the document URL");
    if (d.client_secret !== undefined) throw fail("a metadata document must not contain a client_secret");
    const method = d.token_endpoint_auth_method ?? "none";
    if (method !== "none") throw fail(`token_endpoint_auth_method "${String(method)}" is not supported (use "none")`);
    if (!Array.isArray(d.redirect_uris) || d.redirect_uris.length === 0) throw fail("redirect_uris is required");
    for (const uri of d.redirect_uris) {
      const problem = redirectUriProblem(uri);
      if (problem) throw fail(problem);
    }
    return {
      clientId,
      authMethod: "none",
      redirectUris: d.redirect_uris as string[],
      grantTypes: ["authorization_code", "refresh_token"],
      resourceId: this.defaultResourceId,
      ...(typeof d.client_name === "string" ? { name: d.client_name.slice(0, 200) } : {}),
      kind: "metadata_document",
    };
  }
}
