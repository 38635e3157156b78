import { createLocalJWKSet, errors, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters } from "jose";

export interface KeySetOptions {
  /**
   * Least time between two fetches caused by a key id the set does not have,
   * and between a failed fetch and the next one, whatever caused them. Default 10 s.
   */
  cooldownMs?: number;
  /** Deadline of one whole fetch: connecting, the headers and the body. Default 5 s. */
  timeoutMs?: number;
  /** Largest key set accepted, in bytes. Default 256 kB. */
  maxBytes?: number;
  /** Once the set is this old, the next use fetches it again in the background, retiring removed keys. Default 10 min. */
  refreshIntervalMs?: number;
  /** Where operational errors go (never token content). Default console.error. */
  log?: (line: string) => void;
  /** The clock, for tests. */
  now?: () => number;
}

export class KeysUnavailableError extends Error {
  override name = "KeysUnavailableError";
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;

/**
 * The authorization server's signing keys (a JWKS), fetched and kept up to
 * date in one place:
 * - the last good set is kept until a new one has loaded; a failed or empty
 *   fetch never replaces it;
 * - a key id the set lacks triggers at most one fetch per cooldown, whether
 *   that fetch works or not, so a flood of forged key ids cannot hammer the
 *   authorization server or lock anyone out;
 * - a fetch has a deadline covering the body, and a size limit, so a slow or
 *   huge answer cannot stall authentication;
 * - concurrent callers share one fetch;
 * - the set is refreshed in the background every `refreshIntervalMs`.
 * Tokens signed with a key the current set has never wait on a fetch.
 */
export class RemoteKeySet {
  /** Incremented whenever a new set replaces the old one (caches of verified tokens compare it). */
  version = 0;
  /** Fetches started, successful or not (tests, diagnostics). */
  fetches = 0;
  private local: LocalSet | undefined;
  private keyIds: string[] = [];
  private loadedAt = Number.NEGATIVE_INFINITY;
  private lastUnknownKeyFetch = Number.NEGATIVE_INFINITY;
  private lastFailure = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;
  private lastError: string | undefined;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly refreshIntervalMs: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;

  /** `uri`: the JWKS URL, or a function that finds it (OpenID discovery); it may reject until it can. */
  constructor(
    private readonly uri: string | (() => Promise<string>),
    options: KeySetOptions = {},
  ) {
    this.cooldownMs = options.cooldownMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024;
    this.refreshIntervalMs = options.refreshIntervalMs ?? 600_000;
    this.log = options.log ?? ((line) => console.error(line));
    this.now = options.now ?? Date.now;
  }

  /** The key for a token's protected header, as jose's `jwtVerify` asks for it. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    if (!this.local) {
      await this.refresh(false);
      if (!this.local) throw new KeysUnavailableError(`signing keys unavailable: ${this.lastError ?? "not loaded yet"}`);
    } else if (this.now() - this.loadedAt >= this.refreshIntervalMs) {
      void this.refresh(false);
    }
    try {
      return await this.local(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      await this.refresh(true);
      return this.local(header, token);
    }
  };

  /** What the set holds now, for logs and tests. */
  state() {
    return { keyIds: [...this.keyIds], loadedAt: this.loadedAt, fetches: this.fetches, lastError: this.lastError };
  }

  /**
   * Fetches the set again, unless a fetch is running (then waits for it), the
   * last fetch failed less than a cooldown ago, or (for an unknown key id) the
   * last such fetch started less than a cooldown ago. Never rejects: on
   * failure the old set stays and the error is logged.
   */
  private refresh(forUnknownKey: boolean): Promise<void> {
    if (this.pending) return this.pending;
    const now = this.now();
    if (now - this.lastFailure < this.cooldownMs) return Promise.resolve();
    if (forUnknownKey && now - this.lastUnknownKeyFetch < this.cooldownMs) return Promise.resolve();
    if (forUnknownKey) this.lastUnknownKeyFetch = now;
    this.fetches += 1;
    this.pending = this.fetchSet()
      .then((set) => {
        this.local = createLocalJWKSet(set);
        this.keyIds = set.keys.map((key) => key.kid ?? "(no kid)");
        this.loadedAt = this.now();
        this.lastError = undefined;
        this.version += 1;
      })
      .catch((error: unknown) => {
        this.lastFailure = this.now();
        this.lastError = error instanceof Error ? error.message : String(error);
        this.log(`[auth] cannot load signing keys: ${this.lastError}${this.local ? " (keeping the previous key set)" : ""}`);
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async fetchSet(): Promise<JSONWebKeySet> {
    const uri = typeof this.uri === "string" ? this.uri : await this.uri();
    const signal = AbortSignal.timeout(this.timeoutMs);
    let text: string;
    try {
      const response = await fetch(uri, { headers: { Accept: "application/jwk-set+json, application/json" }, signal });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        throw new Error(`${uri} answered HTTP ${response.status}`);
      }
      text = await readLimited(response, this.maxBytes, uri);
    } catch (error) {
      if (signal.aborted) throw new Error(`${uri} did not answer within ${this.timeoutMs} ms`);
      throw error;
    }
    let set: unknown;
    try {
      set = JSON.parse(text);
    } catch {
      throw new Error(`${uri} did not answer with JSON`);
    }
    const keys = (set as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new Error(`${uri} is not a JSON Web Key Set (no "keys" array)`);
    if (keys.length === 0) throw new Error(`${uri} holds no keys`);
    return set as JSONWebKeySet;
  }
}

/** The body as text, refusing more than `maxBytes` (checked while reading, not only by Content-Length). */
async function readLimited(response: Response, maxBytes: number, uri: string): Promise<string> {
  const tooLarge = new Error(`${uri} answered with more than ${maxBytes} bytes`);
  if (Number(response.headers.get("content-length")) > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
