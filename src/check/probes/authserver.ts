/** The authorization server named by the PRM: its metadata (RFC 8414), PKCE, and how clients register. */
import type { CheckContext } from "../context.js";
import type { AuthorizationServerMetadata } from "../metadata.js";
import { type Probe, Skip, fail, pass, warn } from "../probe.js";

async function requireMetadata(ctx: CheckContext): Promise<AuthorizationServerMetadata> {
  const lookup = await ctx.authServer();
  if (!lookup?.found?.doc) throw new Skip("no authorization server metadata");
  return lookup.found.doc;
}

export const asMetadata: Probe = {
  id: "as.metadata",
  title: "Authorization server metadata is reachable",
  rule: "RFC 8414 §3; MCP 2025-11-25 authorization: Authorization Server Metadata Discovery",
  async run(ctx) {
    const { prm } = await ctx.discovery();
    if (!prm) throw new Skip("no protected resource metadata");
    const lookup = await ctx.authServer();
    if (!lookup) throw new Skip("no usable authorization_servers entry");
    const found = lookup.found;
    if (!found?.doc) return fail(`no metadata for ${lookup.authorizationServer} at ${lookup.tried.join(", ")}`);
    const doc = found.doc;
    const missing = ["issuer", "authorization_endpoint", "token_endpoint"].filter((k) => typeof doc[k] !== "string");
    if (missing.length) return fail(`${found.url} lacks ${missing.join(", ")}`);
    if (!lookup.sdkFindsIt) return warn(`found only at ${found.url}, a URL the official MCP client does not try`);
    const issuer = String(doc.issuer).replace(/\/+$/, "");
    if (issuer !== lookup.authorizationServer.replace(/\/+$/, "")) {
      return warn(`found at ${found.url}, but its issuer ${doc.issuer} differs from ${lookup.authorizationServer} (RFC 8414 §3.3)`);
    }
    return pass(`found at ${found.url}`);
  },
};

export const asPkce: Probe = {
  id: "as.pkce",
  title: "Authorization server supports PKCE S256",
  rule: "MCP 2025-11-25 authorization: Authorization Code Protection (code_challenge_methods_supported); OAuth 2.1 §4.1.1",
  async run(ctx) {
    const methods = (await requireMetadata(ctx)).code_challenge_methods_supported;
    if (!Array.isArray(methods)) return fail(`no code_challenge_methods_supported: MCP clients must refuse to proceed`);
    if (!methods.includes("S256")) return fail(`code_challenge_methods_supported is [${methods.join(", ")}], without S256`);
    return pass(`code_challenge_methods_supported includes S256`);
  },
};

export const asRegistration: Probe = {
  id: "as.registration",
  title: "Clients can register without a human",
  rule: "MCP 2025-11-25 authorization: Client Registration Approaches (client ID metadata documents, RFC 7591)",
  async run(ctx) {
    const doc = await requireMetadata(ctx);
    const ways: string[] = [];
    if (doc.client_id_metadata_document_supported === true) ways.push("client ID metadata documents");
    if (typeof doc.registration_endpoint === "string") ways.push(`dynamic registration at ${doc.registration_endpoint}`);
    if (ways.length === 0) {
      return warn("neither registration_endpoint nor client_id_metadata_document_supported: only pre-registered clients can connect");
    }
    return pass(ways.join("; "));
  },
};

export const authServerProbes = [asMetadata, asPkce, asRegistration];
