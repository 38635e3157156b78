/** How to get a token from the local issuer, as the issuer's banner and the generated README show it. */

import { selfCommand } from "../core/self-command.js";

export const DEFAULT_ISSUER_URL = "http://127.0.0.1:4444";

/** The command that prints a token, as a user types it (with --issuer-url when not the default). */
export function tokenCommandLine(issuerUrl: string, prefix = selfCommand()): string {
  return `${prefix} issuer token${issuerUrl === DEFAULT_ISSUER_URL ? "" : ` --issuer-url ${issuerUrl}`}`;
}

/**
 * A complete tools/list call with a fresh token, for the README and the
 * issuer's banner: within 80 columns, and it stops when no token comes (the
 * assignment's status is the token command's).
 */
export function curlExample(issuerUrl: string, serverUrl = "http://localhost:3000/mcp", prefix = selfCommand()): string {
  const token =
    issuerUrl === DEFAULT_ISSUER_URL
      ? [`TOKEN=$(${tokenCommandLine(issuerUrl, prefix)}) &&`]
      : [`TOKEN=$(${prefix} issuer token \\`, `  --issuer-url ${issuerUrl}) &&`];
  return [
    ...token,
    `curl -s ${serverUrl} -H "Authorization: Bearer $TOKEN" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H "Accept: application/json, text/event-stream" \\`,
    `  -H "MCP-Protocol-Version: 2025-11-25" \\`,
    `  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'`,
  ].join("\n");
}
