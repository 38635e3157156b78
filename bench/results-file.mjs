// What the benchmarks report with: the median, the machine, and one `## ...`
// section of bench/RESULTS.md each (the others are kept).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const RESULTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "RESULTS.md");

/** `section` starts with its `## heading` line; a section with the same heading is replaced. */
export function writeSection(section, file = RESULTS_FILE) {
  const heading = section.split("\n")[0].trim();
  let text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start === -1) {
    text = `${text.replace(/\n*$/, "")}\n\n${section}\n`;
  } else {
    let end = lines.findIndex((l, i) => i > start && /^##?\s/.test(l) && !l.startsWith("###"));
    if (end === -1) end = lines.length;
    const after = lines.slice(end).join("\n");
    text = `${lines.slice(0, start).join("\n")}${start ? "\n" : ""}${section}\n${after ? `\n${after}` : ""}`;
    text = `${text.replace(/\n*$/, "")}\n`;
  }
  writeFileSync(file, text);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The machine a benchmark ran on, for its results.json. */
export function machineInfo() {
  return {
    node: process.version,
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "unknown",
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** The RESULTS.md line that says when and where a recorded run ran. */
export function machineLine(report) {
  const m = report.machine;
  return `- Date: ${report.date.slice(0, 10)}; Node ${m.node}; ${m.cores} cores (${m.cpu}, shared); ${m.platform}`;
}
