import { errors, type JWTPayload, jwtVerify } from "jose";
import { InvalidTokenError } from "./errors.js";
import { type KeySetOptions, KeysUnavailableError, type RemoteKeySet } from "./keyset.js";
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

/** What `createVerifier` (src/auth/provider.ts) takes: the key set's settings and the cache's. */
export interface VerifierOptions {
  keySet?: KeySetOptions;
  /** How long a verified token is remembered (never past its `exp`). Default 60 s; 0 turns the cache off. */
  cacheTtlMs?: number;
  /** How many verified tokens are remembered at most. Default 1000. */
  cacheMaxEntries?: number;
}

export interface JwtVerifierSettings extends VerifierOptions {
  keys: RemoteKeySet;
  /** `iss` values accepted (exact strings). */
  issuers: readonly string[];
  /** `aud` values accepted; a token must name at least one. */
  audiences: readonly string[];
}

/** Asymmetric algorithms only: never `none`, never an HMAC keyed with a public key. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
/** JWT access tokens (RFC 9068) say `at+jwt`; many servers still say `JWT` or nothing. */
const ACCESS_TOKEN_TYPES = new Set(["at+jwt", "application/at+jwt", "jwt", "application/jwt"]);
/**
 * Claims only an OpenID Connect ID token carries (hashes binding it to an
 * access token or code): such a token is not an access token. Most ID tokens
 * are refused earlier anyway, as their audience is the client, not this server.
 */
const ID_TOKEN_CLAIMS = ["at_hash", "c_hash"];
const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Validates JWT access tokens with jose against the authorization server's
 * key set (RemoteKeySet): signature with an asymmetric algorithm from the key
 * set, `iss`, `aud`, `exp` (required) and `nbf`. Both providers use it; they
 * differ only in what they pass here.
 */
export class JwtVerifier implements TokenVerifier {
  private readonly cacheTtlMs: number;
  private readonly cacheMaxEntries: number;
  /** Verified tokens, oldest first (a Map keeps insertion order), each with the time it stops counting. */
  private readonly verified = new Map<string, { token: VerifiedToken; until: number }>();
  private cachedVersion = 0;

  constructor(private readonly settings: JwtVerifierSettings) {
    this.cacheTtlMs = settings.cacheTtlMs ?? 60_000;
    this.cacheMaxEntries = settings.cacheMaxEntries ?? 1000;
  }

  async verify(token: string): Promise<VerifiedToken> {
    // A remembered token is the same string that passed every check below.
    const cached = this.fromCache(token);
    if (cached) return cached;
    checkShape(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.settings.keys.getKey, {
        issuer: [...this.settings.issuers],
        audience: [...this.settings.audiences],
        algorithms: ALGORITHMS,
        requiredClaims: ["exp"],
      }));
    } catch (error) {
      throw classify(error);
    }
    if (ID_TOKEN_CLAIMS.some((claim) => claim in payload)) {
      throw new InvalidTokenError("not_an_access_token", "This is an ID token, not an access token");
    }
    const claims = payload as Record<string, unknown>;
    // RFC 9068 says client_id; Keycloak and Entra ID (v2) say azp, Okta cid, Entra ID (v1) appid.
    const { client_id, azp, cid, appid } = claims;
    const clientId = [client_id, azp, cid, appid].find((v): v is string => typeof v === "string") ?? "";
    const verified: VerifiedToken = {
      token,
      subject: typeof payload.sub === "string" ? payload.sub : undefined,
      clientId,
      scopes: scopesFromClaims(claims),
      expiresAt: payload.exp!,
      claims,
    };
    this.remember(verified);
    return verified;
  }

  /**
   * Clients send the same token with every request until it expires, and the
   * signature check is most of the cost of authorizing one. A token that
   * passed is remembered for a short while, never past its `exp`, and
   * forgotten whenever the key set changes.
   */
  private fromCache(token: string): VerifiedToken | undefined {
    if (this.cachedVersion !== this.settings.keys.version) {
      this.verified.clear();
      this.cachedVersion = this.settings.keys.version;
      return undefined;
    }
    const entry = this.verified.get(token);
    if (!entry) return undefined;
    this.verified.delete(token);
    if (Date.now() >= entry.until) return undefined;
    this.verified.set(token, entry); // most recently used goes last
    return entry.token;
  }

  private remember(verified: VerifiedToken): void {
    if (this.cacheTtlMs <= 0 || this.cachedVersion !== this.settings.keys.version) return;
    const until = Math.min(Date.now() + this.cacheTtlMs, verified.expiresAt * 1000);
    this.verified.set(verified.token, { token: verified, until });
    while (this.verified.size > this.cacheMaxEntries) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
  }
}

/** Cheap checks before any key lookup: size, a compact JWS, an allowed algorithm and type. */
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
  const { alg, typ } = header as { alg?: unknown; typ?: unknown };
  if (typeof alg !== "string" || !ALGORITHMS.includes(alg)) {
    throw new InvalidTokenError(
      "unsupported_algorithm",
      "The token must be signed with an asymmetric algorithm (RS256, PS256, ES256, EdDSA, ...)",
    );
  }
  if (typ !== undefined && (typeof typ !== "string" || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase()))) {
    throw new InvalidTokenError("not_an_access_token", "The token's type is not an access token type");
  }
}

/** jose's errors, by class and claim, as the reasons a client may be told. */
function classify(error: unknown): InvalidTokenError {
  if (error instanceof InvalidTokenError) return error;
  if (error instanceof KeysUnavailableError) return new InvalidTokenError("keys_unavailable", "The token cannot be verified right now");
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError("unknown_key", "The token is signed with an unknown key");
  if (error instanceof errors.JWTExpired) return new InvalidTokenError("expired", "The token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "exp") return new InvalidTokenError("missing_exp", "The token has no valid expiry");
    if (error.claim === "nbf") return new InvalidTokenError("not_yet_valid", "The token is not valid yet");
    if (error.claim === "iss")
      return new InvalidTokenError("wrong_issuer", "The token was not issued by this server's authorization server");
    if (error.claim === "aud") return new InvalidTokenError("wrong_audience", "The token is not meant for this server");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new InvalidTokenError("invalid_signature", "The token signature is invalid");
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new InvalidTokenError("unsupported_algorithm", "The token's algorithm is not allowed");
  return new InvalidTokenError("invalid", "The token is invalid");
}
