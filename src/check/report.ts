/** The checklist reporter, the summary, and the exit code policy of `check`. */
import { EXIT } from "../core/errors.js";
import { plural } from "../core/plural.js";
import { printable } from "../core/printable.js";
import type { CheckReport, CheckSummary, ProbeResult, ProbeStatus } from "./types.js";

export function summarize(results: readonly ProbeResult[]): CheckSummary {
  const count = (s: ProbeStatus) => results.filter((r) => r.status === s).length;
  return { passed: count("pass"), failed: count("fail"), warnings: count("warn"), skipped: count("skip") };
}

/** True when no probe failed (warnings and skips do not count). */
export function reportPassed(report: Pick<CheckReport, "summary">): boolean {
  return report.summary.failed === 0;
}

/** 0 when nothing failed (warnings and skips included), 1 otherwise. */
export function exitCodeFor(report: Pick<CheckReport, "summary">): number {
  return reportPassed(report) ? EXIT.ok : EXIT.checkFailed;
}

const SYMBOL: Record<ProbeStatus, string> = { pass: "✔", fail: "✖", warn: "▲", skip: "-" };
const COLOR: Record<ProbeStatus, number> = { pass: 32, fail: 31, warn: 33, skip: 90 };

export interface FormatOptions {
  color?: boolean;
}

/**
 * A checklist: the headline first, if any; one line per probe that ran (a
 * failure or warning also names its rule, revision and id); the eras the
 * server accepts; then the probes that did not run, once, grouped by what
 * would run them.
 */
export function formatReport(report: CheckReport, { color = false }: FormatOptions = {}): string {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const dim = (text: string) => paint(90, text);
  // Every string is escaped again here: a report may come from JSON, not from runCheck.
  const lines = [printable(`Checking ${report.url}${report.issuer ? ` with the local issuer ${report.issuer}` : ""}`), ""];
  // What to fix first: one line per class of failure (a report from older JSON may have only a headline).
  const verdicts = report.verdicts ?? (report.headline ? [report.headline] : []);
  if (verdicts.length) lines.push(...verdicts.map((v) => paint(31, printable(v))), "");
  const skipped = new Map<string, string[]>();
  for (const r of report.results) {
    if (r.status === "skip") {
      skipped.set(r.reason, [...(skipped.get(r.reason) ?? []), r.id]);
      continue;
    }
    lines.push(`${paint(COLOR[r.status], SYMBOL[r.status])} ${printable(r.title)}: ${printable(r.reason)}`);
    if (r.status === "fail" || r.status === "warn") lines.push(dim(`    ${printable(r.rule)} [${r.id}]`));
  }
  const eraText = (era: string, verdict: string): string => {
    const probe = era === "2025" ? "era.2025" : "era.2026";
    if (verdict === "unknown") return `${era} not checked`;
    if (verdict === "failing") return `${era} served, but the official client fails (see ${probe})`;
    return `${era} ${verdict}`;
  };
  const eras = Object.entries(report.eras ?? {}).map(([era, verdict]) => eraText(era, verdict));
  if (eras.length) lines.push("", `Protocol eras: ${eras.join(", ")}`);
  if (skipped.size) {
    lines.push("", dim(`Not run (${plural(report.summary.skipped, "probe")}):`));
    for (const [reason, ids] of skipped) lines.push(dim(`  ${SYMBOL.skip} ${printable(reason)}: ${ids.join(", ")}`));
  }
  const s = report.summary;
  const summary = `${s.passed} passed, ${s.failed} failed, ${plural(s.warnings, "warning")}${s.skipped ? `, ${s.skipped} not run` : ""}`;
  lines.push("", `${paint(s.failed ? 31 : 32, summary)} ${dim(`(${(report.durationMs / 1000).toFixed(1)} s)`)}`);
  return lines.join("\n");
}
