/** Protected Resource Metadata (RFC 9728): where clients find it, what it says, and that browsers may read it. */
import type { CheckContext } from "../context.js";
import { isSuccess, oneLine, PROBE_ORIGIN, request } from "../http.js";
import {
  authorizationServerProblem,
  type Discovery,
  type FetchedDocument,
  type ProtectedResourceMetadata,
  whyMissing,
} from "../metadata.js";
import { fail, type Probe, pass, Skip, warn } from "../probe.js";
import { RULES } from "../rules.js";

/** Why a fetched document does not count as protected resource metadata, or undefined when it does. */
function notMetadata(d: FetchedDocument<ProtectedResourceMetadata> | undefined): string | undefined {
  if (!d) return "not fetched";
  if (!d.doc) return whyMissing(d);
  return typeof d.doc.resource === "string" ? undefined : `the document has no "resource"`;
}

/** The header's `resource_metadata`, when it serves the metadata; else why not. */
function headerWay(d: Discovery): { url?: string; problem: string | undefined } {
  if (d.headerValue === undefined) {
    const r = d.unauthenticated.response;
    return {
      problem: r
        ? `the ${r.status} answer to a request without a token has no resource_metadata`
        : `a request without a token got no answer (${d.unauthenticated.error})`,
    };
  }
  if (!d.header) return { problem: `resource_metadata "${oneLine(d.headerValue, 120)}" is not an absolute URL` };
  const problem = notMetadata(d.header);
  return { url: d.header.url, problem: problem && `resource_metadata ${d.header.url}: ${problem}` };
}

export const prmDiscovery: Probe = {
  id: "prm.discovery",
  title: "Clients can find the protected resource metadata",
  ...RULES.prmDiscovery(),
  async run(ctx) {
    const d = await ctx.discovery();
    const header = headerWay(d);
    const ways: string[] = [];
    if (!header.problem) ways.push(`the 401's resource_metadata (${header.url})`);
    if (!notMetadata(d.path)) ways.push(`the path-suffixed URL ${d.path.url}`);
    if (!notMetadata(d.root) && d.root !== d.path) ways.push(`the root URL ${d.root.url}`);
    if (ways.length === 0) {
      const why = [
        header.problem,
        `GET ${d.path.url}: ${notMetadata(d.path)}`,
        ...(d.root !== d.path ? [`GET ${d.root.url}: ${notMetadata(d.root)}`] : []),
      ];
      return fail(`no way to find it: ${why.join("; ")}`);
    }
    return pass(`found through ${ways.join(", ")}`);
  },
};

// Read from the official TypeScript SDK's history: 1.12.0 to 1.15.x try only the root
// URL when the 401 carries no resource_metadata; 1.16.0 and later (and v2) try the
// path-suffixed URL, then the root. No client is known to try only the path-suffixed one.
const ROOT_ONLY_CLIENTS =
  "clients built on the official TypeScript SDK 1.12 to 1.15, which try only the root URL when the 401 has no resource_metadata";

export const prmPath: Probe = {
  id: "prm.path",
  title: "Protected resource metadata at the path-suffixed URL",
  ...RULES.prmDiscovery(),
  async run(ctx) {
    const d = await ctx.discovery();
    if (d.path === d.root)
      return notMetadata(d.path)
        ? warn(`GET ${d.path.url}: ${notMetadata(d.path)} (the endpoint is at the root: this is the only well-known URL)`)
        : pass(`the endpoint is at the root: ${d.path.url} is the only well-known URL`);
    const problem = notMetadata(d.path);
    if (!problem) return pass(`GET ${d.path.url}: 200 JSON`);
    return warn(
      `GET ${d.path.url}: ${problem}. Clients that do not use the 401's resource_metadata try this URL first, then the root; ` +
        `no client is known to us that tries only this URL, but it is the form RFC 9728 §3.1 defines, and serving it saves clients a failed request`,
    );
  },
};

export const prmRoot: Probe = {
  id: "prm.root",
  title: "Protected resource metadata at the root URL",
  ...RULES.prmDiscovery(),
  async run(ctx) {
    const d = await ctx.discovery();
    if (d.path === d.root) throw new Skip("the endpoint is at the root: see prm.path");
    const problem = notMetadata(d.root);
    if (!problem) return pass(`GET ${d.root.url}: 200 JSON`);
    const header = headerWay(d);
    if (!header.problem) {
      return pass(
        `GET ${d.root.url}: ${problem}, which is fine: the 401's resource_metadata names ${header.url}, and the clients known to try only the root (${ROOT_ONLY_CLIENTS}) read it first`,
      );
    }
    return warn(`GET ${d.root.url}: ${problem}, and ${header.problem}: ${ROOT_ONLY_CLIENTS}, cannot find the metadata`);
  },
};

