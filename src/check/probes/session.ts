/** Authorized requests through the official SDK client, twice: the second catches "one McpServer reused". */
import type { CheckContext } from "../context.js";
import { describeError } from "../http.js";
import { listToolsWithToken } from "../mcp-client.js";
import { type Probe, Skip, fail, pass } from "../probe.js";

async function requireToken(ctx: CheckContext): Promise<string> {
  const token = await ctx.validToken().catch(() => undefined);
  if (!token) throw new Skip("needs a token (--token or MCP_AUTH_TOKEN) or a local issuer (--issuer)");
  return token;
}

const names = (tools: { name: string }[]): string =>
  tools.length ? tools.map((t) => t.name).slice(0, 8).join(", ") + (tools.length > 8 ? ", …" : "") : "no tools";

export const authorizedRequest: Probe = {
  id: "mcp.authorized",
  title: "Authorized tools/list succeeds",
  rule: "MCP 2025-11-25 authorization: Access Token Usage; MCP Streamable HTTP transport",
  async run(ctx) {
    const token = await requireToken(ctx);
    try {
      const tools = await listToolsWithToken(ctx.endpoint, token, ctx.timeoutMs);
      return pass(`initialize + tools/list with the token: ${tools.length} tools (${names(tools)})`);
    } catch (err) {
      return fail(`initialize + tools/list with a valid token failed: ${describeError(err)}`);
    }
  },
};

export const freshConnection: Probe = {
  id: "mcp.fresh-connection",
  title: "A second connection works too",
  rule: "MCP TypeScript SDK: one McpServer per transport (a reused server answers 500 \"Already connected to a transport\")",
  async run(ctx) {
    const token = await requireToken(ctx);
    // Two more connections: the first probe's may have been the server's first ever.
    for (const attempt of [2, 3]) {
      try {
        await listToolsWithToken(ctx.endpoint, token, ctx.timeoutMs);
      } catch (err) {
        return fail(`connection #${attempt} (initialize + tools/list) failed: ${describeError(err)}`);
      }
    }
    return pass("connections #2 and #3 listed the tools too");
  },
};

export const sessionProbes = [authorizedRequest, freshConnection];
