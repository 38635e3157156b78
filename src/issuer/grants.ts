/** Authorization codes (single use, 60 s), rotating refresh tokens, PKCE S256. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const CODE_LIFETIME_MS = 60_000;
const REFRESH_LIFETIME_MS = 30 * 24 * 3600_000;
const MAX_ENTRIES = 10_000;

/** What the user approved; carried from the code to every refreshed token. */
export interface Grant {
  clientId: string;
  resourceId: string;
  sub: string;
  scopes: string[];
  /** RFC 8707 resource indicators approved at /authorize (may be empty). */
  resources: string[];
}

export interface CodeEntry extends Grant {
  redirectUri: string;
  /** Whether redirect_uri was present in the authorization request (then it is required at /token). */
  redirectUriSent: boolean;
  codeChallenge: string;
  expiresAt: number;
}

export interface RefreshEntry extends Grant {
  expiresAt: number;
}

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString("base64url");

const VERIFIER_RE = /^[A-Za-z0-9._~-]{43,128}$/;
export const CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/;

export function verifyPkce(verifier: string, challenge: string): boolean {
  if (!VERIFIER_RE.test(verifier)) return false;
  const computed = Buffer.from(createHash("sha256").update(verifier, "ascii").digest("base64url"));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

function sweep<T extends { expiresAt: number }>(map: Map<string, T>): void {
  const now = Date.now();
  for (const [k, v] of map) if (v.expiresAt <= now) map.delete(k);
  // Still full: drop the oldest (Map keeps insertion order).
  while (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value!);
}

export class GrantStore {
  private readonly codes = new Map<string, CodeEntry>();
  private readonly refresh = new Map<string, RefreshEntry>();

  createCode(entry: Omit<CodeEntry, "expiresAt">): string {
    if (this.codes.size >= MAX_ENTRIES) sweep(this.codes);
    const code = randomToken();
    this.codes.set(code, { ...entry, expiresAt: Date.now() + CODE_LIFETIME_MS });
    return code;
  }

  /** Single use: the code is gone after this call, whatever happens next. */
  takeCode(code: string): CodeEntry | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry;
  }

  createRefreshToken(grant: Grant): string {
    if (this.refresh.size >= MAX_ENTRIES) sweep(this.refresh);
    const token = randomToken();
    this.refresh.set(token, {
      clientId: grant.clientId,
      resourceId: grant.resourceId,
      sub: grant.sub,
      scopes: [...grant.scopes],
      resources: [...grant.resources],
      expiresAt: Date.now() + REFRESH_LIFETIME_MS,
    });
    return token;
  }

  peekRefreshToken(token: string): RefreshEntry | undefined {
    const entry = this.refresh.get(token);
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry;
  }

  /** Rotation: the old refresh token is invalid once used. */
  revokeRefreshToken(token: string): void {
    this.refresh.delete(token);
  }
}
