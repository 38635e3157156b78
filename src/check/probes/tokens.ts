/**
 * The token battery. Forged tokens (no private key needed: a real kid with a
 * bad, missing, truncated or public-key signature) run against any server;
 * minted tokens of every other bad shape need the local issuer. All must get
 * 401; the good ones (a second published key, lower-case `bearer`) must pass.
 */

import { decodeProtectedHeader } from "jose";
import { plural } from "../../core/plural.js";
import { type CheckContext, ERA_NAME, NEEDS_ISSUER, toolsOf } from "../context.js";
import * as forge from "../forge.js";
import { describeError, describeStatus, type HttpResult, initializeRequest, isSuccess, jsonRpcResponse, modernRequest } from "../http.js";
import { fail, type Outcome, type Probe, pass, Skip, warn } from "../probe.js";
import { type Citation, RULES } from "../rules.js";
import { expectInvalidToken } from "./challenge.js";

export const issuerReachable: Probe = {
  id: "issuer.reachable",
  title: "The local issuer is reachable and is the server's authorization server",
  ...RULES.localIssuer(),
  async run(ctx) {
    if (!ctx.hasIssuer) throw new Skip(NEEDS_ISSUER);
    let issuer: Awaited<ReturnType<typeof ctx.connectIssuer>>;
    try {
      issuer = await ctx.connectIssuer();
    } catch (err) {
      return fail(`local issuer ${ctx.issuerUrl}: ${describeError(err)}`);
    }
    const mismatch = await ctx.issuerProblem();
    if (mismatch) return fail(mismatch);
    return pass(`${issuer!.url} (iss ${issuer!.issuer}, authorization server ${issuer!.authorizationServer})`);
  },
};

/** A request that a valid token must get through, in the era the server speaks. */
export async function authorizedRequest(ctx: CheckContext, authorization: string): Promise<HttpResult> {
  return (await ctx.preferredEra()) === "modern"
    ? ctx.post(authorization, modernRequest("server/discover"))
    : ctx.post(authorization, { body: initializeRequest() });
}

/** A probe that sends crafted tokens and expects 401 for each. */
function rejects(
  id: string,
  title: string,
  citation: Citation,
  make: (ctx: CheckContext) => Promise<{ tokens: string | string[]; what: string }>,
): Probe {
  return {
    id,
    title,
    ...citation,
    async run(ctx) {
      const { tokens, what } = await make(ctx);
      const outcomes = await Promise.all(
        [tokens].flat().map(async (t) => expectInvalidToken(ctx, await ctx.post(`Bearer ${t}`), what, false)),
      );
      return outcomes.find((o) => o.status === "fail") ?? outcomes.find((o) => o.status !== "pass") ?? outcomes[0]!;
    },
  };
}

/** A minted token with one thing wrong (needs the issuer). */
const minted = (
  id: string,
  title: string,
  citation: Citation,
  what: string,
  make: (ctx: CheckContext) => Promise<string | string[]>,
): Probe => rejects(id, title, citation, async (ctx) => ({ tokens: await make(ctx), what }));

