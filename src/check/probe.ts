/** A probe: a small named check with a one-line outcome. A probe that throws fails; it never ends the run. */
import type { CheckContext } from "./context.js";
import { describeError } from "./http.js";
import type { ProbeResult, ProbeStatus } from "./types.js";

export interface Outcome {
  status: ProbeStatus;
  reason: string;
}

export interface Probe {
  id: string;
  title: string;
  rule: string;
  run(ctx: CheckContext): Promise<Outcome>;
}

export const pass = (reason: string): Outcome => ({ status: "pass", reason });
export const fail = (reason: string): Outcome => ({ status: "fail", reason });
export const warn = (reason: string): Outcome => ({ status: "warn", reason });
export const skip = (reason: string): Outcome => ({ status: "skip", reason });

/** Thrown by a probe (or a helper it calls) to end as a skip, e.g. "no local issuer". */
export class Skip extends Error {
  override name = "Skip";
}

export async function runProbe(probe: Probe, ctx: CheckContext): Promise<ProbeResult> {
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = await probe.run(ctx);
  } catch (err) {
    outcome = err instanceof Skip ? skip(err.message) : fail(describeError(err));
  }
  const reason = outcome.reason.replace(/\s+/g, " ").trim();
  return {
    id: probe.id,
    title: probe.title,
    status: outcome.status,
    reason,
    rule: probe.rule,
    durationMs: Math.round(performance.now() - started),
  };
}
