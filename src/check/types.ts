/** Public types of the self-check (`create-mcp-auth check`). */
import type { LocalIssuer } from "../issuer/types.js";
import type { Revision } from "./rules.js";

export type { Revision } from "./rules.js";
export type ProbeStatus = "pass" | "fail" | "warn" | "skip";

export interface ProbeResult {
  /** Stable id, e.g. `prm.path`, `token.expired`, `flow.step-up`. */
  id: string;
  title: string;
  status: ProbeStatus;
  /** One line: what was seen (strings from the server with control characters escaped). */
  reason: string;
  /** The rule the probe checks, e.g. "MCP 2025-06-18 basic/authorization: Token Handling; RFC 8725 §3.1". */
  rule: string;
  /** The MCP revision that states the rule (the first that does); null for rules no revision states (CORS). */
  revision: Revision | null;
  durationMs: number;
}

export interface CheckSummary {
  passed: number;
  failed: number;
  warnings: number;
  skipped: number;
}

/** The protocol eras, by the revision that opens them: the 2025 era (initialize) and 2026-07-28 (stateless). */
export type EraName = "2025" | "2026-07-28";
/**
 * "accepted": the official client listed the tools with a valid token; "refused": the server answers that
 * era's opening request with a refusal; "failing": it serves that era's opening request, but the official
 * client fails; "unknown": no token, or no answer.
 */
export type EraVerdict = "accepted" | "refused" | "failing" | "unknown";

export interface CheckReport {
  /** True when no probe failed (exit code 0). */
  ok: boolean;
  /** The exit code of `check`: 0 nothing failed, 1 a probe failed. */
  exitCode: number;
  /** The MCP endpoint that was checked. */
  url: string;
  /** The local issuer used for minted tokens and the OAuth flow, if any. */
  issuer?: string;
  /** The finding that matters before any other, e.g. "This endpoint is not protected: ...". */
  headline?: string;
  /** One line per class of failure (the headline first): what to fix, before the checklist. Empty when nothing failed. */
  verdicts?: string[];
  /** Which protocol eras the server accepts. */
  eras: Record<EraName, EraVerdict>;
  results: ProbeResult[];
  summary: CheckSummary;
  durationMs: number;
}

/**
 * What the check needs from a local issuer: the in-process `LocalIssuer`
 * satisfies it, and so does the HTTP client of its `/_dev/*` endpoints.
 */
export type IssuerHandle = Pick<LocalIssuer, "url" | "resourceId" | "issuer" | "authorizationServer" | "mint">;

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
