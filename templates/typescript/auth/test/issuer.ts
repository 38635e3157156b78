import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

interface Key {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface MintOptions {
  sub?: string;
  clientId?: string;
  /** Written as both `scope` (space string) and `scopes` (array), unless `scopeClaim` says otherwise. */
  scopes?: string[];
  scopeClaim?: "both" | "scope" | "scopes" | "scp";
  audience?: string | string[];
  issuer?: string;
  /** Seconds from now; negative: expired; null: no exp claim. */
  expiresIn?: number | null;
  /** Seconds from now. */
  notBefore?: number;
  /** "other": a key the key set does not know, under the current kid (a bad signature). */
  key?: "current" | "other" | "es256";
  kid?: string;
  typ?: string;
  claims?: Record<string, unknown>;
}

/**
 * A tiny authorization server for the tests, offline: its signing keys at
 * `/keys` (what Scalekit serves at `{env}/keys`) and its metadata at both
 * well-known URLs (what an OpenID provider serves), with switches to make it
 * fail in the ways a real one can.
 */
export class TestIssuer {
  keysRequests = 0;
  metadataRequests = 0;
  /** When set, GET /keys answers with this HTTP status instead of the key set. */
  failWith: number | undefined;
  /** When set, the metadata documents answer with this HTTP status. */
  metadataFailWith: number | undefined;
  /** Delay before answering GET /keys, in milliseconds. */
  delayMs = 0;
  /** When set, GET /keys sends its body one byte per this many milliseconds. */
  trickleMs: number | undefined;
  /** When set, GET /keys answers 200 with this body instead of the key set. */
  keysBody: string | undefined;
  private published: Key[] = [];
  private current!: Key;
  private other!: Key;
  private es256!: Key;
  private server!: Server;
  url = "";

  static async start(port = 0): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    issuer.current = await newKey("key-1", "RS256");
    issuer.other = await newKey("key-1", "RS256");
    issuer.es256 = await newKey("key-es", "ES256");
    issuer.published = [issuer.current, issuer.es256];
    issuer.server = createServer(async (req, res) => {
      if (req.url === "/.well-known/oauth-authorization-server" || req.url === "/.well-known/openid-configuration") {
        issuer.metadataRequests += 1;
        if (issuer.metadataFailWith) return void res.writeHead(issuer.metadataFailWith).end();
        res.writeHead(200, { "Content-Type": "application/json" });
        return void res.end(
          JSON.stringify({
            issuer: issuer.url,
            jwks_uri: `${issuer.url}/keys`,
            authorization_endpoint: `${issuer.url}/authorize`,
            token_endpoint: `${issuer.url}/token`,
          }),
        );
      }
      if (req.url !== "/keys") return void res.writeHead(404).end();
      issuer.keysRequests += 1;
      if (issuer.delayMs) await new Promise((resolve) => setTimeout(resolve, issuer.delayMs));
      if (issuer.failWith) return void res.writeHead(issuer.failWith).end();
      const body = issuer.keysBody ?? JSON.stringify({ keys: issuer.published.map((k) => k.jwk) });
      res.writeHead(200, { "Content-Type": "application/json" });
      if (issuer.trickleMs === undefined) return void res.end(body);
      for (const byte of body) {
        if (res.destroyed) return;
        res.write(byte);
        await new Promise((resolve) => setTimeout(resolve, issuer.trickleMs));
      }
      res.end();
    });
    issuer.server.listen(port, "127.0.0.1");
    await once(issuer.server, "listening");
    issuer.url = `http://127.0.0.1:${(issuer.server.address() as AddressInfo).port}`;
    return issuer;
  }

  /** Signs with a new key from now on and publishes it; the old key stays published only with keepOld. */
  async rotate({ keepOld = false } = {}): Promise<void> {
    const next = await newKey(`key-${Date.now()}-${Math.random().toString(36).slice(2)}`, "RS256");
    this.published = keepOld ? [...this.published, next] : [next];
    this.current = next;
  }

  async mint(o: MintOptions & { audience: string | string[] }): Promise<string> {
    const key = o.key === "other" ? this.other : o.key === "es256" ? this.es256 : this.current;
    const now = Math.floor(Date.now() / 1000);
    const scopes = o.scopes ?? [];
    const claims: Record<string, unknown> = { client_id: o.clientId ?? "client-test" };
    const claim = o.scopeClaim ?? "both";
    if (claim === "both" || claim === "scope") claims.scope = scopes.join(" ");
    if (claim === "both" || claim === "scopes") claims.scopes = scopes;
    if (claim === "scp") claims.scp = scopes;
    const jwt = new SignJWT({ ...claims, ...o.claims })
      .setProtectedHeader({ alg: key.alg, kid: o.kid ?? key.kid, typ: o.typ ?? "at+jwt" })
      .setIssuer(o.issuer ?? this.url)
      .setAudience(o.audience)
      .setSubject(o.sub ?? "user-123")
      .setIssuedAt(now)
      .setNotBefore(now + (o.notBefore ?? 0))
      .setJti(Math.random().toString(36).slice(2));
    if (o.expiresIn !== null) jwt.setExpirationTime(now + (o.expiresIn ?? 300));
    return jwt.sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function newKey(kid: string, alg: "RS256" | "ES256"): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, jwk };
}
