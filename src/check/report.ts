/** The checklist reporter, the summary, and the exit code policy of `check`. */
import { EXIT } from "../errors.js";
import type { CheckReport, CheckSummary, ProbeResult, ProbeStatus } from "./types.js";

export function summarize(results: readonly ProbeResult[]): CheckSummary {
  const count = (s: ProbeStatus) => results.filter((r) => r.status === s).length;
  return { passed: count("pass"), failed: count("fail"), warnings: count("warn"), skipped: count("skip") };
}

/** True when no probe failed (warnings and skips do not count). */
export function reportPassed(report: CheckReport): boolean {
  return report.summary.failed === 0;
}

/** 0 when nothing failed (warnings and skips included), 1 otherwise. */
export function exitCodeFor(report: CheckReport): number {
  return reportPassed(report) ? EXIT.ok : EXIT.checkFailed;
}

const SYMBOL: Record<ProbeStatus, string> = { pass: "✔", fail: "✖", warn: "▲", skip: "-" };
const COLOR: Record<ProbeStatus, number> = { pass: 32, fail: 31, warn: 33, skip: 90 };

export interface FormatOptions {
  color?: boolean;
}

/** A checklist: one line per probe; a fail or warning also names its rule and id; runs of skips for one reason fold. */
export function formatReport(report: CheckReport, { color = false }: FormatOptions = {}): string {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const dim = (text: string) => paint(90, text);
  const lines = [`Checking ${report.url}${report.issuer ? ` with the local issuer ${report.issuer}` : ""}`, ""];
  const rs = report.results;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    let j = i;
    while (r.status === "skip" && rs[j + 1]?.status === "skip" && rs[j + 1]!.reason === r.reason) j++;
    if (j - i >= 2) {
      lines.push(dim(`${SYMBOL.skip} ${j - i + 1} probes skipped (${r.id} … ${rs[j]!.id}): ${r.reason}`));
      i = j;
      continue;
    }
    const head = `${paint(COLOR[r.status], SYMBOL[r.status])} ${r.title}`;
    lines.push(r.status === "skip" ? dim(`${SYMBOL.skip} ${r.title}: ${r.reason}`) : `${head}: ${r.reason}`);
    if (r.status === "fail" || r.status === "warn") lines.push(dim(`    ${r.rule} [${r.id}]`));
  }
  const s = report.summary;
  const summary = `${s.passed} passed, ${s.failed} failed, ${s.warnings} warnings${s.skipped ? `, ${s.skipped} skipped` : ""}`;
  lines.push("", `${paint(s.failed ? 31 : 32, summary)} ${dim(`(${(report.durationMs / 1000).toFixed(1)} s)`)}`);
  return lines.join("\n");
}
