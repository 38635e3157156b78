/** Scopes per tool: a missing scope is 403 insufficient_scope naming it; the named scope then opens the tool. */
import { type CheckContext, type McpExchange, type ToolInfo, callableTools, toolsOf } from "../context.js";
import { describeStatus, isSuccess, jsonRpcResponse } from "../http.js";
import { minimalArguments } from "../mcp-client.js";
import { type Probe, Skip, fail, pass, warn } from "../probe.js";
import { bearerChallenge, isAbsoluteHttpUrl } from "../www-authenticate.js";

const SCOPE_RULE = "MCP 2025-11-25 authorization: Scope Challenge Handling; RFC 6750 §3.1 (insufficient_scope)";
const MAX_TOOLS = 20;

async function listTools(ctx: CheckContext): Promise<ToolInfo[]> {
  if (ctx.findings.tools) return ctx.findings.tools;
  const { response } = await ctx.exchange(`Bearer ${await ctx.mintedToken()}`, "tools/list");
  const tools = toolsOf(jsonRpcResponse(response)?.result);
  if (!tools) throw new Skip(`tools/list with a valid token failed (${describeStatus(response)})`);
  return (ctx.findings.tools = tools);
}

export function toolArguments(ctx: CheckContext, tool: ToolInfo): Record<string, unknown> {
  return ctx.tool?.name === tool.name && ctx.tool.arguments ? ctx.tool.arguments : minimalArguments(tool.inputSchema);
}

function callTool(ctx: CheckContext, token: string, tool: ToolInfo): Promise<McpExchange> {
  return ctx.exchange(`Bearer ${token}`, "tools/call", { name: tool.name, arguments: toolArguments(ctx, tool) });
}

export const insufficientScope: Probe = {
  id: "scope.insufficient",
  title: "Missing scope for a tool gets 403 insufficient_scope",
  rule: SCOPE_RULE,
  async run(ctx) {
    await ctx.issuer();
    const listed = await listTools(ctx);
    if (listed.length === 0) throw new Skip("the server lists no tools");
    const tools = callableTools(ctx, listed).slice(0, MAX_TOOLS);
    if (tools.length === 0) throw new Skip("every tool is marked destructive (choose one with the tool option)");
    const supported = (await ctx.scopesSupported()) ?? [];
    const token = await ctx.mint({ scopes: [] });
    const calls = await Promise.all(tools.map(async (tool) => ({ tool, ...(await callTool(ctx, token, tool)) })));

    const broken = calls.find((c) => c.response.status >= 500);
    if (broken) return fail(`tools/call ${broken.tool.name} with a token without scopes: ${describeStatus(broken.response)}`);
    ctx.findings.openTools = calls.filter((c) => c.response.status < 300).map((c) => c.tool.name);
    const refused = calls.filter((c) => c.response.status === 403);
    if (refused.length === 0) {
      const as401 = calls.find((c) => c.response.status === 401);
      if (as401) {
        return fail(`tools/call ${as401.tool.name} with a valid token lacking scopes got 401, not 403 insufficient_scope (${describeStatus(as401.response)})`);
      }
      const other = calls.find((c) => c.response.status >= 300);
      if (other) return fail(`tools/call ${other.tool.name} with a token without scopes: ${describeStatus(other.response)}`);
      if (supported.length === 0) return pass("no scopes are advertised and every tool is callable");
      return warn(`every tool answered a token without scopes: none requires one of ${supported.join(" ")}`);
    }
    const pick = refused.find((c) => c.tool.name === ctx.tool?.name) ?? refused[0]!;
    const where = `tools/call ${pick.tool.name}${pick.stage === "initialize" ? " (already at initialize)" : ""} without scopes`;
    const bearer = bearerChallenge(pick.response.headers.get("www-authenticate"));
    if (!bearer) return fail(`${where}: 403 without a Bearer challenge`);
    if (bearer.params.error !== "insufficient_scope") return fail(`${where}: 403 with error="${bearer.params.error ?? ""}", not insufficient_scope`);
    const scopes = (bearer.params.scope ?? "").split(" ").filter(Boolean);
    if (scopes.length === 0) return fail(`${where}: 403 insufficient_scope without scope= naming the scopes needed`);
    if (supported.length && !scopes.some((s) => supported.includes(s))) {
      return fail(`${where}: scope="${scopes.join(" ")}" names none of scopes_supported (${supported.join(" ")})`);
    }
    ctx.findings.scopedTool = { name: pick.tool.name, scopes };
    const rm = bearer.params.resource_metadata;
    if (!isAbsoluteHttpUrl(rm)) return fail(`${where}: resource_metadata ${rm === undefined ? "missing" : `"${rm}" is not absolute`}`);
    return pass(`${where}: 403 insufficient_scope, scope="${scopes.join(" ")}"`);
  },
};

export const grantedScope: Probe = {
  id: "scope.granted",
  title: "The scope named in the challenge opens the tool",
  rule: SCOPE_RULE,
  async run(ctx) {
    const scoped = ctx.findings.scopedTool;
    if (!scoped) throw new Skip("no tool answered 403 insufficient_scope (see scope.insufficient)");
    const tool = (await listTools(ctx)).find((t) => t.name === scoped.name)!;
    const { stage, response } = await callTool(ctx, await ctx.mint({ scopes: scoped.scopes }), tool);
    if (response.status === 403) return fail(`tools/call ${tool.name} with scope "${scoped.scopes.join(" ")}" still got 403 (${describeStatus(response)})`);
    if (!isSuccess(response)) return fail(`${stage} with scope "${scoped.scopes.join(" ")}": ${describeStatus(response)}`);
    const msg = jsonRpcResponse(response);
    if (msg?.error) return pass(`tools/call ${tool.name} passed authorization (JSON-RPC error ${msg.error.code}: ${msg.error.message})`);
    return pass(`tools/call ${tool.name} with scope "${scoped.scopes.join(" ")}": 200`);
  },
};

export const scopeProbes = [insufficientScope, grantedScope];
