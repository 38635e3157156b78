/** The local Scalekit-compatible OAuth 2.1 authorization server (development only). */

export { DEFAULT_PORT, DEFAULT_RESOURCE_ID, DEFAULT_TOKEN_LIFETIME, startIssuer } from "./issuer.js";
export type { IssuerForm, IssuerOptions, Layout, LocalIssuer, Lookup, MintOptions, ResolvedAddress } from "./types.js";