async function requirePrm(ctx: CheckContext): Promise<ProtectedResourceMetadata> {
  const { prm } = await ctx.discovery();
  if (!prm) throw new Skip("no protected resource metadata (see prm.discovery)");
  return prm;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
const show = (values: string[]): string => values.map((v) => oneLine(v, 120)).join(", ");

export const prmFields: Probe = {
  id: "prm.fields",
  title: "Protected resource metadata fields",
  ...RULES.prmLocation(),
  async run(ctx) {
    const prm = await requirePrm(ctx);
    const problems: string[] = [];
    if (typeof prm.resource !== "string") problems.push(`"resource" is missing`);
    const as = prm.authorization_servers;
    if (!isStringArray(as) || as.length === 0) problems.push(`"authorization_servers" must be a non-empty array of URLs`);
    else {
      for (const entry of as) {
        const problem = authorizationServerProblem(entry);
        if (problem) problems.push(`"authorization_servers" entry ${oneLine(entry, 120)} ${problem}`);
      }
    }
    const bearer = prm.bearer_methods_supported;
    if (bearer !== undefined && !(isStringArray(bearer) && bearer.includes("header"))) {
      problems.push(`"bearer_methods_supported" does not include "header"`);
    }
    if (isStringArray(bearer) && bearer.includes("query"))
      problems.push(`"bearer_methods_supported" offers "query" (MCP forbids tokens in the URI)`);
    if (problems.length) return fail(problems.join("; "));
    const scopes = prm.scopes_supported;
    if (!isStringArray(scopes) || scopes.length === 0) {
      return warn(`no "scopes_supported": clients cannot tell which scopes to request`);
    }
    return pass(`authorization_servers: ${show(as as string[])}; scopes_supported: ${oneLine(scopes.join(" "), 160)}`);
  },
};

/** Why `resource` does not fit the endpoint, or undefined when it does. */
export function resourceMismatch(resource: string, endpoint: URL, endpointAsGiven: string): string | undefined {
  const shown = oneLine(resource, 120);
  if (resource.endsWith("/") && resource !== endpointAsGiven) {
    return `"resource" ${shown} ends with a slash (a URL's .href adds one): the official client refuses it unless it matches exactly`;
  }
  let r: URL;
  try {
    r = new URL(resource);
  } catch {
    return `"resource" ${shown} is not a URL`;
  }
  if (r.origin !== endpoint.origin) return `"resource" ${shown} is not on the endpoint's origin ${endpoint.origin}`;
  if (r.hash) return `"resource" ${shown} has a fragment (RFC 8707 §2)`;
  const prefix = r.pathname.replace(/\/+$/, "");
  const path = endpoint.pathname;
  if (!(path === prefix || path.startsWith(`${prefix}/`) || prefix === "")) {
    return `"resource" ${shown} is not a prefix of the endpoint path ${path} ("Protected resource ... does not match expected ...")`;
  }
  return undefined;
}

export const prmResource: Probe = {
  id: "prm.resource",
  title: "Resource identifier matches the endpoint",
  ...RULES.canonicalUri(),
  async run(ctx) {
    const d = await ctx.discovery();
    const docs = [d.header, d.path, d.root].filter(
      (x, i, all): x is FetchedDocument<ProtectedResourceMetadata> => !!x?.doc && all.indexOf(x) === i,
    );
    if (docs.length === 0) throw new Skip("no protected resource metadata (see prm.discovery)");
    for (const doc of docs) {
      const resource = doc.doc!.resource;
      if (typeof resource !== "string") return fail(`${doc.url} has no "resource"`);
      const why = resourceMismatch(resource, ctx.url, ctx.endpoint);
      if (why) return fail(why);
    }
    const resources = [...new Set(docs.map((x) => x.doc!.resource as string))];
    if (resources.length > 1) return warn(`the documents name different resources: ${show(resources)}`);
    return pass(`"resource" ${oneLine(resources[0]!, 120)} covers ${ctx.endpoint}`);
  },
};

export const prmCors: Probe = {
  id: "prm.cors",
  title: "Protected resource metadata readable cross-origin",
  ...RULES.cors(),
  async run(ctx) {
    const d = await ctx.discovery();
    const doc = [d.header, d.path, d.root].find((x) => x?.doc);
    if (!doc) throw new Skip("no protected resource metadata (see prm.discovery)");
    if (!doc.response!.headers.get("access-control-allow-origin")) {
      return warn(`GET ${doc.url} from Origin ${PROBE_ORIGIN}: no Access-Control-Allow-Origin, so browser-based clients cannot read it`);
    }
    const pre = await request(doc.url, {
      method: "OPTIONS",
      timeoutMs: ctx.timeoutMs,
      headers: {
        Origin: PROBE_ORIGIN,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "mcp-protocol-version",
      },
    });
    if (!isSuccess(pre)) return fail(`OPTIONS ${doc.url} (preflight): HTTP ${pre.status}, though GET allows Origin ${PROBE_ORIGIN}`);
    if (!pre.headers.get("access-control-allow-origin"))
      return fail(`OPTIONS ${doc.url} (preflight): no Access-Control-Allow-Origin, though GET has one`);
    const allowed = (pre.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    if (
      allowed !== "*" &&
      !allowed
        .split(",")
        .map((h) => h.trim())
        .includes("mcp-protocol-version")
    ) {
      return warn(`preflight does not allow MCP-Protocol-Version, which the official client sends on discovery (it retries without)`);
    }
    return pass(`GET and OPTIONS answer with Access-Control-Allow-Origin`);
  },
};

export const discoveryProbes = [prmDiscovery, prmPath, prmRoot, prmFields, prmResource, prmCors];
