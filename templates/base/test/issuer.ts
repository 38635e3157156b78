import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface MintOptions {
  sub?: string;
  clientId?: string;
  /** Written as both `scope` (space string) and `scopes` (array), unless `scopeClaim` says otherwise. */
  scopes?: string[];
  scopeClaim?: "both" | "scope" | "scopes";
  audience?: string | string[];
  issuer?: string;
  /** Seconds from now; negative: expired; null: no exp claim. */
  expiresIn?: number | null;
  /** Seconds from now. */
  notBefore?: number;
  /** "other": a key the JWKS does not know, under the current kid (a bad signature). */
  key?: "current" | "other";
  kid?: string;
}

/** A tiny JWKS server standing in for Scalekit's `GET {env}/keys`, offline. */
export class TestIssuer {
  keysRequests = 0;
  /** When set, GET /keys answers with this HTTP status instead of the key set. */
  failWith: number | undefined;
  /** Delay before answering GET /keys, in milliseconds. */
  delayMs = 0;
  private published: Key[] = [];
  private current!: Key;
  private other!: Key;
  private server!: Server;
  url = "";

  static async start(port = 0): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    issuer.current = await newKey("key-1");
    issuer.other = await newKey("key-1");
    issuer.published = [issuer.current];
    issuer.server = createServer(async (req, res) => {
      if (req.url !== "/keys") return void res.writeHead(404).end();
      issuer.keysRequests += 1;
      if (issuer.delayMs) await new Promise((resolve) => setTimeout(resolve, issuer.delayMs));
      if (issuer.failWith) return void res.writeHead(issuer.failWith).end();
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ keys: issuer.published.map((k) => k.jwk) }));
    });
    issuer.server.listen(port, "127.0.0.1");
    await once(issuer.server, "listening");
    issuer.url = `http://127.0.0.1:${(issuer.server.address() as AddressInfo).port}`;
    return issuer;
  }

  /** Signs with a new key from now on and publishes it; the old key stays published only with keepOld. */
  async rotate({ keepOld = false } = {}): Promise<void> {
    const next = await newKey(`key-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    this.published = keepOld ? [...this.published, next] : [next];
    this.current = next;
  }

  async mint(resourceId: string, o: MintOptions = {}): Promise<string> {
    const key = o.key === "other" ? this.other : this.current;
    const now = Math.floor(Date.now() / 1000);
    const scopes = o.scopes ?? [];
    const claims: Record<string, unknown> = { client_id: o.clientId ?? "client-test" };
    if (o.scopeClaim !== "scopes") claims.scope = scopes.join(" ");
    if (o.scopeClaim !== "scope") claims.scopes = scopes;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: o.kid ?? key.kid, typ: "JWT" })
      .setIssuer(o.issuer ?? this.url)
      .setAudience(o.audience ?? [resourceId])
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

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return { kid, privateKey, jwk };
}
