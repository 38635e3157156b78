/**
 * Scopes per tool, in each protocol era the server serves: a token without
 * a tool's scope gets 403 insufficient_scope naming it, and the named scope
 * then opens the tool. Advertised scopes that no tool enforces are a failure.
 */
import { type CheckContext, callableTools, ERA_NAME, type Era, type McpExchange, type ToolInfo, toolsOf } from "../context.js";
import { describeStatus, isSuccess, jsonRpcResponse, modernRequest, oneLine } from "../http.js";
import { minimalArguments } from "../mcp-client.js";
import { fail, lateResult, type Probe, pass, Skip, warn } from "../probe.js";
import { RULES } from "../rules.js";
import { bearerChallenge, isAbsoluteHttpUrl } from "../www-authenticate.js";

const MAX_TOOLS = 20;
const suffix = (era: Era): string => (era === "modern" ? ".2026" : "");
const eraProbeId = (era: Era): string => (era === "modern" ? "era.2026" : "era.2025");

async function listTools(ctx: CheckContext): Promise<ToolInfo[]> {
  if (ctx.findings.tools) return ctx.findings.tools;
  const { response } = await ctx.exchange(`Bearer ${await ctx.mintedToken()}`, "tools/list");
  const tools = toolsOf(jsonRpcResponse(response)?.result);
  if (!tools) throw new Skip(`tools/list with a valid token failed (${describeStatus(response)})`);
  ctx.findings.tools = tools;
  return tools;
}

export function toolArguments(ctx: CheckContext, tool: ToolInfo): Record<string, unknown> {
  return ctx.tool?.name === tool.name && ctx.tool.arguments ? ctx.tool.arguments : minimalArguments(tool.inputSchema);
}

/** A tools/call; a slow tool's answer (200, its SSE stream open, the result still to come) counts as answered. */
function callTool(ctx: CheckContext, token: string, tool: ToolInfo, era: Era): Promise<McpExchange> {
  return ctx.exchange(`Bearer ${token}`, "tools/call", { name: tool.name, arguments: toolArguments(ctx, tool) }, era, { slowStream: true });
}

/** The issuer, and a Skip when the server serves the other era and not this one (serving neither fails below). */
async function requireEra(ctx: CheckContext, era: Era): Promise<void> {
  await ctx.issuer();
  const eras = await ctx.eras();
  const other: Era = era === "modern" ? "legacy" : "modern";
  if (eras && !eras[era].served && eras[other].served)
    throw new Skip(`the server does not serve ${era === "modern" ? "2026-07-28" : "2025-era"} requests (see ${eraProbeId(era)})`);
}

const names = (tools: { name: string }[]): string => oneLine(tools.map((t) => t.name).join(", "), 120);

function insufficientScope(era: Era): Probe {
  return {
    id: `scope.insufficient${suffix(era)}`,
    title: `Missing scope for a tool gets 403 insufficient_scope (${ERA_NAME[era]} era)`,
    ...(era === "modern" ? RULES.scopeChallenge2026() : RULES.scopeChallenge()),
    async run(ctx) {
      await requireEra(ctx, era);
      const listed = await listTools(ctx);
      if (listed.length === 0) throw new Skip("the server lists no tools");
      const tools = callableTools(ctx, listed).slice(0, MAX_TOOLS);
      if (tools.length === 0) throw new Skip("every tool is marked destructive (choose one with the tool option)");
      const supported = (await ctx.scopesSupported()) ?? [];
      const token = await ctx.mint({ scopes: [] });
      const calls = await Promise.all(tools.map(async (tool) => ({ tool, ...(await callTool(ctx, token, tool, era)) })));

      const broken = calls.find((c) => c.response.status >= 500);
      if (broken) return fail(`tools/call ${broken.tool.name} with a token without scopes: ${describeStatus(broken.response)}`);
      const open = calls.filter((c) => c.response.status < 300);
      if (era === "legacy" || ctx.findings.openTools === undefined) ctx.findings.openTools = open.map((c) => c.tool.name);
      const refused = calls.filter((c) => c.response.status === 403);
      if (refused.length === 0) {
        const as401 = calls.find((c) => c.response.status === 401);
        if (as401) {
          return fail(
            `tools/call ${as401.tool.name} with a valid token lacking scopes got 401, not 403 insufficient_scope (${describeStatus(as401.response)})`,
          );
        }
        const other = calls.find((c) => c.response.status >= 300);
        if (other) return fail(`tools/call ${other.tool.name} with a token without scopes: ${describeStatus(other.response)}`);
        if (supported.length === 0) return pass(`no scopes are advertised and every tool is callable (${names(open.map((c) => c.tool))})`);
        return fail(
          `a token without scopes ran every tool (${names(open.map((c) => c.tool))}) although the server advertises scopes_supported "${oneLine(supported.join(" "), 120)}": the scopes are advertised, not enforced`,
        );
      }
      const pick = refused.find((c) => c.tool.name === ctx.tool?.name) ?? refused[0]!;
      const where = `tools/call ${pick.tool.name}${pick.stage === "initialize" ? " (already at initialize)" : ""} without scopes`;
      const bearer = bearerChallenge(pick.response.headers.get("www-authenticate"));
      if (!bearer) return fail(`${where}: 403 without a Bearer challenge`);
      if (bearer.params.error !== "insufficient_scope")
        return fail(`${where}: 403 with error="${oneLine(bearer.params.error ?? "", 60)}", not insufficient_scope`);
      const scopes = (bearer.params.scope ?? "").split(" ").filter(Boolean);
      if (scopes.length === 0) return fail(`${where}: 403 insufficient_scope without scope= naming the scopes needed`);
      if (supported.length && !scopes.some((s) => supported.includes(s))) {
        return fail(
          `${where}: scope="${oneLine(scopes.join(" "), 120)}" names none of scopes_supported (${oneLine(supported.join(" "), 120)})`,
        );
      }
      ctx.findings.scoped[era] = { name: pick.tool.name, scopes };
      const rm = bearer.params.resource_metadata;
      if (!isAbsoluteHttpUrl(rm))
        return fail(`${where}: resource_metadata ${rm === undefined ? "missing" : `"${oneLine(rm, 120)}" is not absolute`}`);
      if (scopes.includes("offline_access"))
        return warn(`${where}: the challenge asks for offline_access (MCP 2026-07-28: not a resource requirement)`);
      return pass(`${where}: 403 insufficient_scope, scope="${oneLine(scopes.join(" "), 120)}"`);
    },
  };
}

