/** Public types of the local issuer (see docs/ARCHITECTURE.md, "Local issuer"). */
import type { Lookup } from "./cimd.js";

export type { Lookup, ResolvedAddress } from "./cimd.js";

export type IssuerForm = "env" | "resource";

/**
 * `scalekit`: Scalekit's URL layout, an authorization server per resource at
 * {url}/resources/{res_id}. `oidc`: one plain OpenID Connect issuer at {url}.
 */
export type Layout = "scalekit" | "oidc";

export interface IssuerOptions {
  /** TCP port on 127.0.0.1. Default 4444; 0 picks a free port. */
  port?: number;
  /** URL layout. Default `scalekit`. */
  layout?: Layout;
  /** Default resource id (`res_...`). Default `res_local`. */
  resourceId?: string;
  /** `env`: iss = {url} (Scalekit today). `resource`: iss = {url}/resources/{res_id}. Scalekit layout only. */
  issuerForm?: IssuerForm;
  /** Access token lifetime in seconds. Default 3600. */
  tokenLifetime?: number;
  /** Show an approve / deny page instead of auto-approving. Default false. */
  consent?: boolean;
  /** scopes_supported; requested scopes must be among them when non-empty. */
  scopes?: string[];
  /**
   * Fetch client ID metadata documents from loopback URLs (http or https) too.
   * Default false: only https URLs on public hosts.
   */
  allowLocalCimd?: boolean;
  /** Resolves host names of client ID metadata document URLs (tests). Default: the system resolver. */
  lookup?: Lookup;
  /** No request log on stderr. */
  quiet?: boolean;
  /** Where log lines go when not quiet. Default: process.stderr. */
  log?: (line: string) => void;
}

export interface MintOptions {
  sub?: string;
  clientId?: string;
  /** Written as both `scope` (space string) and `scopes` (array). Default: the configured scopes. */
  scopes?: string[];
  /** Default: [resourceId]. A string is written as a string, an array as an array. */
  audience?: string | string[];
  /** Override iss. */
  issuer?: string;
  /** Seconds from now; negative = already expired; null = no exp claim. Default: tokenLifetime. */
  expiresIn?: number | null;
  /** Seconds from now for nbf (default: now). */
  notBefore?: number;
  /**
   * "unknown": signed by a key that is not in the JWKS, with its own kid.
   * "standby": signed by a second key, created on first use and published in
   * the JWKS from then on (never the current key): proves a server picks up a
   * new key without leaving the issuer changed for the next run.
   */
  key?: "current" | "unknown" | "standby";
  /** Extra / overriding claims, applied last. */
  claims?: Record<string, unknown>;
}

export interface LocalIssuer {
  /** Environment URL, e.g. http://127.0.0.1:4444 */
  readonly url: string;
  readonly layout: Layout;
  readonly resourceId: string;
  /** The iss it puts in tokens. */
  readonly issuer: string;
  readonly issuerForm: IssuerForm;
  /** The authorization server identifier: {url}/resources/{resourceId} (scalekit) or {url} (oidc). */
  readonly authorizationServer: string;
  /** {url}/keys */
  readonly jwksUri: string;
  /**
   * The two metadata URLs for the default resource id: scalekit, the two RFC 8414 forms;
   * oidc, {url}/.well-known/oauth-authorization-server and {url}/.well-known/openid-configuration.
   */
  readonly metadataUrls: readonly string[];
  readonly scopes: readonly string[];
  /** Where clients register (RFC 7591). */
  readonly registrationEndpoint: string;
  mint(o?: MintOptions): Promise<string>;
  /** Adds a new current key; keepOld (default true) keeps the previous keys in the JWKS. */
  rotateKey(o?: { keepOld?: boolean }): Promise<string>;
  /** How many times GET /keys was served. */
  readonly jwksRequests: number;
  close(): Promise<void>;
}
