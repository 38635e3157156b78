/** JWT access tokens: the claims Scalekit puts in MCP tokens, signed RS256 with a kid. */
import { randomUUID } from "node:crypto";
import { type JWTPayload, SignJWT } from "jose";
import { OAuthError } from "./errors.js";
import type { KeyStore, SigningKey } from "./keys.js";
import type { MintOptions } from "./types.js";

export const DEFAULT_SUB = "usr_local";
export const DEFAULT_CLIENT_ID = "skc_local_dev";

export interface TokenDefaults {
  issuer: string;
  resourceId: string;
  scopes: readonly string[];
  tokenLifetime: number;
}

export interface AccessTokenRequest {
  issuer: string;
  sub: string;
  clientId: string;
  scopes: readonly string[];
  audience: readonly string[];
}

export class TokenService {
  constructor(
    private readonly keys: KeyStore,
    private readonly defaults: TokenDefaults,
  ) {}

  get lifetime(): number {
    return this.defaults.tokenLifetime;
  }

  /** Any shape of token, for tests and the self-check. */
  async mint(o: MintOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = this.defaults.tokenLifetime;
    const expiresIn = o.expiresIn === undefined ? lifetime : o.expiresIn;
    // An expired token looks like one issued a lifetime before it expired.
    const iat = expiresIn !== null && expiresIn < 0 ? Math.floor(now + expiresIn - lifetime) : now;
    const nbf = o.notBefore !== undefined ? Math.floor(now + o.notBefore) : iat;
    const scopes = o.scopes ?? [...this.defaults.scopes];
    const payload: JWTPayload = {
      iss: o.issuer ?? this.defaults.issuer,
      sub: o.sub ?? DEFAULT_SUB,
      aud: o.audience === undefined ? [this.defaults.resourceId] : o.audience,
      client_id: o.clientId ?? DEFAULT_CLIENT_ID,
      scope: scopes.join(" "),
      scopes,
      iat,
      nbf,
      ...(expiresIn === null ? {} : { exp: Math.floor(now + expiresIn) }),
      jti: randomUUID(),
      ...o.claims,
    };
    const key = await this.signingKey(o.key);
    return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" }).sign(key.privateKey);
  }

  private signingKey(which: MintOptions["key"]): Promise<SigningKey> | SigningKey {
    if (which === "unknown") return this.keys.unknownKey();
    if (which === "standby") return this.keys.standbyKey();
    return this.keys.current;
  }

  /** A token from one of the grants. */
  async issue(r: AccessTokenRequest): Promise<{ token: string; expiresIn: number }> {
    const token = await this.mint({
      issuer: r.issuer,
      sub: r.sub,
      clientId: r.clientId,
      scopes: [...r.scopes],
      audience: [...r.audience],
    });
    return { token, expiresIn: this.defaults.tokenLifetime };
  }
}

const bad = (what: string): OAuthError => new OAuthError("invalid_request", `mint: ${what}`);
const isStr = (v: unknown): v is string => typeof v === "string";
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isFiniteNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Validates MintOptions received as JSON (POST /_dev/mint). */
export function parseMintOptions(body: Record<string, unknown>): MintOptions {
  const o: MintOptions = {};
  const known = new Set(["sub", "clientId", "scopes", "audience", "issuer", "expiresIn", "notBefore", "key", "claims"]);
  for (const k of Object.keys(body)) if (!known.has(k)) throw bad(`unknown option "${k}"`);
  if (body.sub !== undefined) {
    if (!isStr(body.sub)) throw bad("sub must be a string");
    o.sub = body.sub;
  }
  if (body.clientId !== undefined) {
    if (!isStr(body.clientId)) throw bad("clientId must be a string");
    o.clientId = body.clientId;
  }
  if (body.scopes !== undefined) {
    if (!isStrArray(body.scopes)) throw bad("scopes must be an array of strings");
    o.scopes = body.scopes;
  }
  if (body.audience !== undefined) {
    if (!isStr(body.audience) && !isStrArray(body.audience)) throw bad("audience must be a string or an array of strings");
    o.audience = body.audience;
  }
  if (body.issuer !== undefined) {
    if (!isStr(body.issuer)) throw bad("issuer must be a string");
    o.issuer = body.issuer;
  }
  if (body.expiresIn !== undefined) {
    if (body.expiresIn !== null && !isFiniteNum(body.expiresIn)) throw bad("expiresIn must be a number or null");
    o.expiresIn = body.expiresIn;
  }
  if (body.notBefore !== undefined) {
    if (!isFiniteNum(body.notBefore)) throw bad("notBefore must be a number");
    o.notBefore = body.notBefore;
  }
  if (body.key !== undefined) {
    if (body.key !== "current" && body.key !== "unknown" && body.key !== "standby") {
      throw bad(`key must be "current", "unknown" or "standby"`);
    }
    o.key = body.key;
  }
  if (body.claims !== undefined) {
    if (typeof body.claims !== "object" || body.claims === null || Array.isArray(body.claims)) {
      throw bad("claims must be an object");
    }
    o.claims = body.claims as Record<string, unknown>;
  }
  return o;
}
