/**
 * The summary add shows before it asks: the files, and the lines changed in
 * the project's own files shown inline (the new files are listed, not
 * printed: their full text is the diff, shown on request).
 */
import { changedLines } from "./diff.js";

export interface SummaryChange {
  path: string;
  before: string | undefined;
  after: string;
}

/** Lines shown inline per modified file before "... more": the rest is in the diff. */
const INLINE_LIMIT = 12;

export function summaryLines(changes: SummaryChange[], authDir: string | undefined): string[] {
  const lines: string[] = [];
  const created = changes.filter((c) => c.before === undefined);
  const modified = changes.filter((c) => c.before !== undefined);
  for (const change of modified) {
    const { added, removed } = changedLines(change.before ?? "", change.after);
    lines.push(`~ ${change.path}  (+${added.length} -${removed.length})`);
    const shown = [...removed.map((l) => `- ${l.trim()}`), ...added.map((l) => `+ ${l.trim()}`)];
    for (const line of shown.slice(0, INLINE_LIMIT)) lines.push(`    ${line}`);
    if (shown.length > INLINE_LIMIT) lines.push(`    ... ${shown.length - INLINE_LIMIT} more (see the full diff)`);
  }
  const inDir = authDir ? created.filter((c) => c.path.startsWith(`${authDir}/`)) : [];
  const loose = created.filter((c) => !inDir.includes(c));
  if (inDir.length > 0) {
    const count = inDir.reduce((sum, c) => sum + c.after.split("\n").length - (c.after.endsWith("\n") ? 1 : 0), 0);
    lines.push(`+ ${authDir}/  (${inDir.length} new files, ${count} lines: the auth code)`);
  }
  for (const change of loose) lines.push(`+ ${change.path}`);
  return lines;
}
