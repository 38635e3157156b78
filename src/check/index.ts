/** The self-check: `runCheck(options)` probes an MCP server's authorization; `formatReport` prints it. */

export { MemoryOAuthProvider } from "./probes/flow.js";
export { exitCodeFor, type FormatOptions, formatReport, reportPassed, summarize } from "./report.js";
export { type Citation, REVISIONS } from "./rules.js";
export { endpointUrlProblem, PROBES, runCheck } from "./run.js";
export type {
  CheckOptions,
  CheckReport,
  CheckSummary,
  EraName,
  EraVerdict,
  IssuerHandle,
  ProbeResult,
  ProbeStatus,
  Revision,
  ToolChoice,
} from "./types.js";
