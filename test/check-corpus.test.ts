/**
 * The corpus: servers that must be judged right. Each is a small server with
 * one planted flaw (or a correct variant), checked with and without the local
 * issuer; every probe's verdict is asserted, not just the one the flaw trips.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckReport, PROBES, type ProbeStatus, runCheck } from "../src/check/index.js";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";
import { type Eras, type Faults, SCOPES, startReferenceServer } from "./fixtures/reference-server.js";
import { type SdkExampleServer, startSdkExampleServer } from "./fixtures/sdk-example-server.js";
import { ANY_SERVER } from "./helpers/probes.js";

type Verdicts = Record<string, ProbeStatus>;

const ALL = PROBES.map((p) => p.id);

/** A correct server's verdicts: everything passes with the issuer; without, the rest does not run. */
const baseline = (withIssuer: boolean): Verdicts =>
  Object.fromEntries(ALL.map((id) => [id, withIssuer || ANY_SERVER.includes(id) ? "pass" : "skip"]));

const verdicts = (report: CheckReport): Verdicts => Object.fromEntries(report.results.map((r) => [r.id, r.status]));

const FORGED = ["token.tampered-signature", "token.alg-none", "token.hs256-public-key", "token.unsigned", "token.truncated-signature"];
const FLOW_AFTER_DISCOVERY = [
  "flow.registration",
  "flow.authorization",
  "flow.token",
  "flow.tools-list",
  "flow.tools-call",
  "flow.step-up",
];
const SCOPE_2026 = ["scope.insufficient.2026", "scope.granted.2026", "scope.header-mismatch"];
const all = (ids: string[], status: ProbeStatus): Verdicts => Object.fromEntries(ids.map((id) => [id, status]));

interface Case {
  name: string;
  faults?: Partial<Faults>;
  eras?: Eras;
  /** Verdicts that differ from a correct server's, with the issuer. */
  withIssuer: Verdicts;
  /** ... and without it. */
  without: Verdicts;
  /** A probe whose reason must say this, to prove it failed for the planted reason. */
  because?: [id: string, text: string];
}

