/** Public types of the local issuer (see docs/ARCHITECTURE.md, "Local issuer"). */

export type IssuerForm = "env" | "resource";

export interface IssuerOptions {
  /** TCP port on 127.0.0.1. Default 4444; 0 picks a free port. */
  port?: number;
  /** Default resource id (`res_...`). Default `res_local`. */
  resourceId?: string;
  /** `env`: iss = {url} (Scalekit today). `resource`: iss = {url}/resources/{res_id}. */
  issuerForm?: IssuerForm;
  /** Access token lifetime in seconds. Default 3600. */
  tokenLifetime?: number;
  /** Show an approve / deny page instead of auto-approving. Default false. */
  consent?: boolean;
  /** scopes_supported; requested scopes must be among them when non-empty. */
  scopes?: string[];
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
  readonly resourceId: string;
  /** The iss it puts in tokens. */
  readonly issuer: string;
  readonly issuerForm: IssuerForm;
  /** {url}/resources/{resourceId} */
  readonly authorizationServer: string;
  /** {url}/keys */
  readonly jwksUri: string;
  /** The two RFC 8414 metadata URLs for the default resource id. */
  readonly metadataUrls: readonly string[];
  readonly scopes: readonly string[];
  mint(o?: MintOptions): Promise<string>;
  /** Adds a new current key; keepOld (default true) keeps the previous keys in the JWKS. */
  rotateKey(o?: { keepOld?: boolean }): Promise<string>;
  /** How many times GET /keys was served. */
  readonly jwksRequests: number;
  close(): Promise<void>;
}
