/** The authorization server named by the PRM: its metadata (RFC 8414), its issuer, PKCE, and how clients register. */
import type { CheckContext } from "../context.js";
import { oneLine } from "../http.js";
import type { AuthorizationServerMetadata } from "../metadata.js";
import { fail, type Probe, pass, Skip, warn } from "../probe.js";
import { RULES } from "../rules.js";

async function requireMetadata(ctx: CheckContext): Promise<AuthorizationServerMetadata> {
  const lookup = await ctx.authServer();
  if (!lookup?.found?.doc) throw new Skip("no authorization server metadata (see as.metadata)");
  return lookup.found.doc;
}

export const asMetadata: Probe = {
  id: "as.metadata",
  title: "Authorization server metadata is reachable",
  ...RULES.asDiscovery(),
  async run(ctx) {
    const { prm } = await ctx.discovery();
    if (!prm) throw new Skip("no protected resource metadata (see prm.discovery)");
    const lookup = await ctx.authServer();
    if (!lookup) throw new Skip("no usable authorization_servers entry (see prm.fields)");
    const found = lookup.found;
    if (!found?.doc) return fail(`no metadata for ${oneLine(lookup.authorizationServer, 120)} at ${lookup.tried.join(", ")}`);
    const doc = found.doc;
    const missing = ["issuer", "authorization_endpoint", "token_endpoint"].filter((k) => typeof doc[k] !== "string");
    if (missing.length) return fail(`${found.url} lacks ${missing.join(", ")}`);
    if (!lookup.sdkFindsIt) return warn(`found only at ${found.url}, a URL the official MCP client does not try`);
    return pass(`found at ${found.url}`);
  },
};

/** RFC 8414 §3.3 as the official v2 client applies it: identical, or the authorization server URL minus its final slash. */
export function issuerMatches(authorizationServer: string, issuer: string): boolean {
  return issuer === authorizationServer || (authorizationServer.endsWith("/") && issuer === authorizationServer.slice(0, -1));
}

export const asIssuer: Probe = {
  id: "as.issuer",
  title: "The metadata's issuer is the authorization server it was fetched for",
  ...RULES.asIssuer(),
  async run(ctx) {
    const doc = await requireMetadata(ctx);
    const lookup = (await ctx.authServer())!;
    if (typeof doc.issuer !== "string") throw new Skip("the metadata has no issuer (see as.metadata)");
    if (!issuerMatches(lookup.authorizationServer, doc.issuer)) {
      return fail(
        `${lookup.found!.url} names issuer ${oneLine(doc.issuer, 120)}, not ${oneLine(lookup.authorizationServer, 120)} (the authorization_servers entry): 2026-07-28 clients must not use it`,
      );
    }
    return pass(`issuer ${oneLine(doc.issuer, 120)}`);
  },
};

export const asPkce: Probe = {
  id: "as.pkce",
  title: "Authorization server supports PKCE S256",
  ...RULES.pkce(),
  async run(ctx) {
    const methods = (await requireMetadata(ctx)).code_challenge_methods_supported;
    if (!Array.isArray(methods)) return fail(`no code_challenge_methods_supported: MCP clients must refuse to proceed`);
    if (!methods.includes("S256")) return fail(`code_challenge_methods_supported is [${oneLine(methods.join(", "), 120)}], without S256`);
    return pass(`code_challenge_methods_supported includes S256`);
  },
};

export const asRegistration: Probe = {
  id: "as.registration",
  title: "Clients can register without a human",
  ...RULES.registration(),
  async run(ctx) {
    const doc = await requireMetadata(ctx);
    const ways: string[] = [];
    if (doc.client_id_metadata_document_supported === true) ways.push("client ID metadata documents");
    if (typeof doc.registration_endpoint === "string") ways.push(`dynamic registration at ${oneLine(doc.registration_endpoint, 120)}`);
    if (ways.length === 0) {
      return warn("neither registration_endpoint nor client_id_metadata_document_supported: only pre-registered clients can connect");
    }
    return pass(ways.join("; "));
  },
};

export const authServerProbes = [asMetadata, asIssuer, asPkce, asRegistration];
