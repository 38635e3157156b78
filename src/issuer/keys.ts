/** RS256 signing keys: the current key, the published JWKS, rotation, a standby key and an "unknown" key. */
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicJwk: { ...jwk, kid, use: "sig", alg: "RS256" } };
}

export class KeyStore {
  /** Published keys, current key last. */
  private keys: SigningKey[] = [];
  private unknown: Promise<SigningKey> | undefined;
  private standby: Promise<SigningKey> | undefined;
  /** The standby key once it exists: published from then on, whatever rotations follow. */
  private standbyPublished: SigningKey | undefined;

  static async create(): Promise<KeyStore> {
    const store = new KeyStore();
    store.keys.push(await newKey());
    return store;
  }

  get current(): SigningKey {
    return this.keys[this.keys.length - 1]!;
  }

  /** A key that is never published in the JWKS (created once, lazily). */
  unknownKey(): Promise<SigningKey> {
    this.unknown ??= newKey();
    return this.unknown;
  }

  /**
   * A second published key that never becomes the current one, created on
   * first use and published from then on. A server that sees it first in a
   * token must refetch the key set; once it has, the key stays known, so a
   * check that uses it leaves nothing to refetch for the next run.
   */
  standbyKey(): Promise<SigningKey> {
    this.standby ??= newKey().then((key) => (this.standbyPublished = key));
    return this.standby;
  }

  async rotate(keepOld = true): Promise<string> {
    const key = await newKey();
    this.keys = keepOld ? [...this.keys, key] : [key];
    return key.kid;
  }

  jwks(): { keys: JWK[] } {
    // Current key first: naive clients that take keys[0] get the right one. The standby key last.
    const published = [...this.keys].reverse();
    if (this.standbyPublished) published.push(this.standbyPublished);
    return { keys: published.map((k) => ({ ...k.publicJwk })) };
  }
}
