/** The token battery: minted tokens of every bad shape get 401; good ones (rotated key, `bearer`) pass. */
import { SignJWT, base64url, decodeJwt, decodeProtectedHeader, exportSPKI, importJWK, type JWK } from "jose";
import { type CheckContext, NO_ISSUER, toolsOf } from "../context.js";
import { describeError, describeStatus, isSuccess, jsonRpcResponse, parseJsonObject, request } from "../http.js";
import { type Outcome, type Probe, Skip, fail, pass, warn } from "../probe.js";
import { expectInvalidToken } from "./challenge.js";

const TOKEN_RULE = "MCP 2025-11-25 authorization: Token Handling (RFC 9068 §4, OAuth 2.1 §5.2)";

export const issuerReachable: Probe = {
  id: "issuer.reachable",
  title: "Local issuer is reachable",
  rule: "create-mcp-auth issuer: /_dev/info",
  async run(ctx) {
    if (!ctx.hasIssuer) throw new Skip(NO_ISSUER);
    try {
      const issuer = await ctx.issuer();
      return pass(`${issuer.url} (iss ${issuer.issuer}, resource ${issuer.resourceId})`);
    } catch {
      // ctx.issuer() hides the cause; ask again for the message.
      return fail(`local issuer ${ctx.issuerUrl}: ${await ctx.connectIssuer().then(() => "unknown error", describeError)}`);
    }
  },
};

/** A probe that sends one crafted token and expects 401 invalid_token. */
function rejects(id: string, title: string, make: (ctx: CheckContext) => Promise<string | string[]>, what: string, rule = TOKEN_RULE): Probe {
  return {
    id,
    title,
    rule,
    async run(ctx) {
      const tokens = [await make(ctx)].flat();
      const outcomes = await Promise.all(tokens.map(async (t) => expectInvalidToken(await ctx.post(`Bearer ${t}`), what, false)));
      return outcomes.find((o) => o.status !== "pass") ?? outcomes[0]!;
    },
  };
}

