/** The 401 challenge (RFC 6750 §3, RFC 9728 §5.1), where tokens may come from, and CORS on the endpoint. */
import { type HttpResult, PROBE_ORIGIN, describeStatus, isSuccess, request } from "../http.js";
import { fetchDocument, whyMissing } from "../metadata.js";
import { type Outcome, type Probe, fail, pass, warn } from "../probe.js";
import { bearerChallenge, isAbsoluteHttpUrl } from "../www-authenticate.js";

/** What is wrong with a 401's Bearer challenge, regardless of `error`. */
export function challengeProblem(r: HttpResult): string | undefined {
  const www = r.headers.get("www-authenticate");
  const bearer = bearerChallenge(www);
  if (!bearer) return www ? `WWW-Authenticate has no Bearer challenge: ${www}` : "no WWW-Authenticate header";
  const rm = bearer.params.resource_metadata;
  if (rm === undefined) {
    return bearer.params.resource !== undefined
      ? `the challenge has resource= instead of resource_metadata=`
      : `the challenge has no resource_metadata`;
  }
  if (!isAbsoluteHttpUrl(rm)) return `resource_metadata="${rm}" is not an absolute URL (some clients ignore a relative one)`;
  return undefined;
}

const isServerError = (r: HttpResult): boolean => r.status >= 500;

export const challengeNoToken: Probe = {
  id: "challenge.no-token",
  title: "Request without a token gets a 401 challenge",
  rule: "RFC 9728 §5.1; RFC 6750 §3.1; MCP 2025-11-25 authorization: Protected Resource Metadata Discovery",
  async run(ctx) {
    const r = await ctx.post(undefined);
    if (isSuccess(r)) return fail(`initialize without a token answered HTTP ${r.status}: the endpoint is not protected`);
    if (r.status !== 401) return fail(`expected 401, got ${describeStatus(r)}`);
    const problem = challengeProblem(r);
    if (problem) return fail(problem);
    const bearer = bearerChallenge(r.headers.get("www-authenticate"))!;
    if (bearer.params.error !== undefined) {
      return fail(`error="${bearer.params.error}" on a request without credentials (RFC 6750 §3.1: no error code then)`);
    }
    const rm = bearer.params.resource_metadata!;
    const { path, root } = await ctx.discovery();
    const known = [path, root].find((d) => d.url === rm);
    const doc = known ?? (await fetchDocument(rm, ctx.timeoutMs));
    if (!doc.doc) return fail(`resource_metadata ${rm} does not serve the metadata: ${whyMissing(doc)}`);
    if (bearer.params.scope === undefined) return warn(`401 with resource_metadata=${rm}, but no scope= (MCP 2025-11-25 asks for it)`);
    return pass(`401 Bearer resource_metadata="${rm}" scope="${bearer.params.scope}"`);
  },
};

/**
 * A refused token: 401 with error="invalid_token". `strict` (the challenge
 * probe) also fails a malformed challenge or a missing error code; otherwise
 * (the token battery, which is about refusal) a missing error code is a
 * warning and the challenge's form is left to the challenge probes.
 */
export function expectInvalidToken(r: HttpResult, what: string, strict = true): Outcome {
  if (isSuccess(r)) return fail(`${what} was accepted (HTTP ${r.status})`);
  if (isServerError(r)) return fail(`${what}: HTTP ${r.status}, a server error instead of a 401 challenge`);
  if (r.status !== 401) return fail(`${what}: expected 401, got ${describeStatus(r)}`);
  const problem = strict ? challengeProblem(r) : undefined;
  if (problem) return fail(`${what}: 401, but ${problem}`);
  const error = bearerChallenge(r.headers.get("www-authenticate"))?.params.error;
  if (error !== "invalid_token") {
    return (strict ? fail : warn)(`${what}: 401 without error="invalid_token"${error ? ` (error="${error}")` : ""}`);
  }
  return pass(`${what}: 401 invalid_token`);
}

export const challengeInvalidToken: Probe = {
  id: "challenge.invalid-token",
  title: "Garbage bearer token gets 401 invalid_token",
  rule: "RFC 6750 §3.1; MCP 2025-11-25 authorization: Token Handling",
  async run(ctx) {
    return expectInvalidToken(await ctx.post("Bearer not-a-real-token"), "a garbage token");
  },
};

export const challengeQueryToken: Probe = {
  id: "challenge.query-token",
  title: "Token in the query string is not accepted",
  rule: "MCP 2025-11-25 authorization: Access Token Usage (tokens MUST NOT be in the URI query string); RFC 6750 §2.3",
  async run(ctx) {
    const token = await ctx.validToken();
    const url = new URL(ctx.endpoint);
    url.searchParams.set("access_token", token ?? "placeholder-token");
    const r = await ctx.post(undefined, { url: url.href });
    if (isSuccess(r)) return fail(`a token in ?access_token= was accepted (HTTP ${r.status})`);
    if (isServerError(r)) return fail(`?access_token=: HTTP ${r.status}`);
    if (r.status !== 401) return fail(`?access_token=: expected 401, got ${describeStatus(r)}`);
    return pass(token ? `a valid token in ?access_token= got 401` : `?access_token= got 401 (with a placeholder token: give --token or --issuer to try a valid one)`);
  },
};

const headerList = (v: string | null): string[] =>
  (v ?? "")
    .toLowerCase()
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);

export const corsEndpoint: Probe = {
  id: "cors.mcp",
  title: "CORS on the MCP endpoint lets browsers send tokens and read the challenge",
  rule: "MCP 2025-11-25 authorization (browser clients read WWW-Authenticate); Fetch standard: CORS protocol",
  async run(ctx) {
    const pre = await request(ctx.endpoint, {
      method: "OPTIONS",
      timeoutMs: ctx.timeoutMs,
      headers: {
        Origin: PROBE_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,mcp-protocol-version",
      },
    });
    if (!isSuccess(pre)) return fail(`preflight OPTIONS ${ctx.endpoint}: HTTP ${pre.status}`);
    if (!pre.headers.get("access-control-allow-origin")) return fail("preflight: no Access-Control-Allow-Origin");
    const allowed = headerList(pre.headers.get("access-control-allow-headers"));
    // "*" does not cover Authorization (Fetch standard): it must be named.
    const missing = ["authorization", "content-type", "mcp-protocol-version"].filter(
      (h) => !allowed.includes(h) && !(h !== "authorization" && allowed.includes("*")),
    );
    if (missing.length) return fail(`preflight does not allow ${missing.join(", ")} (Access-Control-Allow-Headers: ${allowed.join(", ") || "none"})`);
    const r = await ctx.post(undefined, { headers: { Origin: PROBE_ORIGIN } });
    if (!r.headers.get("access-control-allow-origin")) return fail(`the ${r.status} answer to POST has no Access-Control-Allow-Origin`);
    const exposed = headerList(r.headers.get("access-control-expose-headers"));
    const exposes = (h: string): boolean => exposed.includes(h) || exposed.includes("*");
    if (!exposes("www-authenticate")) {
      return fail(`the ${r.status} answer does not expose WWW-Authenticate (Access-Control-Expose-Headers: ${exposed.join(", ") || "none"}): browser clients cannot read the challenge`);
    }
    if (!exposes("mcp-session-id")) return warn("Access-Control-Expose-Headers lacks Mcp-Session-Id");
    return pass("preflight allows Authorization, Content-Type, MCP-Protocol-Version; WWW-Authenticate and Mcp-Session-Id exposed");
  },
};

export const challengeProbes = [challengeNoToken, challengeInvalidToken, challengeQueryToken, corsEndpoint];
