/** The 401 challenge (RFC 6750 §3, RFC 9728 §5.1), where tokens may come from, and CORS on the endpoint. */
import type { CheckContext } from "../context.js";
import { describeStatus, type HttpResult, isSuccess, oneLine, PROBE_ORIGIN, request } from "../http.js";
import type { Discovery } from "../metadata.js";
import { fail, type Outcome, type Probe, pass, warn } from "../probe.js";
import { RULES } from "../rules.js";
import { bearerChallenge, isAbsoluteHttpUrl } from "../www-authenticate.js";

type Finding = { level: "fail" | "warn"; text: string };

/** Served at a well-known URL: then a 401 without resource_metadata still lets 2025-11-25 clients in. */
const wellKnownServes = (d: Discovery): boolean => !!(d.path.doc || d.root.doc);

/** What is wrong with a 401's Bearer challenge, regardless of `error`: the form RFC 9728 §5.1 and MCP ask for. */
export function challengeFindings(r: HttpResult, d: Discovery): Finding[] {
  const www = r.headers.get("www-authenticate");
  const bearer = bearerChallenge(www);
  if (!bearer)
    return [
      {
        level: "fail",
        text: www
          ? `WWW-Authenticate has no Bearer challenge: ${oneLine(www, 120)}`
          : "no WWW-Authenticate header (RFC 6750 §3: a 401 must carry one)",
      },
    ];
  const rm = bearer.params.resource_metadata;
  if (rm === undefined) {
    const what =
      bearer.params.resource !== undefined
        ? `the challenge has resource= instead of resource_metadata=`
        : `the challenge has no resource_metadata`;
    return wellKnownServes(d)
      ? [
          {
            level: "warn",
            text: `${what}: 2025-06-18 clients need it (that revision requires it in every 401); 2025-11-25 and later clients find the well-known URL instead`,
          },
        ]
      : [{ level: "fail", text: `${what}, and no well-known URL serves the metadata: clients cannot find the authorization server` }];
  }
  if (!isAbsoluteHttpUrl(rm)) {
    return [
      {
        level: "fail",
        text: `resource_metadata="${oneLine(rm, 120)}" is not an absolute URL (RFC 9728 §5.1): the official SDK clients ignore it, others may follow it anywhere`,
      },
    ];
  }
  return [];
}

const isServerError = (r: HttpResult): boolean => r.status >= 500;

function verdict(findings: Finding[], passText: string): Outcome {
  const failed = findings.filter((f) => f.level === "fail");
  if (failed.length) return fail(failed.map((f) => f.text).join("; "));
  if (findings.length) return warn(findings.map((f) => f.text).join("; "));
  return pass(passText);
}

export const challengeNoToken: Probe = {
  id: "challenge.no-token",
  title: "Request without a token gets a 401 challenge",
  ...RULES.challenge401(),
  async run(ctx) {
    const d = await ctx.discovery();
    const r = d.unauthenticated.response;
    if (!r) return fail(`a request without a token got no answer: ${d.unauthenticated.error}`);
    if (isSuccess(r)) {
      ctx.findings.headline = `This endpoint is not protected: an MCP request without a token was answered HTTP ${r.status}.`;
      return fail(`a request without a token was answered HTTP ${r.status}: anyone can use this endpoint`);
    }
    if (r.status !== 401) return fail(`expected 401, got ${describeStatus(r)}`);
    const findings = challengeFindings(r, d);
    const bearer = bearerChallenge(r.headers.get("www-authenticate"));
    if (bearer?.params.error !== undefined) {
      findings.push({
        level: "warn",
        text: `error="${oneLine(bearer.params.error, 60)}" on a request without credentials (RFC 6750 §3.1: it should carry no error code then)`,
      });
    }
    if (bearer && bearer.params.scope === undefined)
      findings.push({ level: "warn", text: `no scope= naming the scopes to request (MCP 2025-11-25 asks for it)` });
    return verdict(
      findings,
      `401 Bearer resource_metadata="${oneLine(bearer?.params.resource_metadata ?? "", 120)}" scope="${oneLine(bearer?.params.scope ?? "", 120)}"`,
    );
  },
};

/**
 * A refused token: 401 with error="invalid_token". `strict` (the challenge
 * probe) also judges the challenge's form; otherwise (the token battery, which
 * is about refusal) only the refusal counts, and a missing error code is a warning.
 */
