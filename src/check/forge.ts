/**
 * Tokens anyone can make without a private key: the claims of a token the
 * server would accept, under a real `kid` of the authorization server's key
 * set, with a signature that is forged, missing, truncated or made with the
 * public key. A server that verifies signatures refuses every one of them.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { base64url, decodeJwt, decodeProtectedHeader, exportSPKI, importJWK, type JWK, type JWTPayload, SignJWT } from "jose";
import type { CheckContext } from "./context.js";

export interface ForgeryBase {
  /** Why there is no public key, when there is none. */
  keyProblem?: string;
  /** The protected header to imitate: the real `alg` and `kid`. */
  header: { alg: string; kid?: string; typ: string };
  payload: JWTPayload;
  /** A real token's signature, when the check has a valid token. */
  signature?: Uint8Array;
  /** The published public key for `kid`, if the key set is available. */
  key?: JWK;
  /** Where the claims and the kid come from, for reasons. */
  source: string;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A key to imitate: the one matching `kid`, else the first signing key (RSA first). */
function pickKey(keys: JWK[], kid: string | undefined): JWK | undefined {
  const signing = keys.filter((k) => k.use === undefined || k.use === "sig");
  return (
    (kid ? keys.find((k) => k.kid === kid) : undefined) ??
    signing.find((k) => k.kty === "RSA" && k.kid) ??
    signing.find((k) => k.kid) ??
    signing[0]
  );
}

const defaultAlg = (k: JWK | undefined): string =>
  k?.alg ??
  (k?.kty === "EC"
    ? ({ "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" }[k.crv ?? ""] ?? "ES256")
    : k?.kty === "OKP"
      ? "EdDSA"
      : "RS256");

/** The claims and header a forgery imitates: a real token's when the check has one, else built from the metadata. */
export async function forgeryBase(ctx: CheckContext): Promise<ForgeryBase> {
  const keySet = await ctx.keySet();
  const keys = "keys" in keySet ? keySet.keys : [];
  const real = await realToken(ctx);
  if (real) {
    const header = decodeProtectedHeader(real.token);
    const key = pickKey(keys, header.kid);
    return {
      header: { alg: header.alg ?? defaultAlg(key), ...(header.kid ? { kid: header.kid } : {}), typ: header.typ ?? "JWT" },
      payload: decodeJwt(real.token),
      signature: base64url.decode(real.token.split(".")[2]!),
      ...(key ? { key } : { keyProblem: "problem" in keySet ? keySet.problem : `the key set has no key ${header.kid ?? ""}`.trim() }),
      source: real.source,
    };
  }
  const key = pickKey(keys, undefined);
  const { prm } = await ctx.discovery();
  const meta = (await ctx.authServer())?.found?.doc;
  const as = Array.isArray(prm?.authorization_servers) ? prm.authorization_servers.find((s) => typeof s === "string") : undefined;
  const iss = typeof meta?.issuer === "string" ? meta.issuer : (as ?? ctx.url.origin);
  const scopes = (await ctx.scopesSupported()) ?? [];
  const now = Math.floor(Date.now() / 1000);
  return {
    header: { alg: defaultAlg(key), ...(key?.kid ? { kid: key.kid } : {}), typ: "JWT" },
    payload: {
      iss,
      aud: [typeof prm?.resource === "string" ? prm.resource : ctx.endpoint],
      sub: "create-mcp-auth-check",
      client_id: "create-mcp-auth-check",
      scope: scopes.join(" "),
      scopes,
      iat: now,
      nbf: now,
      exp: now + 300,
      jti: randomUUID(),
    },
    ...(key ? { key } : { keyProblem: "problem" in keySet ? keySet.problem : "the key set has no usable key" }),
    source: key?.kid
      ? `claims from the metadata, kid from ${"uri" in keySet ? keySet.uri : "the key set"}`
      : `claims from the metadata; no kid: ${"problem" in keySet ? keySet.problem : "no key has one"}`,
  };
}

async function realToken(ctx: CheckContext): Promise<{ token: string; source: string } | undefined> {
  if (ctx.userToken && COMPACT_JWS.test(ctx.userToken)) return { token: ctx.userToken, source: "claims and kid of the --token" };
  if (!ctx.hasIssuer) return undefined;
  const minted = await ctx.mintedToken().catch(() => undefined);
  return minted ? { token: minted, source: "claims and kid of a valid minted token" } : undefined;
}

const encode = (v: unknown): string => base64url.encode(JSON.stringify(v));

/** The signature length of the key's algorithm: RSA modulus bytes, or the EC / EdDSA signature size. */
function signatureLength(b: ForgeryBase): number {
  if (b.signature) return b.signature.length;
  const k = b.key;
  if (k?.kty === "RSA" && k.n) return base64url.decode(k.n).length;
  if (k?.kty === "EC") return { "P-256": 64, "P-384": 96, "P-521": 132 }[k.crv ?? ""] ?? 64;
  if (k?.kty === "OKP") return 64;
  return 256;
}

function assemble(header: unknown, payload: unknown, signature: Uint8Array | string): string {
  const sig = typeof signature === "string" ? signature : base64url.encode(signature);
  return `${encode(header)}.${encode(payload)}.${sig}`;
}

/** The real signature with one bit flipped, or random bytes of the right length: a bad signature under the real kid. */
export function badSignature(b: ForgeryBase): string {
  const sig = b.signature ? Uint8Array.from(b.signature) : new Uint8Array(randomBytes(signatureLength(b)));
  const i = Math.floor(sig.length / 2);
  sig[i] = sig[i]! ^ 0x01;
  return assemble(b.header, b.payload, sig);
}

/** alg "none" under the real kid: with an empty signature and with a non-empty one. */
export function algNone(b: ForgeryBase): string[] {
  const header = { ...b.header, alg: "none" };
  const nonEmpty = b.signature ?? new Uint8Array(randomBytes(signatureLength(b)));
  return [assemble(header, b.payload, ""), assemble(header, b.payload, nonEmpty)];
}

/** The real alg and kid, no signature at all. */
export const unsigned = (b: ForgeryBase): string => assemble(b.header, b.payload, "");

/** Half a signature. */
export function truncatedSignature(b: ForgeryBase): string {
  const sig = b.signature ?? new Uint8Array(randomBytes(signatureLength(b)));
  return assemble(b.header, b.payload, sig.slice(0, Math.floor(sig.length / 2)));
}

/**
 * HS256 tokens keyed with the published public key, in the forms a confused
 * verifier might use as the HMAC secret: PEM (with and without the final
 * newline) and the JWK's JSON. Undefined without a usable public key.
 */
export async function hs256WithPublicKey(b: ForgeryBase): Promise<string[] | undefined> {
  if (!b.key || !["RSA", "EC", "OKP"].includes(b.key.kty ?? "")) return undefined;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicOnly } = b.key;
  const key = await importJWK({ ...publicOnly, ext: true }, defaultAlg(publicOnly)).catch(() => undefined);
  if (!key || key instanceof Uint8Array) return undefined;
  const pem = await exportSPKI(key);
  const secrets = [pem, pem.trimEnd(), JSON.stringify(publicOnly)];
  const header = { ...b.header, alg: "HS256" };
  return Promise.all(secrets.map((s) => new SignJWT(b.payload).setProtectedHeader(header).sign(new TextEncoder().encode(s))));
}
