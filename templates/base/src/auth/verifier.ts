import { ScalekitClient, ScalekitValidateTokenFailureException } from "@scalekit-sdk/node";
import type { Config } from "./config.js";
import { InvalidTokenError } from "./errors.js";
import { scopesFromClaims } from "./scopes.js";

export interface VerifiedToken {
  token: string;
  subject: string | undefined;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
  claims: Record<string, unknown>;
}

export interface TokenVerifier {
  /** Resolves with who the token speaks for, or rejects with an InvalidTokenError. */
  verify(token: string): Promise<VerifiedToken>;
}

export interface ScalekitVerifierOptions {
  /** Least time between two key-set refreshes caused by an unknown `kid`. Default 10 s. */
  refreshCooldownMs?: number;
  /** Timeout of the key-set fetch. Default 5 s. */
  fetchTimeoutMs?: number;
  /** Where operational errors go (never token content). Default console.error. */
  log?: (line: string) => void;
  /** How long a verified token is remembered (never past its `exp`). Default 60 s; 0 turns the cache off. */
  cacheTtlMs?: number;
  /** How many verified tokens are remembered at most. Default 1000. */
  cacheMaxEntries?: number;
}

type Claims = Record<string, unknown>;
type Attempt = { client: ScalekitClient; claims: Claims } | { client: ScalekitClient; error: InvalidTokenError };

const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// The SDK wraps jose's errors keeping only their message; this is JWKSNoMatchingKey's.
const NO_MATCHING_KEY = "no applicable key found in the JSON Web Key Set";

/**
 * Validates Scalekit access tokens with the Scalekit SDK's `validateToken`,
 * closing the gaps around it: shape and algorithm checked before any fetch,
 * `exp` required, both issuer forms accepted, one key-set fetch at a time,
 * key rotation picked up without a restart, fetch failures answered as 401.
 */
export class ScalekitTokenVerifier implements TokenVerifier {
  private client: ScalekitClient;
  private keysLoaded = false;
  private loading: Promise<void> | undefined;
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private readonly refreshCooldownMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly cacheTtlMs: number;
  private readonly cacheMaxEntries: number;
  /** Verified tokens, oldest first (a Map keeps insertion order), each with the time it stops counting. */
  private readonly verified = new Map<string, { token: VerifiedToken; until: number }>();

  constructor(
    private readonly config: Config,
    options: ScalekitVerifierOptions = {},
  ) {
    this.refreshCooldownMs = options.refreshCooldownMs ?? 10_000;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
    this.log = options.log ?? ((line) => console.error(line));
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.cacheMaxEntries = options.cacheMaxEntries ?? 1000;
    this.client = this.newClient();
  }

  async verify(token: string): Promise<VerifiedToken> {
    // A remembered token is the same string that passed every check below.
    const cached = this.fromCache(token);
    if (cached) return cached;
    checkShape(token);
    let result = await this.attempt(token);
    if ("error" in result && result.error.reason === "unknown_key" && this.refreshKeys(result.client)) {
      result = await this.attempt(token);
    }
    if ("error" in result) throw result.error;
    const verified = this.checkClaims(token, result.claims);
    this.remember(verified);
    return verified;
  }

  /**
   * Clients send the same token with every request until it expires, and
   * checking an RS256 signature is most of the cost of authorizing one. A
   * token that passed is remembered for a short while, never past its `exp`;
   * the cache is dropped whenever the key set is refreshed.
   */
  private fromCache(token: string): VerifiedToken | undefined {
    const entry = this.verified.get(token);
    if (!entry) return undefined;
    this.verified.delete(token);
    if (Date.now() >= entry.until) return undefined;
    this.verified.set(token, entry); // most recently used goes last
    return entry.token;
  }

  private remember(verified: VerifiedToken): void {
    if (this.cacheTtlMs <= 0) return;
    const until = Math.min(Date.now() + this.cacheTtlMs, verified.expiresAt * 1000);
    this.verified.set(verified.token, { token: verified, until });
    while (this.verified.size > this.cacheMaxEntries) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
  }

