/** A probe: a small named check with a one-line outcome. A probe that throws fails; it never ends the run. */

import { printable } from "../core/printable.js";
import type { CheckContext } from "./context.js";
import { describeError } from "./http.js";
import type { Citation } from "./rules.js";
import type { ProbeResult, ProbeStatus } from "./types.js";

export interface Outcome {
  status: ProbeStatus;
  reason: string;
}

export interface Probe extends Citation {
  id: string;
  title: string;
  run(ctx: CheckContext): Promise<Outcome>;
}

export const pass = (reason: string): Outcome => ({ status: "pass", reason });
export const fail = (reason: string): Outcome => ({ status: "fail", reason });
export const warn = (reason: string): Outcome => ({ status: "warn", reason });
export const skip = (reason: string): Outcome => ({ status: "skip", reason });

/** What a probe says of a tools/call let in whose result came too late: a slow tool, not an authorization verdict. */
export const lateResult = (timeoutMs: number): string =>
  `the tool's result did not arrive within ${timeoutMs} ms (a slow tool: --timeout gives it longer)`;

/** Thrown by a probe (or a helper it calls) to end as a skip; the reason says what would run it. */
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
  return {
    id: probe.id,
    title: probe.title,
    status: outcome.status,
    // Reasons quote the server (metadata, headers, error messages): never let it drive the terminal.
    reason: printable(outcome.reason.replace(/\s+/g, " ").trim()),
    rule: probe.rule,
    revision: probe.revision,
    durationMs: Math.round(performance.now() - started),
  };
}
