/**
 * The verdicts a report opens with: one line per class of failure (what a
 * user must fix first), from the failing probes. Every failing probe falls in
 * exactly one class; a class with no failing probe says nothing.
 */
import type { ProbeResult } from "./types.js";

interface VerdictClass {
  /** Which failing probes belong to the class (the first class that takes a probe keeps it). */
  takes(id: string): boolean;
  /** The one line, given the failing probes' ids. */
  says(ids: string[]): string;
}

const FORGED = new Set([
  "token.tampered-signature",
  "token.alg-none",
  "token.hs256-public-key",
  "token.unsigned",
  "token.truncated-signature",
  "token.unknown-key",
]);
const list = (ids: string[]): string => ids.join(", ");

const CLASSES: VerdictClass[] = [
  {
    takes: (id) => FORGED.has(id),
    says: (ids) => `Accepts unverified tokens: anyone can forge a token it takes (${list(ids)}).`,
  },
  {
    takes: (id) => id === "token.wrong-audience" || id === "token.sibling-audience",
    says: (ids) => `Wrong audience accepted: a token issued for another resource opens this server (${list(ids)}).`,
  },
  {
    takes: (id) => id === "token.wrong-issuer",
    says: (ids) => `Accepts tokens from another issuer (${list(ids)}).`,
  },
  {
    takes: (id) => ["token.expired", "token.not-yet-valid", "token.no-exp"].includes(id),
    says: (ids) => `Accepts tokens outside their lifetime: expired, not yet valid or without exp (${list(ids)}).`,
  },
  {
    takes: (id) => id.startsWith("scope."),
    says: (ids) =>
      `No per-tool scopes: a token without a tool's scope is not refused with 403 insufficient_scope as it must be (${list(ids)}).`,
  },
  {
    takes: (id) => id.startsWith("prm.") || id.startsWith("as.") || id.startsWith("challenge."),
    says: (ids) => `Clients cannot discover how to authorize: metadata or challenges are missing or wrong (${list(ids)}).`,
  },
  {
    takes: (id) => id.startsWith("era.") || id === "mcp.fresh-connection" || id === "token.valid" || id === "token.rotated-key",
    says: (ids) => `Valid tokens do not get through: clients with a good token cannot use the server (${list(ids)}).`,
  },
  {
    takes: (id) => id.startsWith("flow."),
    says: (ids) => `The OAuth flow a real client runs fails (${list(ids)}).`,
  },
  {
    takes: (id) => id.startsWith("token."),
    says: (ids) => `Malformed credentials are mishandled: a bad Authorization header is not a clean 401 (${list(ids)}).`,
  },
  {
    takes: (id) => id.startsWith("cors."),
    says: (ids) => `Browser-based clients cannot connect (${list(ids)}).`,
  },
  {
    takes: (id) => id === "issuer.reachable",
    says: () => "The --issuer given cannot mint tokens this server accepts: the probes that need it did not run (issuer.reachable).",
  },
];

/** One line per class of failure, in the order of CLASSES; the headline (unprotected) first when there is one. */
export function verdictsFor(results: readonly ProbeResult[], headline?: string): string[] {
  // The headline (unprotected) is challenge.no-token's verdict.
  const failing = results.filter((r) => r.status === "fail" && !(headline && r.id === "challenge.no-token")).map((r) => r.id);
  const byClass = new Map<VerdictClass, string[]>();
  const unclassed: string[] = [];
  for (const id of failing) {
    const cls = CLASSES.find((c) => c.takes(id));
    if (cls) byClass.set(cls, [...(byClass.get(cls) ?? []), id]);
    else unclassed.push(id);
  }
  const lines = headline ? [headline] : [];
  for (const cls of CLASSES) {
    const ids = byClass.get(cls);
    const line = ids && cls.says(ids);
    if (line) lines.push(line);
  }
  if (unclassed.length) lines.push(`Other failures (${list(unclassed)}).`);
  return lines;
}
