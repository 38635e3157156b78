/** The local Scalekit-compatible OAuth 2.1 authorization server (development only). */
export { startIssuer, DEFAULT_PORT, DEFAULT_RESOURCE_ID, DEFAULT_TOKEN_LIFETIME } from "./issuer.js";
export { runIssuerCommand, DEV_WARNING, type IssuerCommandOptions } from "./command.js";
export type { IssuerForm, IssuerOptions, Layout, LocalIssuer, Lookup, MintOptions, ResolvedAddress } from "./types.js";
