/**
 * Validation of every answer, whether it came from a flag, an environment
 * variable or a prompt. Each function returns an error message (what is wrong
 * and what to do) or undefined.
 */

import { isLoopbackHost, SCOPE_TOKEN } from '../oauth-syntax.js';

export interface Problem {
  /** The flag that sets the value, e.g. `--server-url`. */
  flag: string;
  message: string;
}

const NPM_NAME = /^(?:@[a-z0-9-*~][a-z0-9-*._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const RESERVED_NAMES = new Set(['node_modules', 'favicon.ico']);

export function validatePackageName(name: string): string | undefined {
  if (name.length === 0) return 'the package name is empty';
  if (name.length > 214) return 'a package name has at most 214 characters';
  if (RESERVED_NAMES.has(name)) return `"${name}" is a reserved name`;
  if (name.trim() !== name) return 'a package name cannot start or end with spaces';
  if (!NPM_NAME.test(name)) {
    return `"${name}" is not a valid npm package name (lowercase letters, digits, - . _ ~; it cannot start with . or _); try "${toValidPackageName(name)}"`;
  }
  return undefined;
}

export function toValidPackageName(name: string): string {
  const fixed = name
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/^[._]+/, '')
    .replace(/[^a-z0-9-~]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return fixed || 'mcp-server';
}


export function parseScopes(input: string): { scopes: string[]; error?: string } {
  const scopes = input.split(/[\s,]+/).filter(Boolean);
  if (scopes.length === 0) return { scopes, error: 'give at least one scope, e.g. todo:read,todo:write' };
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) {
      return {
        scopes,
        error: `"${scope}" is not a valid OAuth scope (RFC 6749 3.3: printable ASCII without spaces, " or \\), e.g. todo:read`,
      };
    }
  }
  const seen = new Set<string>();
  for (const scope of scopes) {
    if (seen.has(scope)) return { scopes, error: `scope "${scope}" is listed twice` };
    seen.add(scope);
  }
  if (scopes.length > 50) return { scopes, error: 'at most 50 scopes' };
  return { scopes };
}

export interface UrlRules {
  /** What the URL is, for messages: "the server URL". */
  what: string;
  /** Refuse plain http unless the host is loopback (OAuth 2.1 requires TLS). */
  httpsUnlessLoopback: boolean;
}

export function validateUrl(value: string, rules: UrlRules): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${rules.what} "${value}" is not an absolute URL; e.g. https://example.com/mcp`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `${rules.what} must use https (or http on localhost), not ${url.protocol.replace(':', '')}`;
  }
  if (url.hash || value.includes('#')) return `${rules.what} cannot contain a fragment (#...)`;
  if (url.username || url.password) return `${rules.what} cannot contain a user name or password`;
  if (rules.httpsUnlessLoopback && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return `${rules.what} must use https: plain http is only allowed for localhost / 127.0.0.1 (the MCP authorization spec requires TLS)`;
  }
  return undefined;
}

/** Removes one trailing slash, as `resource` must have none (new URL() adds one to a bare origin). */
export function withoutTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

export function parsePort(value: string): { port: number; error?: string } {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { port: NaN, error: `port "${value}" must be a whole number from 1 to 65535, e.g. 3000` };
  }
  return { port };
}

export function validateResourceId(value: string): string | undefined {
  if (/^res_[A-Za-z0-9_-]+$/.test(value)) return undefined;
  if (/^https?:\/\//.test(value)) return validateUrl(value, { what: 'the resource id', httpsUnlessLoopback: true });
  return `resource id "${value}" should look like res_1234567890 (from Scalekit: MCP Servers > your server) or be a URL`;
}

export function validateClientId(value: string): string | undefined {
  if (!/^[\x21-\x7E]{1,256}$/.test(value)) return `client id "${value}" must be 1-256 printable characters without spaces`;
  return undefined;
}

export function validateSecret(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'the client secret cannot contain a line break';
  if (value.includes("'") && value.includes('"') && value.includes('`')) {
    return "the client secret contains ', \" and `: write it into .env by hand";
  }
  return undefined;
}
