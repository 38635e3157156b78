/** A running local issuer reached over HTTP through its development endpoints (/_dev/*). */
import type { MintOptions } from "../issuer/types.js";
import { oneLine, parseJsonObject, request } from "./http.js";
import type { IssuerHandle } from "./types.js";

async function devCall(base: string, path: string, timeoutMs: number, body?: unknown): Promise<Record<string, unknown>> {
  const url = new URL(path, base).href;
  const r = await request(url, {
    method: body === undefined ? "GET" : "POST",
    timeoutMs,
    headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = parseJsonObject(r.text);
  if (r.status !== 200 || !json) throw new Error(`${url} answered HTTP ${r.status}: ${oneLine(r.text, 120)}`);
  return json;
}

/** Reads GET /_dev/info; fails with a clear message when the URL is not a local issuer. */
export async function connectIssuer(issuerUrl: string, timeoutMs: number): Promise<IssuerHandle> {
  const base = issuerUrl.replace(/\/+$/, "");
  const info = await devCall(base, "/_dev/info", timeoutMs);
  const { issuer, resourceId } = info;
  if (typeof issuer !== "string" || typeof resourceId !== "string") {
    throw new Error(`${base}/_dev/info has no "issuer" and "resourceId": is this a create-mcp-auth issuer?`);
  }
  const url = typeof info.url === "string" ? info.url : base;
  return {
    url,
    issuer,
    resourceId,
    authorizationServer: typeof info.authorizationServer === "string" ? info.authorizationServer : issuer,
    async mint(o: MintOptions = {}) {
      const { token } = await devCall(base, "/_dev/mint", timeoutMs, o);
      if (typeof token !== "string") throw new Error(`${base}/_dev/mint answered without a token`);
      return token;
    },
  };
}
