/**
 * Validation of every answer, whether it came from a flag, an environment
 * variable or a prompt. Each function returns an error message (what is wrong
 * and what to do) or undefined.
 */

import { isLoopbackHost, SCOPE_TOKEN } from "../oauth-syntax.js";
import { canWriteEnvValue } from "./literals.js";

export interface Problem {
  /** The flag that sets the value, e.g. `--server-url`. */
  flag: string;
  message: string;
}

const NPM_NAME = /^(?:@[a-z0-9-*~][a-z0-9-*._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const RESERVED_NAMES = new Set(["node_modules", "favicon.ico"]);

export function validatePackageName(name: string): string | undefined {
  if (name.length === 0) return "the package name is empty";
  if (name.length > 214) return "a package name has at most 214 characters";
  if (RESERVED_NAMES.has(name)) return `${shown(name)} is a reserved name`;
  if (name.trim() !== name) return "a package name cannot start or end with spaces";
  if (!NPM_NAME.test(name)) {
    return `${shown(name)} is not a valid npm package name (lowercase letters, digits, - . _ ~; it cannot start with . or _); try ${shown(toValidPackageName(name))}`;
  }
  return undefined;
}

export function toValidPackageName(name: string): string {
  const fixed = name
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "-")
    .replace(/^[._]+/, "")
    .replace(/[^a-z0-9-~]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return fixed || "mcp-server";
}

const SCOPE_MAX = 200;

export function parseScopes(input: string): { scopes: string[]; error?: string } {
  const scopes = input.split(/[\s,]+/).filter(Boolean);
  if (scopes.length === 0) return { scopes, error: "give at least one scope, e.g. todo:read,todo:write" };
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) {
      return {
        scopes,
        error: `${shown(scope)} is not a valid OAuth scope (RFC 6749 3.3: printable ASCII without spaces, " or \\), e.g. todo:read`,
      };
    }
  }
  const seen = new Set<string>();
  for (const scope of scopes) {
    if (seen.has(scope)) return { scopes, error: `scope ${shown(scope)} is listed twice` };
    seen.add(scope);
  }
  if (scopes.length > 50) return { scopes, error: "at most 50 scopes" };
  const long = scopes.find((scope) => scope.length > SCOPE_MAX);
  if (long) return { scopes, error: `scope ${shown(long)} is longer than ${SCOPE_MAX} characters` };
  return { scopes };
}

export interface UrlRules {
  /** What the URL is, for messages: "the server URL". */
  what: string;
  /** An example of the right kind, for the message when the value is not a URL (default: a server URL). */
  example?: string;
  /** Refuse plain http unless the host is loopback (OAuth 2.1 requires TLS). */
  httpsUnlessLoopback: boolean;
  /**
   * For values written into a project: no query (a server URL with one does
   * not start; an issuer identifier has none), and written exactly as URLs
   * are compared (the WHATWG form, e.g. a lower-case host, no default port,
   * no `..` segment, punycode), so the value in `.env` is the URL clients,
   * tokens and the server all see.
   */
  exact?: boolean;
}

const URL_MAX = 2048;

export function validateUrl(value: string, rules: UrlRules): string | undefined {
  const what = rules.what;
  if (value.length > URL_MAX) return `${what} is longer than ${URL_MAX} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${what} ${shown(value)} is not an absolute URL; e.g. ${rules.example ?? "https://example.com/mcp"}`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `${what} must use https (or http on localhost), not ${url.protocol.replace(":", "")}`;
  }
  if (url.hash || value.includes("#")) return `${what} cannot contain a fragment (#...)`;
  if (url.username || url.password || /^[a-z]+:\/\/[^/?#]*@/i.test(value)) return `${what} cannot contain a user name or password`;
  if (rules.httpsUnlessLoopback && url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    return `${what} must use https: plain http is only allowed for localhost / 127.0.0.1 (the MCP authorization spec requires TLS)`;
  }
  if (rules.exact) {
    if (url.search || value.includes("?")) return `${what} cannot contain a query (?...): the server refuses to start with one`;
    if (/[\x00-\x20\x7f]/.test(value)) return `${what} cannot contain spaces or control characters`;
    if (withoutTrailingSlash(url.href) !== withoutTrailingSlash(value)) {
      return `${what} ${shown(value)} is not written the way URLs are compared; write it as ${shown(withoutTrailingSlash(url.href))}`;
    }
    if (!canWriteEnvValue(value)) return `${what} ${shown(value)} cannot be written to .env exactly`;
  }
  return undefined;
}

/** Removes one trailing slash, as `resource` must have none (new URL() adds one to a bare origin). */
export function withoutTrailingSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}

export function parsePort(value: string): { port: number; error?: string } {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { port: NaN, error: `port "${value}" must be a whole number from 1 to 65535, e.g. 3000` };
  }
  return { port };
}

export function validateClientId(value: string): string | undefined {
  if (!/^[\x21-\x7E]{1,256}$/.test(value)) return `client id ${shown(value)} must be 1-256 printable ASCII characters without spaces`;
  if (!canWriteEnvValue(value)) return `client id ${shown(value)} holds ', \`, " and # together: .env cannot hold it exactly`;
  return undefined;
}

const SECRET_MAX = 4096;

export function validateSecret(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return "the client secret cannot contain a line break";
  if (/[\x00-\x1f\x7f]/.test(value)) return "the client secret cannot contain control characters";
  if (value.length > SECRET_MAX) return `the client secret is longer than ${SECRET_MAX} characters`;
  if (!canWriteEnvValue(value)) {
    return "the client secret holds ', ` and \" (or a backslash-n sequence) and starts with a quote, holds #, or starts or ends with a space: .env cannot hold it exactly; set it in the server's real environment instead";
  }
  return undefined;
}

/**
 * A user value inside a message: JSON-quoted with everything outside
 * printable ASCII escaped (a control character must not reach the terminal),
 * and shortened.
 */
export function shown(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(short).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