export const validToken: Probe = {
  id: "token.valid",
  title: "Valid token: tools/list answers 200",
  rule: "MCP 2025-11-25 authorization: Access Token Usage",
  async run(ctx) {
    const token = await ctx.mintedToken();
    const { stage, response } = await ctx.exchange(`Bearer ${token}`, "tools/list");
    if (!isSuccess(response)) return fail(`${stage} with a valid token: ${describeStatus(response)}`);
    const msg = jsonRpcResponse(response);
    if (!msg) return fail(`tools/list answered HTTP ${response.status} without a JSON-RPC response`);
    if (msg.error) return fail(`tools/list: JSON-RPC error ${msg.error.code} ${msg.error.message}`);
    const tools = toolsOf(msg.result);
    if (!tools) return fail("tools/list result has no tools array");
    ctx.findings.tools = tools;
    return pass(`initialize + tools/list: 200, ${tools.length} tools`);
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const rotatedKey: Probe = {
  id: "token.rotated-key",
  title: "Token signed by a newly rotated-in key is accepted without restart",
  rule: "RFC 7517 §5 / RFC 8414 jwks_uri: key rotation (refetch the key set on an unknown kid)",
  async run(ctx) {
    const issuer = await ctx.issuer();
    const before = await ctx.mintedToken();
    const kid = await issuer.rotateKey({ keepOld: true });
    const token = await ctx.mint();
    if (decodeProtectedHeader(token).kid !== kid) return fail(`the issuer did not sign with the new key ${kid}`);
    let r = await ctx.post(`Bearer ${token}`);
    let note = "";
    if (!isSuccess(r) && r.status < 500) {
      // A short refetch cooldown is fine; a key set cached forever is not.
      await sleep(1100);
      r = await ctx.post(`Bearer ${token}`);
      note = " after a 1 s retry";
    }
    if (r.status >= 500) return fail(`a token with the rotated-in kid got HTTP ${r.status}, a server error`);
    if (!isSuccess(r)) {
      return fail(
        `a token with the rotated-in kid ${kid.slice(0, 12)}… got ${describeStatus(r)}: the server does not refetch its key set on an unknown kid (or waits longer than 1 s, like jose's default 30 s cooldown)`,
      );
    }
    const old = await ctx.post(`Bearer ${before}`);
    if (!isSuccess(old)) return fail(`after the rotation, a token signed by the previous (still published) key got ${describeStatus(old)}`);
    return pass(`new kid accepted${note}; the previous key still works`);
  },
};

export const expiredToken = rejects("token.expired", "Expired token is refused", (ctx) => ctx.mint({ expiresIn: -600 }), "a token expired 10 min ago");
export const notYetValidToken = rejects("token.not-yet-valid", "Token with nbf in the future is refused", (ctx) => ctx.mint({ notBefore: 600 }), "a token valid only in 10 min (nbf)");
export const noExpToken = rejects("token.no-exp", "Token without exp is refused", (ctx) => ctx.mint({ expiresIn: null }), "a token without exp", "RFC 9068 §2.2 (exp is REQUIRED); MCP 2025-11-25 authorization: Token Handling");

export const wrongIssuer = rejects(
  "token.wrong-issuer",
  "Token from another issuer is refused",
  async (ctx) => {
    const issuer = await ctx.issuer();
    const base = issuer.url.replace(/\/+$/, "");
    return [await ctx.mint({ issuer: "https://issuer.invalid" }), await ctx.mint({ issuer: `${base}/resources/res_other` })];
  },
  "a token with another iss",
);

export const wrongAudience = rejects(
  "token.wrong-audience",
  "Token for another audience is refused",
  (ctx) => ctx.mint({ audience: ["https://other-server.invalid/mcp"] }),
  "a token for https://other-server.invalid/mcp",
  "RFC 8707 §2; MCP 2025-11-25 authorization: Token Audience Binding and Validation",
);

export const siblingAudience = rejects(
  "token.sibling-audience",
  "Token for a sibling resource on the same issuer is refused",
  async (ctx) => [await ctx.mint({ audience: ["res_other"] }), await ctx.mint({ audience: [`${ctx.url.origin}/other/mcp`] })],
  "a token for a sibling resource (res_other / same-origin URL)",
  "RFC 8707 §2; MCP 2025-11-25 authorization: Token Audience Binding and Validation",
);

export const unknownKey = rejects("token.unknown-key", "Token signed by an unknown key is refused", (ctx) => ctx.mint({ key: "unknown" }), "a token signed by a key not in the JWKS");

function flipSignatureByte(jwt: string): string {
  const [h, p, s] = jwt.split(".");
  const sig = base64url.decode(s!);
  const i = Math.floor(sig.length / 2);
  sig[i] = sig[i]! ^ 0x01;
  return `${h}.${p}.${base64url.encode(sig)}`;
}

export const tamperedSignature = rejects(
  "token.tampered-signature",
  "Token with a tampered signature is refused",
  async (ctx) => flipSignatureByte(await ctx.mint()),
  "a token with one signature bit flipped",
);

const encodeJson = (v: unknown): string => base64url.encode(JSON.stringify(v));

export const algNone = rejects(
  "token.alg-none",
  'Unsigned token (alg "none") is refused',
  async (ctx) => {
    const valid = await ctx.mint();
    const { kid } = decodeProtectedHeader(valid);
    return `${encodeJson({ alg: "none", typ: "JWT", ...(kid ? { kid } : {}) })}.${valid.split(".")[1]}.`;
  },
  'an alg "none" token',
  "RFC 8725 §3.1; RFC 9068 §4 (alg none MUST NOT be accepted)",
);

/** The issuer's public key for `kid`, from the jwks_uri of the AS metadata (or {issuer}/keys). */
async function publicJwk(ctx: CheckContext, kid: string | undefined): Promise<JWK> {
  const meta = (await ctx.authServer())?.found?.doc;
  const jwksUri = typeof meta?.jwks_uri === "string" ? meta.jwks_uri : `${(await ctx.issuer()).url.replace(/\/+$/, "")}/keys`;
  const r = await request(jwksUri, { timeoutMs: ctx.timeoutMs, headers: { Accept: "application/json" } });
  const keys = parseJsonObject(r.text)?.keys;
  if (!Array.isArray(keys)) throw new Error(`${jwksUri}: no JWKS (HTTP ${r.status})`);
  const jwk = (keys as JWK[]).find((k) => k.kid === kid) ?? (keys as JWK[]).find((k) => k.kty === "RSA");
  if (!jwk) throw new Error(`${jwksUri} has no RSA key`);
  return jwk;
}

export const hs256WithPublicKey = rejects(
  "token.hs256-public-key",
  "HS256 token keyed with the server's public key is refused",
  async (ctx) => {
    const valid = await ctx.mint();
    const { kid } = decodeProtectedHeader(valid);
    const jwk = await publicJwk(ctx, kid);
    const { d: _private, ...publicOnly } = jwk;
    const key = await importJWK({ ...publicOnly, alg: "RS256" }, "RS256", { extractable: true });
    if (key instanceof Uint8Array) throw new Error("the JWKS key is not an RSA public key");
    const pem = await exportSPKI(key);
    const secrets = [pem, pem.trimEnd(), JSON.stringify(publicOnly)];
    const payload = decodeJwt(valid);
    return Promise.all(
      secrets.map((s) =>
        new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT", ...(kid ? { kid } : {}) }).sign(new TextEncoder().encode(s)),
      ),
    );
  },
  "an HS256 token keyed with the RSA public key (PEM / JWK)",
  "RFC 8725 §2.1, §3.1 (algorithm confusion)",
);

export const malformedToken = rejects("token.malformed", "Malformed JWT is refused", async () => "abc.def", "a malformed JWT (abc.def)");

/** A request with non-Bearer or empty credentials: 401 (or 400 invalid_request), never accepted, never 5xx. */
function refusesCredentials(id: string, title: string, authorization: string, what: string): Probe {
  return {
    id,
    title,
    rule: "RFC 6750 §2.1, §3.1; RFC 9110 §11.6.1",
    async run(ctx) {
      const r = await ctx.post(authorization);
      if (isSuccess(r)) return fail(`${what} was accepted (HTTP ${r.status})`);
      if (r.status >= 500) return fail(`${what}: HTTP ${r.status}, a server error`);
      if (r.status === 400) return warn(`${what}: HTTP 400 (allowed by RFC 6750 §3.1 as invalid_request, but a 401 challenge helps clients)`);
      if (r.status !== 401) return fail(`${what}: expected 401, got ${describeStatus(r)}`);
      return pass(`${what}: 401`);
    },
  };
}

// fetch trims header values: the server sees "Bearer" with nothing after it.
export const emptyBearer = refusesCredentials("token.empty-bearer", "Empty bearer token is refused", "Bearer ", 'an empty "Bearer " credential');
export const basicScheme = refusesCredentials("token.basic-scheme", "Basic credentials are refused", "Basic dXNlcjpwYXNzd29yZA==", "Basic credentials");

export const lowercaseBearer: Probe = {
  id: "token.lowercase-bearer",
  title: 'Scheme "bearer" in lower case is accepted',
  rule: "RFC 9110 §11.1 (auth schemes are case-insensitive); RFC 6750 §2.1",
  async run(ctx) {
    const r = await ctx.post(`bearer ${await ctx.mint()}`);
    return isSuccess(r) ? pass(`"bearer <valid token>": HTTP ${r.status}`) : fail(`"bearer <valid token>" got ${describeStatus(r)}`);
  },
};

export const oversizedToken: Probe = {
  id: "token.oversized",
  title: "A 100 kB token is refused and the server stays up",
  rule: "RFC 6750 §3.1; RFC 6585 §5 (431); robustness",
  async run(ctx) {
    const huge = `${"a".repeat(50_000)}.${"b".repeat(50_000)}.c`;
    let outcome: Outcome;
    try {
      const r = await ctx.post(`Bearer ${huge}`);
      if (r.status === 401 || r.status === 431) outcome = pass(`HTTP ${r.status}`);
      else if (isSuccess(r)) outcome = fail(`a 100 kB garbage token was accepted (HTTP ${r.status})`);
      else if (r.status >= 500) outcome = fail(`HTTP ${r.status}, a server error`);
      else outcome = warn(`HTTP ${r.status} (expected 401 or 431)`);
    } catch (err) {
      outcome = warn(`no HTTP answer: ${describeError(err)}`);
    }
    try {
      const after = await ctx.post(undefined);
      if (after.status >= 500) return fail(`${outcome.reason}; afterwards the server answers HTTP ${after.status}`);
    } catch (err) {
      return fail(`${outcome.reason}; afterwards the server does not answer: ${describeError(err)}`);
    }
    return { ...outcome, reason: `${outcome.reason}; the server still answers` };
  },
};
