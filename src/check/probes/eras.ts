/**
 * Which protocol eras the server serves, asked the way clients ask: the 2025
 * era with the SDK v1 client (initialize), 2026-07-28 with the SDK v2 client
 * pinned to that revision (server/discover, the per-request `_meta` envelope,
 * Mcp-Method / Mcp-Name). Serving one era only is a warning naming who is
 * refused; serving neither, a failure.
 */
import { plural } from "../../core/plural.js";
import type { CheckContext } from "../context.js";
import { describeError, describeStatus, isSuccess, modernRequest, oneLine } from "../http.js";
import { listToolsModern, listToolsWithToken } from "../mcp-client.js";
import { fail, type Probe, pass, Skip, warn } from "../probe.js";
import { RULES } from "../rules.js";

type Attempt = { ok: true; tools: { name: string }[] } | { ok: false; error: string };

const attempts = new WeakMap<CheckContext, Promise<{ legacy: Attempt; modern: Attempt }>>();

/** Both SDK clients, once per run, one after the other. */
function sdkAttempts(ctx: CheckContext, token: string): Promise<{ legacy: Attempt; modern: Attempt }> {
  let p = attempts.get(ctx);
  if (!p) {
    const attempt = async (list: () => Promise<{ name: string }[]>): Promise<Attempt> => {
      try {
        return { ok: true, tools: await list() };
      } catch (err) {
        return { ok: false, error: describeError(err) };
      }
    };
    p = (async () => {
      const modern = await attempt(() => listToolsModern(ctx.endpoint, token, ctx.timeoutMs));
      const legacy = await attempt(() => listToolsWithToken(ctx.endpoint, token, ctx.timeoutMs));
      return { legacy, modern };
    })();
    attempts.set(ctx, p);
  }
  return p;
}

const names = (tools: { name: string }[]): string =>
  tools.length
    ? oneLine(
        tools
          .map((t) => t.name)
          .slice(0, 8)
          .join(", ") + (tools.length > 8 ? ", …" : ""),
        160,
      )
    : "no tools";

/** The raw answer to the era's opening request, for the reason. */
async function rawSeen(ctx: CheckContext, era: "legacy" | "modern"): Promise<string> {
  const eras = await ctx.eras();
  return eras ? `${era === "modern" ? "server/discover" : "initialize"} answered ${eras[era].seen}` : "";
}

export const era2025: Probe = {
  id: "era.2025",
  title: "2025-era clients (initialize) list the tools with a valid token",
  ...RULES.legacyEra(),
  async run(ctx) {
    const token = await ctx.requireToken();
    const { legacy, modern } = await sdkAttempts(ctx, token);
    if (legacy.ok) return pass(`SDK v1 client: initialize + tools/list: ${plural(legacy.tools.length, "tool")} (${names(legacy.tools)})`);
    const seen = await rawSeen(ctx, "legacy");
    if ((await ctx.eras())?.legacy.served) {
      return fail(`${seen}, but the official SDK v1 client (initialize + tools/list) fails: ${legacy.error}`);
    }
    if (modern.ok) {
      return warn(
        `the server serves only 2026-07-28: ${seen || legacy.error}; clients of the 2025 era (SDK v1 and the hosts built on it) are refused`,
      );
    }
    return fail(`initialize + tools/list with a valid token failed: ${legacy.error}`);
  },
};

export const era2026: Probe = {
  id: "era.2026",
  title: "2026-07-28 clients (server/discover, stateless) list the tools with a valid token",
  ...RULES.modernEra(),
  async run(ctx) {
    const token = await ctx.requireToken();
    const { legacy, modern } = await sdkAttempts(ctx, token);
    if (modern.ok) {
      // The same era without a token must be refused too.
      const open = await ctx.post(undefined, modernRequest("server/discover"));
      if (isSuccess(open))
        return fail(`a 2026-07-28 server/discover without a token was answered HTTP ${open.status}: that era is not protected`);
      return pass(
        `SDK v2 client pinned to 2026-07-28: tools/list: ${plural(modern.tools.length, "tool")} (${names(modern.tools)}); without a token: ${describeStatus(open).split(" (")[0]}`,
      );
    }
    const seen = await rawSeen(ctx, "modern");
    if ((await ctx.eras())?.modern.served) {
      return fail(`${seen}, but the official SDK v2 client pinned to 2026-07-28 fails: ${modern.error}`);
    }
    if (legacy.ok) {
      return warn(
        `the server serves only the 2025 era: ${seen || modern.error}; clients that speak only 2026-07-28 are refused (clients that negotiate fall back to initialize)`,
      );
    }
    return fail(`the SDK v2 client pinned to 2026-07-28 failed: ${modern.error}`);
  },
};

export const freshConnection: Probe = {
  id: "mcp.fresh-connection",
  title: "A second and a third 2025-era connection work too",
  ...RULES.connections(
    'MCP TypeScript SDK v1: one McpServer per transport (a reused server answers 500 "Already connected to a transport")',
  ),
  async run(ctx) {
    const token = await ctx.requireToken();
    const { legacy } = await sdkAttempts(ctx, token);
    if (!legacy.ok) throw new Skip("the first 2025-era connection failed (see era.2025)");
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

export const eraProbes = [era2025, era2026, freshConnection];