function grantedScope(era: Era): Probe {
  return {
    id: `scope.granted${suffix(era)}`,
    title: `The scope named in the challenge opens the tool (${ERA_NAME[era]} era)`,
    ...(era === "modern" ? RULES.scopeChallenge2026() : RULES.scopeChallenge()),
    async run(ctx) {
      await requireEra(ctx, era);
      const scoped = ctx.findings.scoped[era];
      if (!scoped) throw new Skip(`no tool answered 403 insufficient_scope (see scope.insufficient${suffix(era)})`);
      const tool = (await listTools(ctx)).find((t) => t.name === scoped.name)!;
      const scope = oneLine(scoped.scopes.join(" "), 120);
      const { stage, response } = await callTool(ctx, await ctx.mint({ scopes: scoped.scopes }), tool, era);
      if (response.status === 403)
        return fail(
          `tools/call ${tool.name} with scope "${scope}" still got 403 (${describeStatus(response)}): the challenge did not name every scope the call needs`,
        );
      if (!isSuccess(response)) return fail(`${stage} with scope "${scope}": ${describeStatus(response)}`);
      if (response.slow)
        return pass(
          `tools/call ${tool.name} with scope "${scope}" passed authorization (HTTP ${response.status}, its SSE stream open); ${lateResult(ctx.timeoutMs)}`,
        );
      const msg = jsonRpcResponse(response);
      if (msg?.error)
        return pass(`tools/call ${tool.name} passed authorization (JSON-RPC error ${msg.error.code}: ${oneLine(msg.error.message, 120)})`);
      return pass(`tools/call ${tool.name} with scope "${scope}": 200`);
    },
  };
}

export const insufficientScope2025 = insufficientScope("legacy");
export const grantedScope2025 = grantedScope("legacy");
export const insufficientScope2026 = insufficientScope("modern");
export const grantedScope2026 = grantedScope("modern");

export const headerMismatch: Probe = {
  id: "scope.header-mismatch",
  title: "An Mcp-Name header that disagrees with the body never opens a tool",
  ...RULES.headerValidation("SEP-2243"),
  async run(ctx) {
    await requireEra(ctx, "modern");
    const scoped = ctx.findings.scoped.modern;
    if (!scoped) throw new Skip("no tool answered 403 insufficient_scope (see scope.insufficient.2026)");
    const tool = (await listTools(ctx)).find((t) => t.name === scoped.name)!;
    const decoy = ctx.findings.openTools?.find((n) => n !== tool.name) ?? "create-mcp-auth-check-no-such-tool";
    const req = modernRequest("tools/call", { name: tool.name, arguments: toolArguments(ctx, tool) });
    const r = await ctx.post(`Bearer ${await ctx.mint({ scopes: [] })}`, {
      body: req.body,
      headers: { ...req.headers, "Mcp-Name": decoy },
    });
    if (isSuccess(r)) {
      const msg = jsonRpcResponse(r);
      if (!msg?.error)
        return fail(
          `tools/call ${tool.name} with Mcp-Name: ${decoy} and a token without its scope was answered ${r.status}: authorization followed the header`,
        );
    }
    if (r.status >= 500) return fail(`tools/call with a disagreeing Mcp-Name: ${describeStatus(r)}`);
    if (isSuccess(r)) return pass(`the call was refused in-band (HTTP ${r.status} with a JSON-RPC error)`);
    return pass(`tools/call ${tool.name} with Mcp-Name: ${decoy}: HTTP ${r.status}${r.status === 400 ? " (header mismatch)" : ""}`);
  },
};

export const offlineAccess: Probe = {
  id: "scope.offline-access",
  title: "Neither scopes_supported nor the challenge asks for offline_access",
  ...RULES.offlineAccess("SEP-2207"),
  async run(ctx) {
    const d = await ctx.discovery();
    if (!d.prm && !d.unauthenticated.response) throw new Skip("no protected resource metadata and no challenge (see prm.discovery)");
    const where: string[] = [];
    const supported = (await ctx.scopesSupported()) ?? [];
    if (supported.includes("offline_access")) where.push("scopes_supported");
    const challenged = bearerChallenge(d.unauthenticated.response?.headers.get("www-authenticate"))?.params.scope?.split(" ") ?? [];
    if (challenged.includes("offline_access")) where.push("the 401 challenge's scope");
    if (where.length)
      return warn(
        `offline_access is in ${where.join(" and ")}: refresh tokens are not a resource requirement (servers SHOULD NOT list it)`,
      );
    return pass("neither scopes_supported nor the 401 challenge lists offline_access");
  },
};

export const scopeProbes = [insufficientScope2025, grantedScope2025, insufficientScope2026, grantedScope2026, headerMismatch];
