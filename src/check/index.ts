/** The self-check: `runCheck(options)` probes an MCP server's authorization; `formatReport` prints it. */
export { runCheck, PROBES, endpointUrlProblem } from "./run.js";
export { formatReport, exitCodeFor, reportPassed, summarize, type FormatOptions } from "./report.js";
export { MemoryOAuthProvider } from "./probes/flow.js";
export { REVISIONS, type Citation } from "./rules.js";
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
