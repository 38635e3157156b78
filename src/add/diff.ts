/**
 * Unified diffs of the changes `add` would make (git's format, 3 lines of
 * context), from a line diff (Myers' O(ND) algorithm). `git apply` accepts
 * them, so a dry run can be reviewed and applied by hand.
 */

type Op = { kind: " " | "-" | "+"; line: string };

/** An entry of the furthest-reaching array (zero where the search has not been). */
function reach(v: Int32Array, i: number): number {
  return v[i] ?? 0;
}

/** Line `i` of a side of the diff: the walk back only visits lines that exist. */
function lineAt(lines: string[], i: number): string {
  const line = lines[i];
  if (line === undefined) throw new RangeError(`diff: no line ${i}`);
  return line;
}

/** The line-level edit script turning `a` into `b`. */
export function diffLines(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && reach(v, offset + k - 1) < reach(v, offset + k + 1))
          ? reach(v, offset + k + 1)
          : reach(v, offset + k - 1) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  // Walk the trace back from the end.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d];
    if (!vd) break;
    const k = x - y;
    const prevK = k === -d || (k !== d && reach(vd, offset + k - 1) < reach(vd, offset + k + 1)) ? k + 1 : k - 1;
    const prevX = reach(vd, offset + prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: " ", line: lineAt(a, x - 1) });
      x--;
      y--;
    }
    if (d === 0) break;
    if (x === prevX) ops.push({ kind: "+", line: lineAt(b, y - 1) });
    else ops.push({ kind: "-", line: lineAt(a, x - 1) });
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === "") return { lines: [], finalNewline: true };
  const finalNewline = text.endsWith("\n");
  const lines = (finalNewline ? text.slice(0, -1) : text).split("\n");
  return { lines, finalNewline };
}

/**
 * A unified diff of one file. `before` undefined is a new file. Returns ''
 * when nothing changed.
 */
export function unifiedDiff(path: string, before: string | undefined, after: string, context = 3): string {
  if (before === after) return "";
  const a = splitLines(before ?? "");
  const b = splitLines(after);
  // A missing final newline is a change of the last line, as git shows it.
  const aLines = a.lines.map((line, i) => (i === a.lines.length - 1 && !a.finalNewline ? `${line}\n\\ No newline at end of file` : line));
  const bLines = b.lines.map((line, i) => (i === b.lines.length - 1 && !b.finalNewline ? `${line}\n\\ No newline at end of file` : line));
  const ops = diffLines(aLines, bLines);

  const header = before === undefined ? [`--- /dev/null`, `+++ b/${path}`] : [`--- a/${path}`, `+++ b/${path}`];
  const hunks: string[] = [];
  let i = 0;
  let aLine = 1;
  let bLine = 1;
  const positions = ops.map((op) => {
    const at = { a: aLine, b: bLine };
    if (op.kind !== "+") aLine++;
    if (op.kind !== "-") bLine++;
    return at;
  });
  while (i < ops.length) {
    if (ops[i]?.kind === " ") {
      i++;
      continue;
    }
    let from = Math.max(0, i - context);
    let to = i;
    // Extend the hunk while changes are closer than 2 * context lines apart.
    for (;;) {
      while (to < ops.length && ops[to]?.kind !== " ") to++;
      let next = to;
      while (next < ops.length && ops[next]?.kind === " ") next++;
      if (next < ops.length && next - to <= 2 * context) to = next;
      else {
        to = Math.min(ops.length, to + context);
        break;
      }
    }
    const slice = ops.slice(from, to);
    const aCount = slice.filter((op) => op.kind !== "+").length;
    const bCount = slice.filter((op) => op.kind !== "-").length;
    const first = positions[from] ?? { a: aLine, b: bLine };
    const aStart = aCount === 0 ? first.a - 1 : first.a;
    const bStart = bCount === 0 ? first.b - 1 : first.b;
    hunks.push(`@@ -${aStart}${aCount === 1 ? "" : `,${aCount}`} +${bStart}${bCount === 1 ? "" : `,${bCount}`} @@`);
    for (const op of slice) hunks.push(`${op.kind}${op.line}`);
    i = to;
    from = to;
  }
  return `${[...header, ...hunks].join("\n")}\n`;
}

/** The lines a diff adds and removes, for tests and summaries. */
export function changedLines(before: string, after: string): { added: string[]; removed: string[] } {
  const ops = diffLines(splitLines(before).lines, splitLines(after).lines);
  return {
    added: ops.filter((op) => op.kind === "+").map((op) => op.line),
    removed: ops.filter((op) => op.kind === "-").map((op) => op.line),
  };
}
