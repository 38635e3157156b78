/**
 * The MCP protocol eras this project's server answers: fastmcp runs on MCP
 * SDK v1, which speaks the 2025 revisions only; 2026-07-28 requests are
 * refused, and clients that speak both fall back to `initialize`.
 */
export const servesModernEra: boolean = false;
