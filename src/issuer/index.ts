/** The local Scalekit-compatible OAuth 2.1 authorization server (development only). */

export { DEV_WARNING, type IssuerCommandOptions, runIssuerCommand } from "./command.js";
export { DEFAULT_PORT, DEFAULT_RESOURCE_ID, DEFAULT_TOKEN_LIFETIME, startIssuer } from "./issuer.js";
export type { IssuerForm, IssuerOptions, Layout, LocalIssuer, Lookup, MintOptions, ResolvedAddress } from "./types.js";
