/** Protected Resource Metadata (RFC 9728): where it is served, what it says, and that browsers may read it. */
import type { CheckContext } from "../context.js";
import { PROBE_ORIGIN, isSuccess, request } from "../http.js";
import { type FetchedDocument, type ProtectedResourceMetadata, whyMissing } from "../metadata.js";
import { type Probe, Skip, fail, pass, warn } from "../probe.js";

const PRM_RULE = "RFC 9728 §3.1; MCP 2025-11-25 authorization: Protected Resource Metadata Discovery";

function served(d: FetchedDocument<ProtectedResourceMetadata>): string | undefined {
  if (!d.doc) return undefined;
  return typeof d.doc.resource === "string" ? undefined : `${d.url} has no "resource"`;
}

export const prmPath: Probe = {
  id: "prm.path",
  title: "Protected resource metadata at the path-suffixed URL",
  rule: PRM_RULE,
  async run(ctx) {
    const { path, root } = await ctx.discovery();
    if (path.url === root.url) return pass(`the endpoint is at the root: ${path.url} is the only URL`);
    if (!path.doc) return fail(`GET ${path.url}: ${whyMissing(path)} (clients try this URL first)`);
    return served(path) ? fail(served(path)!) : pass(`GET ${path.url}: 200 JSON`);
  },
};

export const prmRoot: Probe = {
  id: "prm.root",
  title: "Protected resource metadata at the root URL",
  rule: `${PRM_RULE} (root fallback)`,
  async run(ctx) {
    const { root } = await ctx.discovery();
    if (!root.doc) return fail(`GET ${root.url}: ${whyMissing(root)} (clients that do not use the path-suffixed URL try this one)`);
    return served(root) ? fail(served(root)!) : pass(`GET ${root.url}: 200 JSON`);
  },
};

async function requirePrm(ctx: CheckContext): Promise<ProtectedResourceMetadata> {
  const { prm } = await ctx.discovery();
  if (!prm) throw new Skip("no protected resource metadata");
  return prm;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

export const prmFields: Probe = {
  id: "prm.fields",
  title: "Protected resource metadata fields",
  rule: "RFC 9728 §2; MCP 2025-11-25 authorization: Authorization Server Location",
  async run(ctx) {
    const prm = await requirePrm(ctx);
    const problems: string[] = [];
    if (typeof prm.resource !== "string") problems.push(`"resource" is missing`);
    const as = prm.authorization_servers;
    if (!isStringArray(as) || as.length === 0) problems.push(`"authorization_servers" must be a non-empty array of URLs`);
    else if (!as.every((u) => URL.canParse(u))) problems.push(`"authorization_servers" has an entry that is not a URL`);
    const bearer = prm.bearer_methods_supported;
    if (bearer !== undefined && !(isStringArray(bearer) && bearer.includes("header"))) {
      problems.push(`"bearer_methods_supported" does not include "header"`);
    }
    if (isStringArray(bearer) && bearer.includes("query")) problems.push(`"bearer_methods_supported" offers "query" (MCP forbids tokens in the URI)`);
    if (problems.length) return fail(problems.join("; "));
    const scopes = prm.scopes_supported;
    if (!isStringArray(scopes) || scopes.length === 0) {
      return warn(`no "scopes_supported": clients cannot tell which scopes to request`);
    }
    return pass(`authorization_servers: ${(as as string[]).join(", ")}; scopes_supported: ${scopes.join(" ")}`);
  },
};

/** Why `resource` does not fit the endpoint, or undefined when it does. */
export function resourceMismatch(resource: string, endpoint: URL, endpointAsGiven: string): string | undefined {
  if (resource.endsWith("/") && resource !== endpointAsGiven) {
    return `"resource" ${resource} ends with a slash (a URL's .href adds one): the official client refuses it unless it matches exactly`;
  }
  let r: URL;
  try {
    r = new URL(resource);
  } catch {
    return `"resource" ${resource} is not a URL`;
  }
  if (r.origin !== endpoint.origin) return `"resource" ${resource} is not on the endpoint's origin ${endpoint.origin}`;
  if (r.hash) return `"resource" ${resource} has a fragment (RFC 8707 §2)`;
  const prefix = r.pathname.replace(/\/+$/, "");
  const path = endpoint.pathname;
  if (!(path === prefix || path.startsWith(`${prefix}/`) || prefix === "")) {
    return `"resource" ${resource} is not a prefix of the endpoint path ${path} ("Protected resource ... does not match expected ...")`;
  }
  return undefined;
}

export const prmResource: Probe = {
  id: "prm.resource",
  title: "Resource identifier matches the endpoint",
  rule: "RFC 9728 §3.3; RFC 8707 §2; MCP 2025-11-25 authorization: Canonical Server URI",
  async run(ctx) {
    const { path, root } = await ctx.discovery();
    const docs = [path, root].filter((d, i, all) => d.doc && all.indexOf(d) === i);
    if (docs.length === 0) throw new Skip("no protected resource metadata");
    for (const d of docs) {
      const resource = d.doc!.resource;
      if (typeof resource !== "string") return fail(`${d.url} has no "resource"`);
      const why = resourceMismatch(resource, ctx.url, ctx.endpoint);
      if (why) return fail(why);
    }
    const resources = [...new Set(docs.map((d) => d.doc!.resource as string))];
    if (resources.length > 1) return warn(`the two documents name different resources: ${resources.join(" vs ")}`);
    return pass(`"resource" ${resources[0]} covers ${ctx.endpoint}`);
  },
};

export const prmCors: Probe = {
  id: "prm.cors",
  title: "Protected resource metadata readable cross-origin",
  rule: "MCP 2025-11-25 authorization (browser-based clients); Fetch standard: CORS protocol",
  async run(ctx) {
    const { path, root } = await ctx.discovery();
    const d = path.doc ? path : root.doc ? root : undefined;
    if (!d) throw new Skip("no protected resource metadata");
    if (!d.response!.headers.get("access-control-allow-origin")) {
      return fail(`GET ${d.url} from Origin ${PROBE_ORIGIN}: no Access-Control-Allow-Origin`);
    }
    const pre = await request(d.url, {
      method: "OPTIONS",
      timeoutMs: ctx.timeoutMs,
      headers: {
        Origin: PROBE_ORIGIN,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "mcp-protocol-version",
      },
    });
    if (!isSuccess(pre)) return fail(`OPTIONS ${d.url} (preflight): HTTP ${pre.status}`);
    if (!pre.headers.get("access-control-allow-origin")) return fail(`OPTIONS ${d.url} (preflight): no Access-Control-Allow-Origin`);
    const allowed = (pre.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    if (allowed !== "*" && !allowed.split(",").map((h) => h.trim()).includes("mcp-protocol-version")) {
      return warn(`preflight does not allow MCP-Protocol-Version, which the official client sends on discovery (it retries without)`);
    }
    return pass(`GET and OPTIONS answer with Access-Control-Allow-Origin`);
  },
};

export const discoveryProbes = [prmPath, prmRoot, prmFields, prmResource, prmCors];
