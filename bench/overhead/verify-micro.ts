// Cost of one token verification, without HTTP: the generated verifier
// (createVerifier: jose + RemoteKeySet + its verified-token cache) vs the peer's
// jose verifier, plus what the Scalekit SDK does per call (createLocalJWKSet +
// jwtVerify: the public key is imported again every call).
// Run from a generated project (run.mjs does not run this; for the analysis):
//   cp bench/overhead/verify-micro.ts <project>/src/ && cd <project> &&
//   SCALEKIT_ENVIRONMENT_URL=<issuer url> node --import tsx src/verify-micro.ts
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import { loadConfig } from "./auth/config.js";
import { createVerifier } from "./auth/provider.js";

const env = process.env.SCALEKIT_ENVIRONMENT_URL!;
const config = loadConfig({
  SCALEKIT_ENVIRONMENT_URL: env,
  SCALEKIT_RESOURCE_ID: "res_local",
  MCP_SERVER_URL: "http://127.0.0.1:3000/mcp",
});
const res = await fetch(`${env}/_dev/mint`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ audience: [config.resourceUrl, "res_local"], scopes: ["todo:read", "todo:write"] }),
});
const { token } = (await res.json()) as { token: string };
const keys = (await (await fetch(`${env}/keys`)).json()) as JSONWebKeySet;
const N = Number(process.env.N ?? 3000);

async function time(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 300; i++) await fn();
  const t = performance.now();
  for (let i = 0; i < N; i++) await fn();
  const us = ((performance.now() - t) * 1000) / N;
  console.log(`${name.padEnd(62)} ${us.toFixed(1).padStart(7)} us/verify`);
  return us;
}

const generated = createVerifier(config);
const uncached = createVerifier(config, { cacheTtlMs: 0 });
const remote = createRemoteJWKSet(new URL(`${env}/keys`));
const local = createLocalJWKSet(keys);
const opts = { issuer: config.provider.issuers, audience: config.provider.audiences };
for (let pass = 0; pass < 2; pass++) {
  console.log(`-- pass ${pass + 1}`);
  await time("generated verifier (token remembered after the first call)", () => generated.verify(token));
  await time("generated verifier, cache off", () => uncached.verify(token));
  await time("peer: jose jwtVerify + createRemoteJWKSet (key cached)", () => jwtVerify(token, remote, opts));
  await time("jose jwtVerify + one createLocalJWKSet (key cached)", () => jwtVerify(token, local, opts));
  await time("Scalekit SDK way: new createLocalJWKSet per call + jwtVerify", () => jwtVerify(token, createLocalJWKSet(keys), opts));
}
