/**
 * Probes that run against any server: no issuer, no token. Written out by hand,
 * in the order check runs them, so a probe that stops running (or starts
 * needing an issuer) fails the check tests.
 */
export const ANY_SERVER = [
  "prm.discovery",
  "prm.path",
  "prm.root",
  "prm.fields",
  "prm.resource",
  "prm.cors",
  "challenge.no-token",
  "challenge.invalid-token",
  "challenge.query-token",
  "cors.mcp",
  "as.metadata",
  "as.issuer",
  "as.pkce",
  "as.registration",
  "token.tampered-signature",
  "token.alg-none",
  "token.hs256-public-key",
  "token.unsigned",
  "token.truncated-signature",
  "token.malformed",
  "token.empty-bearer",
  "token.basic-scheme",
  "token.oversized",
  "scope.offline-access",
];