const CASES: Case[] = [
  { name: "correct (both eras)", withIssuer: {}, without: {} },
  {
    // Not an authorization fault: the call passed authorization and the tool failed on its own (kubernetes
    // without a cluster). A warning that says so, not a failure; every authorization probe still passes.
    name: "correct auth, a tool that fails on its own (JSON-RPC error at HTTP 200)",
    faults: { toolCallsFail: true },
    withIssuer: { "flow.tools-call": "warn" },
    without: {},
    because: ["flow.tools-call", "passed authorization"],
  },
  {
    name: "accepts any signature",
    faults: { skipSignature: true },
    withIssuer: { ...all(FORGED, "fail"), "token.unknown-key": "fail" },
    without: all(FORGED, "fail"),
    because: ["token.tampered-signature", "the server accepted a token with a bad signature"],
  },
  {
    name: "accepts alg none with a non-empty signature",
    faults: { acceptAlgNone: true },
    withIssuer: { "token.alg-none": "fail" },
    without: { "token.alg-none": "fail" },
    because: ["token.alg-none", 'the server accepted an alg "none" token'],
  },
  {
    name: "accepts HS256 keyed with the public key",
    faults: { hs256PublicKey: true },
    withIssuer: { "token.hs256-public-key": "fail" },
    without: { "token.hs256-public-key": "fail" },
    because: ["token.hs256-public-key", "the server accepted an HS256 token keyed with the public key"],
  },
  {
    name: "ignores aud",
    faults: { acceptAnyAudience: true },
    withIssuer: { "token.wrong-audience": "fail", "token.sibling-audience": "fail" },
    without: {},
    because: ["token.wrong-audience", "the server accepted a token for https://other-server.invalid/mcp"],
  },
  {
    name: "ignores iss",
    faults: { ignoreIssuer: true },
    withIssuer: { "token.wrong-issuer": "fail" },
    without: {},
    because: ["token.wrong-issuer", "the server accepted a token with another iss"],
  },
  {
    name: "ignores exp",
    faults: { ignoreExp: true },
    withIssuer: { "token.expired": "fail", "token.no-exp": "fail" },
    without: {},
    because: ["token.expired", "the server accepted a token expired 10 min ago"],
  },
  {
    name: "advertises scopes but does not enforce them",
    faults: { scopesNotEnforced: true },
    withIssuer: {
      "scope.insufficient": "fail",
      "scope.insufficient.2026": "fail",
      "scope.granted": "skip",
      "scope.granted.2026": "skip",
      "scope.header-mismatch": "skip",
      "flow.step-up": "skip",
    },
    without: {},
    because: ["scope.insufficient", "the scopes are advertised, not enforced"],
  },
  {
    name: "500 on garbage",
    faults: { serverErrorOnBadToken: true },
    withIssuer: all(
      [
        "challenge.invalid-token",
        "token.expired",
        "token.not-yet-valid",
        "token.no-exp",
        "token.wrong-issuer",
        "token.wrong-audience",
        "token.sibling-audience",
        "token.unknown-key",
        ...FORGED,
        "token.malformed",
      ],
      "fail",
    ),
    without: all(["challenge.invalid-token", ...FORGED, "token.malformed"], "fail"),
    because: ["challenge.invalid-token", "HTTP 500, a server error instead of a 401 challenge"],
  },
  {
    name: "relative resource_metadata",
    faults: { relativeResourceMetadata: true },
    withIssuer: all(["challenge.no-token", "challenge.invalid-token", "scope.insufficient", "scope.insufficient.2026"], "fail"),
    without: all(["challenge.no-token", "challenge.invalid-token"], "fail"),
    because: ["challenge.no-token", 'resource_metadata="/.well-known/oauth-protected-resource/mcp" is not an absolute URL'],
  },
  {
    name: "resource with a trailing slash",
    faults: { resourceTrailingSlash: true },
    withIssuer: { "prm.resource": "fail", "flow.discovery": "fail", ...all(FLOW_AFTER_DISCOVERY, "skip") },
    without: { "prm.resource": "fail" },
    because: ["prm.resource", "ends with a slash"],
  },
  { name: "PRM only at the path URL (correct)", faults: { prmPathOnly: true }, withIssuer: {}, without: {} },
  {
    name: "PRM only at the root (a warning)",
    faults: { prmRootOnly: true },
    withIssuer: { "prm.path": "warn" },
    without: { "prm.path": "warn" },
    because: ["prm.path", "no client is known to us that tries only this URL"],
  },
  {
    name: "no CORS exposure of WWW-Authenticate",
    faults: { noCorsExpose: true },
    withIssuer: { "cors.mcp": "fail" },
    without: { "cors.mcp": "fail" },
    because: ["cors.mcp", "does not expose WWW-Authenticate"],
  },
  {
    name: "missing scope answered 401",
    faults: { missingScopeAs401: true },
    withIssuer: {
      "scope.insufficient": "fail",
      "scope.insufficient.2026": "fail",
      "scope.granted": "skip",
      "scope.granted.2026": "skip",
      "scope.header-mismatch": "skip",
      "flow.step-up": "skip",
    },
    without: {},
    because: ["scope.insufficient", "got 401, not 403 insufficient_scope"],
  },
  {
    name: "one McpServer reused (SDK v1, 2025 era only)",
    faults: { reuseMcpServer: true },
    // Broken from its second request on: the first was the check's era probe.
    withIssuer: {
      ...all(["era.2025", "era.2026", "token.valid", "token.rotated-key", "token.lowercase-bearer", "flow.tools-list"], "fail"),
      ...all(
        [
          "mcp.fresh-connection",
          "scope.insufficient",
          "scope.insufficient.2026",
          "scope.granted",
          "scope.granted.2026",
          "scope.header-mismatch",
          "flow.tools-call",
          "flow.step-up",
        ],
        "skip",
      ),
    },
    without: {},
    because: ["era.2025", "Already connected to a transport"],
  },
  {
    name: "key set cached forever",
    faults: { staleKeySet: true },
    withIssuer: { "token.rotated-key": "fail" },
    without: {},
    because: ["token.rotated-key", "the server does not refetch its key set on an unknown kid"],
  },
  {
    name: "exp not required",
    faults: { noExpRequired: true },
    withIssuer: { "token.no-exp": "fail" },
    without: {},
    because: ["token.no-exp", "the server accepted a token without exp"],
  },
  {
    name: "case-sensitive Bearer",
    faults: { caseSensitiveScheme: true },
    withIssuer: { "token.lowercase-bearer": "fail" },
    without: {},
    because: ["token.lowercase-bearer", "got HTTP 401"],
  },
  {
    name: "token in the query string",
    faults: { queryToken: true },
    withIssuer: { "challenge.query-token": "fail" },
    without: {},
    because: ["challenge.query-token", "the server accepted a token in ?access_token="],
  },
  {
    name: "serves only the 2025 era (SDK v1, like fastmcp)",
    eras: "2025",
    withIssuer: { "era.2026": "warn", ...all(SCOPE_2026, "skip") },
    without: {},
    because: ["era.2026", "the server serves only the 2025 era: server/discover answered HTTP 400"],
  },
  {
    name: "serves only 2026-07-28",
    eras: "2026-07-28",
    withIssuer: { "era.2025": "warn", "mcp.fresh-connection": "skip", "scope.insufficient": "skip", "scope.granted": "skip" },
    without: {},
    because: ["era.2025", "the server serves only 2026-07-28: initialize answered HTTP 400"],
  },
];