export const validToken: Probe = {
  id: "token.valid",
  title: "Valid token: tools/list answers 200",
  ...RULES.accessTokenUsage(),
  async run(ctx) {
    const token = await ctx.mintedToken();
    const era = await ctx.preferredEra();
    const { stage, response } = await ctx.exchange(`Bearer ${token}`, "tools/list", undefined, era);
    if (!isSuccess(response)) return fail(`${stage} with a valid token: ${describeStatus(response)}`);
    const msg = jsonRpcResponse(response);
    if (!msg) return fail(`tools/list answered HTTP ${response.status} without a JSON-RPC response`);
    if (msg.error) return fail(`tools/list: JSON-RPC error ${msg.error.code} ${msg.error.message}`);
    const tools = toolsOf(msg.result);
    if (!tools) return fail("tools/list result has no tools array");
    ctx.findings.tools = tools;
    return pass(
      `${era === "modern" ? "tools/list" : "initialize + tools/list"} (${ERA_NAME[era]} era): 200, ${plural(tools.length, "tool")}`,
    );
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const rotatedKey: Probe = {
  id: "token.rotated-key",
  title: "Token signed by a newly published key is accepted without restart",
  ...RULES.tokenHandling("RFC 8414 §2 jwks_uri (the key set changes; refetch it on an unknown kid)"),
  async run(ctx) {
    // The standby key: published from its first use on and never retired, so the
    // first run proves the server refetches, and later runs find it in the server's cache.
    const token = await ctx.mint({ key: "standby" });
    const first = decodeProtectedHeader(await ctx.mintedToken()).kid;
    if (decodeProtectedHeader(token).kid === first)
      return fail(
        `the issuer signed the standby token with its current key ${first}: use a create-mcp-auth issuer that knows key: "standby"`,
      );
    let r = await authorizedRequest(ctx, `Bearer ${token}`);
    let note = "";
    if (!isSuccess(r) && r.status < 500) {
      // A short refetch cooldown is fine; a key set cached forever is not.
      await sleep(1100);
      r = await authorizedRequest(ctx, `Bearer ${token}`);
      note = " after a 1 s retry";
    }
    if (r.status >= 500) return fail(`a token signed by the issuer's second published key got HTTP ${r.status}, a server error`);
    if (!isSuccess(r)) {
      return fail(
        `a token signed by the issuer's second published key got ${describeStatus(r)}: the server does not refetch its key set on an unknown kid, or waits longer than 1 s to (jose's default cooldown is 30 s)`,
      );
    }
    const old = await authorizedRequest(ctx, `Bearer ${await ctx.mintedToken()}`);
    if (!isSuccess(old))
      return fail(`after the new key was accepted, a token signed by the first key (still published) got ${describeStatus(old)}`);
    return pass(`a token signed by the issuer's second published key was accepted${note}; the first key still works`);
  },
};

export const expiredToken = minted(
  "token.expired",
  "Expired token is refused",
  RULES.tokenHandling(),
  "a token expired 10 min ago",
  (ctx) => ctx.mint({ expiresIn: -600 }),
);
export const notYetValidToken = minted(
  "token.not-yet-valid",
  "Token with nbf in the future is refused",
  RULES.tokenHandling("RFC 7519 §4.1.5"),
  "a token valid only in 10 min (nbf)",
  (ctx) => ctx.mint({ notBefore: 600 }),
);
export const noExpToken = minted(
  "token.no-exp",
  "Token without exp is refused",
  RULES.tokenHandling("RFC 9068 §2.2 (exp is REQUIRED)"),
  "a token without exp",
  (ctx) => ctx.mint({ expiresIn: null }),
);

export const wrongIssuer = minted(
  "token.wrong-issuer",
  "Token from another issuer is refused",
  RULES.tokenHandling("RFC 9068 §4 (iss)"),
  "a token with another iss",
  async (ctx) => {
    const issuer = await ctx.issuer();
    const base = issuer.url.replace(/\/+$/, "");
    return [await ctx.mint({ issuer: "https://issuer.invalid" }), await ctx.mint({ issuer: `${base}/resources/res_other` })];
  },
);

export const wrongAudience = minted(
  "token.wrong-audience",
  "Token for another audience is refused",
  RULES.audience(),
  "a token for https://other-server.invalid/mcp",
  (ctx) => ctx.mint({ audience: ["https://other-server.invalid/mcp"] }),
);

export const siblingAudience = minted(
  "token.sibling-audience",
  "Token for a sibling resource on the same issuer is refused",
  RULES.audience(),
  "a token for a sibling resource (res_other, or a same-origin URL)",
  async (ctx) => [await ctx.mint({ audience: ["res_other"] }), await ctx.mint({ audience: [`${ctx.url.origin}/other/mcp`] })],
);

export const unknownKey = minted(
  "token.unknown-key",
  "Token signed by an unknown key is refused",
  RULES.tokenHandling(),
  "a token signed by a key not in the key set",
  (ctx) => ctx.mint({ key: "unknown" }),
);

/** A forgery: runs without an issuer, from the claims of a valid token when there is one. */
const forged = (
  id: string,
  title: string,
  citation: Citation,
  what: string,
  make: (b: forge.ForgeryBase) => string | string[] | Promise<string | string[] | undefined>,
): Probe =>
  rejects(id, title, citation, async (ctx) => {
    const base = await forge.forgeryBase(ctx);
    const tokens = await make(base);
    if (!tokens) throw new Skip(`no public key to key it with: ${base.keyProblem ?? "the published key is not RSA, EC or OKP"}`);
    return { tokens, what: `${what} (${base.source})` };
  });

const ALG_RULE = RULES.tokenHandling("RFC 8725 §3.1 (alg none, algorithm confusion)");

export const tamperedSignature = forged(
  "token.tampered-signature",
  "Token with a forged signature under the real kid is refused",
  RULES.tokenHandling("RFC 7515 §5.2"),
  "a token with a bad signature",
  forge.badSignature,
);
export const algNone = forged(
  "token.alg-none",
  'Token with alg "none" is refused, with an empty and a non-empty signature',
  ALG_RULE,
  'an alg "none" token',
  forge.algNone,
);
export const hs256WithPublicKey = forged(
  "token.hs256-public-key",
  "HS256 token keyed with the server's public key is refused",
  ALG_RULE,
  "an HS256 token keyed with the public key (PEM, JWK)",
  forge.hs256WithPublicKey,
);
export const unsignedToken = forged(
  "token.unsigned",
  "Token for the advertised kid without a signature is refused",
  RULES.tokenHandling("RFC 7515 §5.2"),
  "a token with no signature",
  forge.unsigned,
);
export const truncatedSignature = forged(
  "token.truncated-signature",
  "Token with a truncated signature is refused",
  RULES.tokenHandling("RFC 7515 §5.2"),
  "a token with half its signature",
  forge.truncatedSignature,
);

export const malformedToken = rejects("token.malformed", "Malformed JWT is refused", RULES.tokenHandling(), async () => ({
  tokens: "abc.def",
  what: "a malformed JWT (abc.def)",
}));

/** A request with non-Bearer or empty credentials: 401 (or 400 invalid_request), never accepted, never 5xx. */
function refusesCredentials(id: string, title: string, authorization: string, what: string): Probe {
  return {
    id,
    title,
    ...RULES.errorHandling("RFC 6750 §2.1", "RFC 9110 §11.6.1"),
    async run(ctx) {
      const r = await ctx.post(authorization);
      if (isSuccess(r)) return fail(`the server accepted ${what} (HTTP ${r.status})`);
      if (r.status >= 500) return fail(`${what}: HTTP ${r.status}, a server error`);
      if (r.status === 400)
        return warn(`${what}: HTTP 400 (allowed by RFC 6750 §3.1 as invalid_request, but a 401 challenge helps clients)`);
      if (r.status !== 401) return fail(`${what}: expected 401, got ${describeStatus(r)}`);
      return pass(`${what}: 401`);
    },
  };
}

// fetch trims header values: the server sees "Bearer" with nothing after it.
export const emptyBearer = refusesCredentials(
  "token.empty-bearer",
  "Empty bearer token is refused",
  "Bearer ",
  'an empty "Bearer " credential',
);
export const basicScheme = refusesCredentials(
  "token.basic-scheme",
  "Basic credentials are refused",
  "Basic dXNlcjpwYXNzd29yZA==",
  "Basic credentials",
);

export const lowercaseBearer: Probe = {
  id: "token.lowercase-bearer",
  title: 'Scheme "bearer" in lower case is accepted',
  ...RULES.tokenRequirements("RFC 9110 §11.1 (auth schemes are case-insensitive)", "RFC 6750 §2.1"),
  async run(ctx) {
    const r = await authorizedRequest(ctx, `bearer ${await ctx.requireToken()}`);
    return isSuccess(r) ? pass(`"bearer <valid token>": HTTP ${r.status}`) : fail(`"bearer <valid token>" got ${describeStatus(r)}`);
  },
};

export const oversizedToken: Probe = {
  id: "token.oversized",
  title: "A 100 kB token is refused and the server stays up",
  ...RULES.tokenHandling("RFC 6585 §5 (431)"),
  async run(ctx) {
    const huge = `${"a".repeat(50_000)}.${"b".repeat(50_000)}.c`;
    let outcome: Outcome;
    try {
      const r = await ctx.post(`Bearer ${huge}`);
      if (r.status === 401 || r.status === 431) outcome = pass(`HTTP ${r.status}`);
      else if (isSuccess(r)) outcome = fail(`the server accepted a 100 kB garbage token (HTTP ${r.status})`);
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
