import type { Config } from "./config.js";
import { allScopes } from "./scopes.js";
import { scopeHierarchy, serverName, toolScopes } from "./tool-scopes.js";

const WELL_KNOWN = "/.well-known/oauth-protected-resource";

/** Paths of the protected resource metadata (RFC 9728): clients try the path-suffixed one first. */
export function prmPaths(config: Config): { pathSuffixed: string; root: string } {
  return { pathSuffixed: WELL_KNOWN + (config.mcpPath === "/" ? "" : config.mcpPath), root: WELL_KNOWN };
}

/** Absolute metadata URLs, derived from MCP_SERVER_URL so they stay right behind a proxy. */
export function prmUrls(config: Config): { pathSuffixed: string; root: string } {
  const { origin } = new URL(config.resourceUrl);
  const paths = prmPaths(config);
  return { pathSuffixed: origin + paths.pathSuffixed, root: origin + paths.root };
}

export function protectedResourceMetadata(config: Config) {
  return {
    resource: config.resourceUrl,
    authorization_servers: [config.provider.authorizationServer],
    scopes_supported: allScopes(toolScopes, scopeHierarchy),
    bearer_methods_supported: ["header"],
    resource_name: serverName,
  };
}

/** Headers for the metadata documents: public, readable from any origin. */
export const metadataHeaders: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, OPTIONS",
  "Access-Control-Allow-Headers": "Mcp-Protocol-Version, Content-Type",
  "Access-Control-Max-Age": "86400",
  "Cache-Control": "public, max-age=300",
};
