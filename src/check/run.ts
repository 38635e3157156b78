/** runCheck: every probe against one endpoint, concurrent where safe, in the order the probes need. */
import { usageError } from "../errors.js";
import { CheckContext } from "./context.js";
import { type Probe, runProbe } from "./probe.js";
import { authServerProbes } from "./probes/authserver.js";
import { challengeProbes } from "./probes/challenge.js";
import { discoveryProbes } from "./probes/discovery.js";
import { flowProbes } from "./probes/flow.js";
import { scopeProbes } from "./probes/scope.js";
import { sessionProbes } from "./probes/session.js";
import * as tokens from "./probes/tokens.js";
import { summarize } from "./report.js";
import type { CheckOptions, CheckReport, ProbeResult } from "./types.js";

/** Token probes that need nothing but the key set the server saw first. */
const battery: Probe[] = [
  tokens.expiredToken,
  tokens.notYetValidToken,
  tokens.noExpToken,
  tokens.wrongIssuer,
  tokens.wrongAudience,
  tokens.siblingAudience,
  tokens.tamperedSignature,
  tokens.algNone,
  tokens.hs256WithPublicKey,
  tokens.malformedToken,
  tokens.emptyBearer,
  tokens.basicScheme,
  tokens.lowercaseBearer,
];

/** The order of the report (not the order of execution). */
export const PROBES: readonly Probe[] = [
  ...discoveryProbes,
  ...challengeProbes,
  ...authServerProbes,
  ...sessionProbes,
  tokens.issuerReachable,
  tokens.validToken,
  tokens.rotatedKey,
  ...battery.slice(0, 6),
  tokens.unknownKey,
  ...battery.slice(6),
  tokens.oversizedToken,
  ...scopeProbes,
  ...flowProbes,
];

export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  if (!URL.canParse(options.url) || !/^https?:$/.test(new URL(options.url).protocol)) {
    throw usageError(`not an http(s) URL: ${options.url}`);
  }
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

  await ctx.discovery();
  await Promise.all([
    inParallel([...discoveryProbes, ...challengeProbes, ...authServerProbes]),
    inSeries(sessionProbes),
    // A valid token first, so the server has fetched the key set the rest is signed with;
    // the step-up needs the tool the scope probes found.
    inSeries([tokens.issuerReachable, tokens.validToken]).then(() =>
      Promise.all([inParallel(battery), inSeries([...scopeProbes, ...flowProbes])]),
    ),
  ]);
  // Rotation, then a kid the server must not find even after refetching; the
  // oversized token last, in case it brings the server down.
  await inSeries([tokens.rotatedKey, tokens.unknownKey, tokens.oversizedToken]);

  const ordered = PROBES.map((p) => results.get(p.id)!);
  return {
    url: options.url,
    ...(ctx.issuerUrl ? { issuer: ctx.issuerUrl } : {}),
    results: ordered,
    summary: summarize(ordered),
    durationMs: Math.round(performance.now() - started),
  };
}