  /** One validateToken call. While the key set is not loaded, calls go one at a time. */
  private async attempt(token: string): Promise<Attempt> {
    while (!this.keysLoaded) {
      if (this.loading) {
        await this.loading; // rejects if the fetch we waited for failed
        continue;
      }
      const client = this.client;
      const result = this.validate(client, token);
      this.loading = result
        .then((r) => {
          if ("error" in r && r.error.reason === "keys_unavailable") throw r.error;
          if (client === this.client) this.keysLoaded = true;
        })
        .finally(() => {
          this.loading = undefined;
        });
      this.loading.catch(() => {}); // the waiters handle it
      return result;
    }
    return this.validate(this.client, token);
  }

  private async validate(client: ScalekitClient, token: string): Promise<Attempt> {
    try {
      // No `issuer` here: the SDK compares one exact string, and we accept two.
      const claims = await client.validateToken<Claims>(token, { audience: this.config.audiences });
      return { client, claims };
    } catch (error) {
      if (error instanceof ScalekitValidateTokenFailureException) {
        return { client, error: classify(error.message) };
      }
      // Anything else comes from fetching the key set (network, HTTP status, bad JSON).
      this.log(`[auth] cannot load signing keys from ${this.config.environmentUrl}/keys: ${describe(error)}`);
      if (client === this.client) this.client = this.newClient(); // drop whatever it cached
      return { client, error: new InvalidTokenError("keys_unavailable", "The token cannot be verified right now") };
    }
  }

  /** A new client has an empty key set, so its next validateToken fetches the keys again. */
  private refreshKeys(staleClient: ScalekitClient): boolean {
    if (staleClient !== this.client) return true; // another request already refreshed
    const now = Date.now();
    if (now - this.lastRefresh < this.refreshCooldownMs) return false;
    this.lastRefresh = now;
    this.client = this.newClient();
    this.keysLoaded = false;
    this.verified.clear(); // tokens signed by a key that left the set must not outlive it
    return true;
  }

  private newClient(): ScalekitClient {
    // Makes no network call; the client id and secret are not used to validate tokens.
    return new ScalekitClient(this.config.environmentUrl, this.config.clientId ?? "", this.config.clientSecret ?? "", {
      timeoutMs: this.fetchTimeoutMs,
    });
  }

  private checkClaims(token: string, claims: Claims): VerifiedToken {
    if (typeof claims.exp !== "number") {
      throw new InvalidTokenError("missing_exp", "The token has no expiry");
    }
    if (typeof claims.iss !== "string" || !this.config.issuers.includes(claims.iss)) {
      throw new InvalidTokenError("wrong_issuer", "The token was not issued by this server's authorization server");
    }
    const clientId = [claims.client_id, claims.azp].find((v): v is string => typeof v === "string") ?? "";
    return {
      token,
      subject: typeof claims.sub === "string" ? claims.sub : undefined,
      clientId,
      scopes: scopesFromClaims(claims),
      expiresAt: claims.exp,
      claims,
    };
  }
}

/** Cheap checks before any key fetch: a compact JWS, RS256, with a key id. */
function checkShape(token: string): void {
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError("too_large", "The token is too large");
  if (!COMPACT_JWS.test(token)) throw new InvalidTokenError("malformed", "The token is not a JWT");
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString("utf8"));
  } catch {
    throw new InvalidTokenError("malformed", "The token header is not valid JSON");
  }
  if (typeof header !== "object" || header === null) throw new InvalidTokenError("malformed", "The token header is not valid JSON");
  const { alg, kid } = header as { alg?: unknown; kid?: unknown };
  if (alg !== "RS256") throw new InvalidTokenError("unsupported_algorithm", "The token must be signed with RS256");
  if (typeof kid !== "string" || kid === "") throw new InvalidTokenError("malformed", "The token header has no key id");
}

function classify(message: string): InvalidTokenError {
  if (message.includes(NO_MATCHING_KEY)) return new InvalidTokenError("unknown_key", "The token is signed with an unknown key");
  if (message.includes('"exp" claim')) return new InvalidTokenError("expired", "The token has expired");
  if (message.includes('"nbf" claim')) return new InvalidTokenError("not_yet_valid", "The token is not valid yet");
  if (message.includes('"aud" claim')) return new InvalidTokenError("wrong_audience", "The token is not meant for this server");
  if (message.includes("signature verification failed")) return new InvalidTokenError("invalid_signature", "The token signature is invalid");
  return new InvalidTokenError("invalid", "The token is invalid");
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { response?: { status?: unknown } }).response?.status;
    return typeof status === "number" ? `HTTP ${status}` : error.message;
  }
  return String(error);
}