export async function expectInvalidToken(ctx: CheckContext, r: HttpResult, what: string, strict = true): Promise<Outcome> {
  if (isSuccess(r)) return fail(`the server accepted ${what} (HTTP ${r.status})`);
  if (isServerError(r)) return fail(`${what}: HTTP ${r.status}, a server error instead of a 401 challenge`);
  if (r.status !== 401) return fail(`${what}: expected 401, got ${describeStatus(r)}`);
  const findings = strict ? challengeFindings(r, await ctx.discovery()) : [];
  const error = bearerChallenge(r.headers.get("www-authenticate"))?.params.error;
  if (error !== "invalid_token") {
    findings.push({
      level: "warn",
      text: `401 without error="invalid_token"${error ? ` (error="${oneLine(error, 60)}")` : ""} (RFC 6750 §3.1 asks for it)`,
    });
  }
  return verdict(
    findings.map((f) => ({ ...f, text: `${what}: ${f.text}` })),
    `${what}: 401 invalid_token`,
  );
}

export const challengeInvalidToken: Probe = {
  id: "challenge.invalid-token",
  title: "Garbage bearer token gets 401 invalid_token",
  ...RULES.tokenHandling("RFC 6750 §3.1"),
  async run(ctx) {
    return expectInvalidToken(ctx, await ctx.post("Bearer not-a-real-token"), "a garbage token");
  },
};

export const challengeQueryToken: Probe = {
  id: "challenge.query-token",
  title: "Token in the query string is not accepted",
  ...RULES.tokenRequirements("access tokens MUST NOT be in the URI query string", "RFC 6750 §2.3"),
  async run(ctx) {
    const token = await ctx.validToken();
    const url = new URL(ctx.endpoint);
    url.searchParams.set("access_token", token ?? "placeholder-token");
    const r = await ctx.post(undefined, { url: url.href });
    if (isSuccess(r)) return fail(`the server accepted a token in ?access_token= (HTTP ${r.status})`);
    if (isServerError(r)) return fail(`?access_token=: HTTP ${r.status}`);
    if (r.status !== 401) return fail(`?access_token=: expected 401, got ${describeStatus(r)}`);
    return pass(
      token
        ? `a valid token in ?access_token= got 401`
        : `?access_token= got 401 (with a placeholder token: give --token or --issuer to try a valid one)`,
    );
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
  ...RULES.cors(),
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
    if (pre.status === 403)
      return pass(
        `the server refuses Origin ${PROBE_ORIGIN} with 403 (it validates Origin); CORS for the origins it allows was not checked`,
      );
    if (!pre.headers.get("access-control-allow-origin")) {
      return warn(
        `the preflight (OPTIONS, HTTP ${pre.status}) allows no origin: browser-based clients such as MCP Inspector cannot connect`,
      );
    }
    if (!isSuccess(pre)) return fail(`preflight OPTIONS ${ctx.endpoint}: HTTP ${pre.status}`);
    const allowed = headerList(pre.headers.get("access-control-allow-headers"));
    // "*" does not cover Authorization (Fetch standard): it must be named.
    const missing = ["authorization", "content-type", "mcp-protocol-version"].filter(
      (h) => !allowed.includes(h) && !(h !== "authorization" && allowed.includes("*")),
    );
    if (missing.length)
      return fail(
        `preflight does not allow ${missing.join(", ")} (Access-Control-Allow-Headers: ${oneLine(allowed.join(", "), 120) || "none"})`,
      );
    const r = await ctx.post(undefined, { headers: { Origin: PROBE_ORIGIN } });
    if (!r.headers.get("access-control-allow-origin"))
      return fail(`the preflight allows Origin ${PROBE_ORIGIN}, but the ${r.status} answer to POST has no Access-Control-Allow-Origin`);
    const exposed = headerList(r.headers.get("access-control-expose-headers"));
    if (!exposed.includes("www-authenticate") && !exposed.includes("*")) {
      return fail(
        `the ${r.status} answer does not expose WWW-Authenticate (Access-Control-Expose-Headers: ${oneLine(exposed.join(", "), 120) || "none"}): browser clients are let in but cannot read the challenge, so they cannot start authorization`,
      );
    }
    return pass("the preflight allows Authorization, Content-Type and MCP-Protocol-Version; WWW-Authenticate is exposed");
  },
};

export const challengeProbes = [challengeNoToken, challengeInvalidToken, challengeQueryToken, corsEndpoint];
