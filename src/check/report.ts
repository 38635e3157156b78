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
  /** Columns the prose is wrapped to (a terminal's 80 by default). */
  width?: number;
}

export const REPORT_WIDTH = 80;

/**
 * Words of `text`: split at spaces, except inside backquotes (a command stays
 * one word). A URL or a command is never broken, even when it alone is wider
 * than a line.
 */
function words(text: string): string[] {
  return text.match(/(?:`[^`]*`|[^\s`])+|`[^`]*$/g) ?? [];
}

/**
 * `text` wrapped to `width` columns: the first line after `first`, the
 * others after `rest` (a hanging indent). Columns are code points: every
 * symbol the report prints is one column wide.
 */
export function wrapProse(text: string, width: number, first = "", rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words(text)) {
    const candidate = empty ? `${line}${word}` : `${line} ${word}`;
    if (!empty && [...candidate].length > width) {
      lines.push(line);
      line = `${rest}${word}`;
    } else line = candidate;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/**
 * A checklist: the headline first, if any; one line per probe that ran (a
 * failure or warning also names its rule, revision and id); the eras the
 * server accepts; then the probes that did not run, once, grouped by what
 * would run them.
 */
export function formatReport(report: CheckReport, { color = false, width = REPORT_WIDTH }: FormatOptions = {}): string {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const dim = (text: string) => paint(90, text);
  const wrap = (text: string, first = "", rest = first) => wrapProse(text, width, first, rest);
  // Every string is escaped again here: a report may come from JSON, not from runCheck.
  const lines = [
    ...wrap(printable(`Checking ${report.url}${report.issuer ? ` with the local issuer ${report.issuer}` : ""}`), "", "  "),
    "",
  ];
  // What to fix first: one sentence per class of failure (a report from older JSON may have only a headline).
  const verdicts = report.verdicts ?? (report.headline ? [report.headline] : []);
  if (verdicts.length) lines.push(...verdicts.flatMap((v) => wrap(printable(v), "", "  ").map((l) => paint(31, l))), "");
  const skipped = new Map<string, string[]>();
  for (const r of report.results) {
    if (r.status === "skip") {
      skipped.set(r.reason, [...(skipped.get(r.reason) ?? []), r.id]);
      continue;
    }
    const [head, ...more] = wrap(`${printable(r.title)}: ${printable(r.reason)}`, "  ", "  ");
    lines.push(`${paint(COLOR[r.status], SYMBOL[r.status])}${head!.slice(1)}`, ...more);
    if (r.status === "fail" || r.status === "warn") lines.push(...wrap(`${printable(r.rule)} [${r.id}]`, "    ", "      ").map(dim));
  }
  const eraText = (era: string, verdict: string): string => {
    const probe = era === "2025" ? "era.2025" : "era.2026";
    if (verdict === "unknown") return `${era} not checked`;
    if (verdict === "failing") return `${era} served, but the official client fails (see ${probe})`;
    return `${era} ${verdict}`;
  };
  const eras = Object.entries(report.eras ?? {}).map(([era, verdict]) => eraText(era, verdict));
  if (eras.length) lines.push("", ...wrap(`Protocol eras: ${eras.join(", ")}`, "", "  "));
  if (skipped.size) {
    lines.push("", dim(`Not run (${plural(report.summary.skipped, "probe")}):`));
    for (const [reason, ids] of skipped)
      lines.push(...wrap(`${printable(reason)}: ${ids.join(", ")}`, `  ${SYMBOL.skip} `, "    ").map(dim));
  }
  const s = report.summary;
  const summary = `${s.passed} passed, ${s.failed} failed, ${plural(s.warnings, "warning")}${s.skipped ? `, ${s.skipped} not run` : ""}`;
  lines.push("", `${paint(s.failed ? 31 : 32, summary)} ${dim(`(${(report.durationMs / 1000).toFixed(1)} s)`)}`);
  return lines.join("\n");
}
