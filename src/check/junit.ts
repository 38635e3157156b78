/** The report as JUnit XML: one test case per probe, so CI systems list every probe with its verdict. */
import type { CheckReport, ProbeResult } from "./types.js";

// XML 1.0 allows no C0 control but tab and newlines; reasons are already printable (escaped), this guards the rest.
const xml = (text: string): string =>
  text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function testCase(r: ProbeResult): string {
  const group = r.id.split(".")[0] ?? "check";
  const open = `    <testcase classname="create-mcp-auth.check.${xml(group)}" name="${xml(`${r.id}: ${r.title}`)}" time="${seconds(r.durationMs)}"`;
  const rule = `${r.rule}${r.revision ? ` (MCP ${r.revision})` : ""}`;
  switch (r.status) {
    case "pass":
      return `${open}/>`;
    case "fail":
      return `${open}>\n      <failure message="${xml(r.reason)}" type="fail">${xml(`${r.reason}\nRule: ${rule}`)}</failure>\n    </testcase>`;
    case "warn":
      return `${open}>\n      <system-out>${xml(`warning: ${r.reason}\nRule: ${rule}`)}</system-out>\n    </testcase>`;
    case "skip":
      return `${open}>\n      <skipped message="${xml(r.reason)}"/>\n    </testcase>`;
  }
}

export function formatJunit(report: CheckReport): string {
  const s = report.summary;
  const tests = report.results.length;
  const attrs = `name="create-mcp-auth check ${xml(report.url)}" tests="${tests}" failures="${s.failed}" errors="0" skipped="${s.skipped}" time="${seconds(report.durationMs)}"`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites ${attrs}>`,
    `  <testsuite ${attrs}>`,
    ...report.results.map(testCase),
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
