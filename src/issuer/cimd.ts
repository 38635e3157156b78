/**
 * Fetching a client ID metadata document without becoming a port scanner.
 *
 * The issuer runs next to a developer's browser, and any page can make it fetch
 * a URL (a navigation to /oauth/authorize with client_id=<url>). So a document
 * is fetched only from an https host whose every address is public; loopback
 * (http or https) only when the issuer was started with allowLocal; private,
 * link-local and unique-local never. The host is resolved once, every address
 * checked, and the connection made to the checked address (a pinned lookup), so
 * a DNS answer that changes between check and connect changes nothing.
 * Redirects are refused; the whole fetch has a deadline and a size limit.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { isLoopbackHost } from "../oauth-syntax.js";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all of its addresses (tests inject one; default: the system resolver). */
export type Lookup = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export interface CimdPolicy {
  /** Allow loopback hosts (http or https), for a developer's own documents. */
  allowLocal: boolean;
  lookup: Lookup;
}

/** Why a document URL was refused or could not be fetched. Logged for the developer, never sent to the caller. */
export class CimdFetchError extends Error {
  override name = "CimdFetchError";
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Everything that is not a public unicast address. IPv4-mapped IPv6 addresses match the IPv4 rules. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local (cloud metadata services)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["::", 96], // IPv4-compatible (deprecated)
  ["64:ff9b::", 96], // NAT64: may reach any IPv4 address, loopback included
  ["64:ff9b:1::", 48],
  ["100::", 64], // discard
  ["2001::", 23], // IETF protocol assignments (Teredo, ...)
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: embeds an IPv4 address
  ["fc00::", 7], // unique-local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, "ipv6");
}

export type AddressClass = "public" | "loopback" | "private";

/** public, loopback, or private (any other non-public range: private, link-local, unique-local, reserved). */
export function classifyAddress(ip: string): AddressClass {
  const family = isIP(ip);
  if (family === 0) return "private";
  const type = family === 6 ? "ipv6" : "ipv4";
  if (LOOPBACK.check(ip, type)) return "loopback";
  return NOT_PUBLIC.check(ip, type) ? "private" : "public";
}

const bare = (hostname: string): string => hostname.replace(/^\[|\]$/g, "");

/**
 * Resolves the URL's host and returns the one address to connect to, or throws
 * CimdFetchError. Every address must be acceptable, not just the first.
 */
export async function checkedAddress(url: URL, policy: CimdPolicy): Promise<ResolvedAddress> {
  const https = url.protocol === "https:";
  if (!https && url.protocol !== "http:") throw new CimdFetchError(`scheme ${url.protocol} is not allowed`);
  const host = bare(url.hostname);
  const loopbackName = isLoopbackHost(host);
  if (!https && !(policy.allowLocal && loopbackName)) {
    throw new CimdFetchError(
      policy.allowLocal ? "http is allowed only for loopback hosts" : "plain http is not allowed (loopback http needs --allow-local-cimd)",
    );
  }
  const family = isIP(host);
  let addresses: ResolvedAddress[];
  if (family !== 0) {
    addresses = [{ address: host, family: family === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await policy.lookup(host);
    } catch (e) {
      throw new CimdFetchError(`the host did not resolve (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (addresses.length === 0) throw new CimdFetchError("the host resolved to no address");
  const classes = addresses.map((a) => classifyAddress(a.address));
  const allPublic = classes.every((c) => c === "public");
  const allLoopback = classes.every((c) => c === "loopback");
  if (https && allPublic && !loopbackName) return addresses[0]!;
  if (policy.allowLocal && allLoopback) return addresses[0]!;
  const list = addresses.map((a) => a.address).join(", ");
  if (allLoopback) throw new CimdFetchError(`the host is loopback (${list}); start the issuer with --allow-local-cimd to allow it`);
  throw new CimdFetchError(`the host resolves to a non-public address (${list})`);
}

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
}

/** GET url, connecting only to `address`; 200 with a body within the limit, or CimdFetchError. */
export function fetchPinned(url: URL, address: ResolvedAddress, limits: FetchLimits): Promise<string> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  };
  const host = bare(url.hostname);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, text?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(text!);
    };
    const req = request(
      {
        protocol: url.protocol,
        hostname: host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: { Accept: "application/json" },
        lookup: pinned,
        agent: false,
        ...(url.protocol === "https:" && isIP(host) === 0 ? { servername: host } : {}),
      },
      (res: IncomingMessage) => {
        if (res.statusCode !== 200) return finish(new CimdFetchError(`HTTP ${res.statusCode} (redirects are not followed)`));
        const declared = Number(res.headers["content-length"]);
        if (Number.isFinite(declared) && declared > limits.maxBytes) return finish(new CimdFetchError("the document is too large"));
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) finish(new CimdFetchError("the document is too large"));
          else chunks.push(chunk);
        });
        res.on("end", () => finish(undefined, Buffer.concat(chunks).toString("utf8")));
        res.on("error", (e) => finish(new CimdFetchError(e.message)));
      },
    );
    const deadline = setTimeout(() => finish(new CimdFetchError(`no complete answer within ${limits.timeoutMs} ms`)), limits.timeoutMs);
    req.on("error", (e) => finish(new CimdFetchError(e.message)));
    req.end();
  });
}
