/** The self-check: `runCheck(options)` probes an MCP server's authorization; `formatReport` prints it. */
export { runCheck, PROBES } from "./run.js";
export { formatReport, exitCodeFor, reportPassed, summarize, type FormatOptions } from "./report.js";
export { MemoryOAuthProvider } from "./probes/flow.js";
export type { CheckOptions, CheckReport, CheckSummary, IssuerHandle, ProbeResult, ProbeStatus, ToolChoice } from "./types.js";
