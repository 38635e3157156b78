/** runCheck: every probe against one endpoint, concurrent where safe, in the order the probes need. */
import { environmentError, usageError } from "../core/errors.js";
import { isLoopbackHost } from "../oauth-syntax.js";
import { CheckContext } from "./context.js";
import { oneLine } from "./http.js";
import { type Probe, runProbe } from "./probe.js";
import { authServerProbes } from "./probes/authserver.js";
import { challengeProbes } from "./probes/challenge.js";
import { discoveryProbes } from "./probes/discovery.js";
import { eraProbes } from "./probes/eras.js";
import { flowProbes } from "./probes/flow.js";
import * as scope from "./probes/scope.js";
import * as tokens from "./probes/tokens.js";
import { exitCodeFor, summarize } from "./report.js";
import type { CheckOptions, CheckReport, EraVerdict, ProbeResult } from "./types.js";
import { verdictsFor } from "./verdicts.js";

/** Tokens anyone can forge, and credentials of the wrong shape: no issuer needed. */
const forgeries: Probe[] = [
  tokens.tamperedSignature,
  tokens.algNone,
  tokens.hs256WithPublicKey,
  tokens.unsignedToken,
  tokens.truncatedSignature,
  tokens.malformedToken,
  tokens.emptyBearer,
  tokens.basicScheme,
];

/** Minted tokens with one thing wrong: they need the local issuer. */
const minted: Probe[] = [
  tokens.expiredToken,
  tokens.notYetValidToken,
  tokens.noExpToken,
  tokens.wrongIssuer,
  tokens.wrongAudience,
  tokens.siblingAudience,
];

/** The order of the report (not the order of execution). */
export const PROBES: readonly Probe[] = [
  ...discoveryProbes,
  ...challengeProbes,
  ...authServerProbes,
  tokens.issuerReachable,
  ...eraProbes,
  tokens.validToken,
  tokens.rotatedKey,
  ...minted,
  tokens.unknownKey,
  ...forgeries,
  tokens.lowercaseBearer,
  tokens.oversizedToken,
  ...scope.scopeProbes,
  scope.offlineAccess,
  ...flowProbes,
];

/** Why `value` is not an MCP endpoint URL the check can probe, with a suggestion; undefined when it is one. */
export function endpointUrlProblem(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const host = URL.canParse(`http://${value}`) ? new URL(`http://${value}`).hostname : "";
    const scheme = isLoopbackHost(host) ? "http" : "https";
    return `"${oneLine(value, 120)}" has no scheme: did you mean ${scheme}://${oneLine(value, 120)}?`;
  }
  if (!URL.canParse(value)) return `"${oneLine(value, 120)}" is not a URL`;
  const { protocol } = new URL(value);
  if (protocol !== "http:" && protocol !== "https:") return `not an http(s) URL: ${oneLine(value, 120)}`;
  return undefined;
}

/** Connection errors that mean nothing answers at that address. */
const NOT_LISTENING = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/;
/** The request's deadline passed: the server accepted the connection but did not finish an answer. */
const TIMED_OUT = /no answer within \d+ ms|timed out/;

/**
 * When none of the discovery requests got an HTTP answer, what to say (the
 * environment, exit 3): nothing listening, a server that never answers, or
 * something at that port that is not an HTTP server. Undefined when any answered.
 */
function noAnswer(ctx: CheckContext, errors: (string | undefined)[]): string | undefined {
  if (!errors.every((e) => e !== undefined)) return undefined;
  // An answer too big to read is still an answer: the probes report it.
  if (errors.some((e) => /body is over/.test(e!))) return undefined;
  const origin = ctx.url.origin;
  const cause = oneLine(errors.at(-1)!.replace(/^[A-Z]+ \S+: /, ""), 160);
  if (errors.every((e) => NOT_LISTENING.test(e!)))
    return `nothing answers at ${origin} (${cause}): is the server running, and is the URL right?`;
  if (errors.every((e) => TIMED_OUT.test(e!))) {
    return (
      `the server at ${origin} accepted the connections but answered none of the discovery requests within ${ctx.timeoutMs} ms: ` +
      "is it stuck (a debugger, a blocked event loop), or slow to start? Check it responds, or raise --timeout"
    );
  }
  return `no HTTP answer from ${origin} (${cause}): is an HTTP server listening at that port, and is the URL's scheme right?`;
}

/** The era's verdict, from its probe and the raw answer to its opening request: never "refused" when that was served. */
function eraVerdict(result: ProbeResult | undefined, served: boolean | undefined): EraVerdict {
  if (result?.status === "pass") return "accepted";
  if (served) return "failing";
  if (result?.status === "warn") return "refused";
  return "unknown";
}

export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  const problem = endpointUrlProblem(options.url);
  if (problem) throw usageError(problem);
  const started = performance.now();
  const ctx = new CheckContext(options);
  const results = new Map<string, ProbeResult>();
  const run = async (probe: Probe): Promise<void> => {
    const result = await runProbe(probe, ctx);
    results.set(probe.id, result);
    options.onResult?.(result);
  };
  const inParallel = (probes: Probe[]) => Promise.all(probes.map(run));
  const inSeries = async (probes: Probe[]) => {
    for (const p of probes) await run(p);
  };

  // Discovery goes first: if nothing answers at all, that is one environment error, not forty failures.
  const d = await ctx.discovery();
  const unanswered = noAnswer(ctx, [d.path.error, d.root.error, d.unauthenticated.error]);
  if (unanswered) throw environmentError(unanswered);

  await Promise.all([
    inParallel([...discoveryProbes, ...challengeProbes, ...authServerProbes, ...forgeries, scope.offlineAccess]),
    // The issuer first, then the eras (whose requests are the first with a valid token, so the
    // server has fetched the key set the rest is signed with); the step-up needs the tool the
    // scope probes found.
    inSeries([tokens.issuerReachable]).then(async () => {
      await ctx.eras();
      await run(tokens.validToken);
      await Promise.all([inParallel(minted), inSeries(eraProbes), inSeries([...scope.scopeProbes, ...flowProbes])]);
    }),
  ]);
  // A key the server has not seen, then one it must not find even after refetching, then the
  // lower-case scheme (by then every token the server verified is settled); the oversized token
  // last, in case it brings the server down.
  await inSeries([tokens.rotatedKey, tokens.unknownKey, tokens.lowercaseBearer, tokens.oversizedToken]);

  const ordered = PROBES.map((p) => results.get(p.id)!);
  const rawEras = await ctx.eras().catch(() => undefined);
  const summary = summarize(ordered);
  const report: Omit<CheckReport, "ok" | "exitCode"> = {
    url: options.url,
    ...(ctx.issuerUrl ? { issuer: ctx.issuerUrl } : {}),
    ...(ctx.findings.headline ? { headline: ctx.findings.headline } : {}),
    verdicts: verdictsFor(ordered, ctx.findings.headline),
    eras: {
      "2025": eraVerdict(results.get("era.2025"), rawEras?.legacy.served),
      "2026-07-28": eraVerdict(results.get("era.2026"), rawEras?.modern.served),
    },
    results: ordered,
    summary,
    durationMs: Math.round(performance.now() - started),
  };
  const exitCode = exitCodeFor(report);
  return { ok: exitCode === 0, exitCode, ...report };
}
