import { calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair, type JWK, type KeyLike } from 'jose';

export const SIGNING_ALGORITHM = 'RS256';

/** One RSA key pair as the issuer publishes and uses it. */
export interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  /** The JWKS entry: `{kty, use, kid, n, e, alg}`. */
  publicJwk: JWK;
  publicKeyPem: string;
}

export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048 });
  const { kty, n, e } = await exportJWK(publicKey);
  // The RFC 7638 thumbprint makes the kid stable for the key and unique across keys, as Entra's
  // certificate-thumbprint kids are.
  const kid = await calculateJwkThumbprint({ kty, n, e });
  return {
    kid,
    privateKey,
    publicJwk: { kty, use: 'sig', kid, n, e, alg: SIGNING_ALGORITHM },
    publicKeyPem: await exportSPKI(publicKey),
  };
}

/** The published keys, oldest first; the newest signs unless a caller names another. */
export class SigningKeyRing {
  private readonly keys: SigningKey[] = [];

  add(key: SigningKey): void {
    this.keys.push(key);
  }

  remove(kid: string): boolean {
    const index = this.keys.findIndex((key) => key.kid === kid);
    if (index < 0) return false;
    this.keys.splice(index, 1);
    return true;
  }

  /** The named key, or the newest; throws when there is none, since nothing could verify the token. */
  signingKey(kid?: string): SigningKey {
    const key = kid === undefined ? this.keys.at(-1) : this.keys.find((candidate) => candidate.kid === kid);
    if (!key)
      throw new Error(kid === undefined ? 'The local issuer has no signing key left' : `The local issuer publishes no key with kid ${kid}`);
    return key;
  }

  publicJwks(): JWK[] {
    return this.keys.map((key) => ({ ...key.publicJwk }));
  }
}