describe("the corpus: every probe's verdict, with and without --issuer", () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES });
  });
  afterAll(() => issuer?.close());

  it.each(CASES)("$name", async (c) => {
    // A fresh issuer per server: the standby key must be new to the server (else a key set
    // cached forever would already hold it).
    const own = c.faults?.staleKeySet ? await startIssuer({ port: 0, quiet: true, scopes: SCOPES }) : issuer;
    const server = await startReferenceServer({
      issuerUrl: own.url,
      resourceId: own.resourceId,
      faults: c.faults ?? {},
      ...(c.eras ? { eras: c.eras } : {}),
    });
    try {
      for (const withIssuer of [true, false]) {
        const report = await runCheck({ url: server.url, timeoutMs: 3000, ...(withIssuer ? { issuer: own } : {}) });
        const expected = { ...baseline(withIssuer), ...(withIssuer ? c.withIssuer : c.without) };
        const why = report.results
          .filter((r) => r.status !== expected[r.id])
          .map((r) => `${r.id}: ${r.reason}`)
          .join("\n");
        expect(verdicts(report), `${withIssuer ? "with" : "without"} --issuer\n${why}`).toEqual(expected);
        expect(report.exitCode).toBe(Object.values(expected).includes("fail") ? 1 : 0);
        if (c.because && expected[c.because[0]] !== "pass" && expected[c.because[0]] !== "skip") {
          expect(report.results.find((r) => r.id === c.because![0])!.reason).toContain(c.because[1]);
        }
      }
      // No probe ran a tool for a token that lacked its scope, unless scopes are not enforced at all.
      if (!c.faults?.scopesNotEnforced) expect(server.unauthorizedCalls).toBe(0);
      expect(server.destructiveCalls).toBe(0);
    } finally {
      await server.close();
      if (own !== issuer) await own.close();
    }
  });
});

describe("the official SDK's example server with its demo OAuth (simpleStreamableHttp --oauth)", () => {
  let example: SdkExampleServer;
  let issuer: LocalIssuer;
  beforeAll(async () => {
    [example, issuer] = await Promise.all([startSdkExampleServer(), startIssuer({ port: 0, quiet: true })]);
  });
  afterAll(async () => {
    await example?.close();
    await issuer?.close();
  });

  // What it gets right and wrong, read off its code: requireBearerAuth with a verifier that
  // throws a plain Error (a 500 for every bad token), error="invalid_token" even without
  // credentials, no scope= in the 401, no CORS on /mcp, PRM only at the path-suffixed URL,
  // opaque tokens (no jwks_uri: nothing to key HS256 with).
  const common: Verdicts = {
    ...baseline(false),
    "challenge.no-token": "warn",
    "challenge.invalid-token": "fail",
    "cors.mcp": "warn",
    "token.tampered-signature": "fail",
    "token.alg-none": "fail",
    "token.unsigned": "fail",
    "token.truncated-signature": "fail",
    "token.malformed": "fail",
    "token.hs256-public-key": "skip",
  };

  it("without --issuer: the flaws a client can find without a token", async () => {
    const report = await runCheck({ url: example.url, timeoutMs: 3000 });
    expect(verdicts(report)).toEqual(common);
    const reason = (id: string) => report.results.find((r) => r.id === id)!.reason;
    expect(reason("challenge.invalid-token")).toBe("a garbage token: HTTP 500, a server error instead of a 401 challenge");
    expect(reason("challenge.no-token")).toContain('error="invalid_token" on a request without credentials');
    expect(reason("prm.root")).toContain("which is fine: the 401's resource_metadata names");
    expect(reason("token.hs256-public-key")).toContain("no jwks_uri");
  });

  it("with our --issuer, which it does not trust: one failure naming both, the issuer probes skip", async () => {
    const report = await runCheck({ url: example.url, issuer, timeoutMs: 3000 });
    const issuerProbes = ALL.filter((id) => !ANY_SERVER.includes(id) && id !== "issuer.reachable");
    expect(verdicts(report)).toEqual({ ...common, "issuer.reachable": "fail", ...all(issuerProbes, "skip") });
    expect(report.results.find((r) => r.id === "issuer.reachable")!.reason).toContain(
      `but the server advertises ${example.authServer} (authorization_servers)`,
    );
  });
});
