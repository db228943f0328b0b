import type { GatewayTokenIdentity } from './tokenIdentity';

/** A token as the cache keeps it: the secret material and when it stops being valid. */
export interface CachedToken {
  value: string;
  expiresOn: Date;
}

/** The durable tier (Key Vault in production) shared by every instance of the app; gateway tokens only. */
export interface TokenStore {
  /** Undefined when nothing is stored; throws when the store cannot answer. */
  read(identity: GatewayTokenIdentity): Promise<CachedToken | undefined>;
  write(identity: GatewayTokenIdentity, token: CachedToken): Promise<void>;
  /** Makes the newest version one that no reader serves: the key behind the stored token was regenerated. */
  retire(identity: GatewayTokenIdentity, at: Date): Promise<void>;
}
