/** Public types of the self-check (`create-mcp-auth check`). */
import type { LocalIssuer } from "../issuer/types.js";

export type ProbeStatus = "pass" | "fail" | "warn" | "skip";

export interface ProbeResult {
  /** Stable id, e.g. `prm.path`, `token.expired`, `flow.step-up`. */
  id: string;
  title: string;
  status: ProbeStatus;
  /** One line: what was seen. */
  reason: string;
  /** The spec rule the probe checks, e.g. "RFC 9728 §3.1". */
  rule: string;
  durationMs: number;
}

export interface CheckSummary {
  passed: number;
  failed: number;
  warnings: number;
  skipped: number;
}

export interface CheckReport {
  /** The MCP endpoint that was checked. */
  url: string;
  /** The local issuer used for minted tokens and the OAuth flow, if any. */
  issuer?: string;
  results: ProbeResult[];
  summary: CheckSummary;
  durationMs: number;
}

/**
 * What the check needs from a local issuer: the in-process `LocalIssuer`
 * satisfies it, and so does the HTTP client of its `/_dev/*` endpoints.
 */
export type IssuerHandle = Pick<LocalIssuer, "url" | "resourceId" | "issuer" | "mint" | "rotateKey">;

export interface ToolChoice {
  name: string;
  /** Arguments for tools/call; default: minimal valid arguments built from the tool's inputSchema. */
  arguments?: Record<string, unknown>;
}

export interface CheckOptions {
  /** The MCP endpoint, e.g. http://localhost:3000/mcp */
  url: string;
  /** A valid access token for the server (the CLI reads MCP_AUTH_TOKEN). */
  token?: string;
  /** URL of a running local issuer (its /_dev endpoints are used), or an in-process one. */
  issuer?: string | IssuerHandle;
  /** The tool to call in tools/call probes (default: picked from tools/list). */
  tool?: string | ToolChoice;
  /** Timeout of every HTTP request, in ms. Default 5000. */
  timeoutMs?: number;
  /** Called as each probe finishes (in completion order). */
  onResult?: (result: ProbeResult) => void;
}
