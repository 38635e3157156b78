/**
 * The rules the probes check, each cited with the MCP revision that first
 * states it (a rule that only a newer revision states is that revision's),
 * the section, and the standards it leans on. Sections are named as in that
 * revision's text (2026-07-28 split basic/authorization into several pages).
 */

export const REVISIONS = ["2025-06-18", "2025-11-25", "2026-07-28"] as const;
export type Revision = (typeof REVISIONS)[number];

export interface Citation {
  /** Human-readable: "MCP 2025-06-18 basic/authorization: Token Handling; RFC 8725 §3.1". */
  rule: string;
  /** The MCP revision that states the rule; null when no revision does (e.g. CORS, a tool precondition). */
  revision: Revision | null;
}

/** A rule of the MCP specification, first stated in `revision`. */
export function mcp(revision: Revision, section: string, ...standards: string[]): Citation {
  return { rule: [`MCP ${revision} ${section}`, ...standards].join("; "), revision };
}

/** A rule no MCP revision states: only the standard (or tool requirement) it comes from. */
export function notMcp(source: string): Citation {
  return { rule: `${source} (not stated by any MCP revision)`, revision: null };
}

const AUTH = "basic/authorization";

/** One entry per rule, so two probes checking the same rule cite it the same way. */
export const RULES = {
  // Discovery (RFC 9728)
  prmDiscovery: (...s: string[]) =>
    mcp("2025-11-25", `${AUTH}: Protected Resource Metadata Discovery Requirements`, "RFC 9728 §3, §5.1", ...s),
  prmLocation: (...s: string[]) => mcp("2025-06-18", `${AUTH}: Authorization Server Location`, "RFC 9728 §2", ...s),
  canonicalUri: (...s: string[]) => mcp("2025-06-18", `${AUTH}: Canonical Server URI`, "RFC 9728 §3.3", "RFC 8707 §2", ...s),
  // The 401 challenge
  challenge401: (...s: string[]) =>
    mcp("2025-06-18", `${AUTH}: Authorization Server Location (401 with WWW-Authenticate)`, "RFC 9728 §5.1", "RFC 6750 §3", ...s),
  errorHandling: (...s: string[]) =>
    mcp("2025-06-18", `${AUTH}: Error Handling (401: authorization required or token invalid)`, "RFC 6750 §3.1", ...s),
  tokenRequirements: (...s: string[]) => mcp("2025-06-18", `${AUTH}: Token Requirements`, ...s),
  tokenHandling: (...s: string[]) =>
    mcp("2025-06-18", `${AUTH}: Token Handling (validate per OAuth 2.1 §5.2; invalid or expired tokens get 401)`, ...s),
  audience: (...s: string[]) => mcp("2025-06-18", `${AUTH}: Token Audience Binding and Validation`, "RFC 8707 §2", ...s),
  accessTokenUsage: (...s: string[]) => mcp("2025-06-18", `${AUTH}: Access Token Usage`, ...s),
  // Authorization server
  asDiscovery: (...s: string[]) =>
    mcp("2025-11-25", `${AUTH}: Authorization Server Metadata Discovery (RFC 8414 or OpenID Connect Discovery)`, "RFC 8414 §3", ...s),
  asIssuer: (...s: string[]) =>
    mcp(
      "2026-07-28",
      `${AUTH}/authorization-server-discovery: Authorization Server Metadata Discovery (issuer identical to the URL it was built from)`,
      "RFC 8414 §3.3",
      ...s,
    ),
  pkce: (...s: string[]) =>
    mcp("2025-11-25", `${AUTH}: Authorization Code Protection (code_challenge_methods_supported)`, "OAuth 2.1 §4.1.1", ...s),
  registration: (...s: string[]) =>
    mcp("2025-11-25", `${AUTH}: Client Registration Approaches`, "Client ID Metadata Documents", "RFC 7591", ...s),
  flow: (...s: string[]) => mcp("2025-06-18", `${AUTH}: Authorization Flow Steps`, ...s),
  resourceParameter: (...s: string[]) =>
    mcp("2025-06-18", `${AUTH}: Resource Parameter Implementation; Authorization Code Protection`, "OAuth 2.1 §4.1", "RFC 8707 §2", ...s),
  // Scopes
  scopeChallenge: (...s: string[]) =>
    mcp("2025-11-25", `${AUTH}: Scope Challenge Handling (403 insufficient_scope)`, "RFC 6750 §3.1", ...s),
  scopeChallenge2026: (...s: string[]) =>
    mcp(
      "2026-07-28",
      `${AUTH}: Scope Challenge Handling (every scope the operation needs in one challenge; scope hierarchies)`,
      "RFC 6750 §3.1",
      ...s,
    ),
  stepUp: (...s: string[]) => mcp("2025-11-25", `${AUTH}: Step-Up Authorization Flow`, ...s),
  offlineAccess: (...s: string[]) =>
    mcp("2026-07-28", `${AUTH}: Refresh Tokens (offline_access not in scopes_supported nor in a challenge)`, ...s),
  // Transport and eras
  legacyEra: (...s: string[]) => mcp("2025-06-18", "basic/lifecycle (initialize) over basic/transports: Streamable HTTP", ...s),
  modernEra: (...s: string[]) =>
    mcp("2026-07-28", "basic/transports/streamable-http (per-request _meta, Mcp-Method / Mcp-Name) and server/discover", "SEP-2575", ...s),
  headerValidation: (...s: string[]) =>
    mcp("2026-07-28", "basic/transports/streamable-http: Server Validation (headers and body must agree)", ...s),
  connections: (...s: string[]) => mcp("2025-06-18", "basic/transports: Streamable HTTP (one server, many client connections)", ...s),
  // Not MCP rules
  cors: (...s: string[]) => notMcp(["Fetch standard: CORS protocol, which browser-based clients (MCP Inspector) need", ...s].join("; ")),
  localIssuer: () =>
    notMcp("create-mcp-auth: --issuer must be an authorization server the protected resource metadata names (RFC 9728 §2)"),
} satisfies Record<string, (...s: string[]) => Citation>;
