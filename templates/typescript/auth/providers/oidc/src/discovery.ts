import { parseHttpsUrl } from "./env.js";

interface Settings {
  /** Deadline of one metadata request. Default 5 s. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** Retry delays after failed discoveries: 1 s, doubling up to a minute. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/**
 * Finds the authorization server's metadata: RFC 8414 first, then OpenID
 * Connect Discovery, each in the path-inserted and path-appended forms the MCP
 * specification (2026-07-28) lists. The document's `issuer` must be the
 * configured one. Started at boot and retried in the background until it
 * answers; failures are logged with the URLs tried.
 */
export class AuthorizationServerDiscovery {
  private found: string | undefined;
  private attempt: Promise<string> | undefined;
  private retryMs = FIRST_RETRY_MS;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly issuer: string,
    settings: Settings = {},
  ) {
    this.timeoutMs = settings.timeoutMs ?? 5_000;
    this.log = settings.log ?? ((line) => console.error(line));
  }

  /** Starts discovering, and keeps retrying until it works. */
  start(): void {
    this.discover().catch(() => this.retryLater());
  }

  /** The key set URL; rejects while the metadata has not been read. */
  async jwksUri(): Promise<string> {
    if (this.found) return this.found;
    return this.attempt ?? Promise.reject(new Error(`the metadata of ${this.issuer} has not been read yet (retrying)`));
  }

  /** The metadata URLs to try, in order. */
  static metadataUrls(issuer: string): string[] {
    const url = new URL(issuer);
    const path = url.pathname.replace(/\/+$/, "");
    return [
      `${url.origin}/.well-known/oauth-authorization-server${path}`,
      `${url.origin}${path}/.well-known/openid-configuration`,
      ...(path
        ? [`${url.origin}/.well-known/openid-configuration${path}`, `${url.origin}${path}/.well-known/oauth-authorization-server`]
        : []),
    ];
  }

  private discover(): Promise<string> {
    this.attempt ??= this.tryAll().finally(() => {
      this.attempt = undefined;
    });
    return this.attempt;
  }

  private retryLater(): void {
    const timer = setTimeout(() => this.start(), this.retryMs);
    timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  private async tryAll(): Promise<string> {
    const problems: string[] = [];
    for (const url of AuthorizationServerDiscovery.metadataUrls(this.issuer)) {
      try {
        const jwksUri = await this.read(url);
        this.found = jwksUri;
        this.log(`[auth] authorization server metadata read from ${url}`);
        return jwksUri;
      } catch (error) {
        problems.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const message = `cannot read the metadata of the authorization server ${this.issuer} (OIDC_ISSUER_URL); tried ${problems.join("; ")}. Tokens are refused until it answers; retrying.`;
    this.log(`[auth] ${message}`);
    throw new Error(message);
  }

  private async read(url: string): Promise<string> {
    const response = await fetch(url, { headers: { Accept: "application/json" }, signal: AbortSignal.timeout(this.timeoutMs) });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${response.status}`);
    }
    const doc = (await response.json().catch(() => undefined)) as { issuer?: unknown; jwks_uri?: unknown } | undefined;
    if (typeof doc !== "object" || doc === null) throw new Error("not a JSON object");
    // RFC 8414 section 3.3 and OpenID Connect Discovery 4.3: the issuer must be the one asked for.
    if (typeof doc.issuer !== "string" || doc.issuer.replace(/\/$/, "") !== this.issuer.replace(/\/$/, "")) {
      throw new Error(`its issuer is ${JSON.stringify(doc.issuer)}, not ${this.issuer}`);
    }
    if (typeof doc.jwks_uri !== "string") throw new Error("it has no jwks_uri");
    return parseHttpsUrl("jwks_uri", doc.jwks_uri, "https://auth.example.com/keys").href;
  }
}
