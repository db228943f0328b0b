import { readStateFile, writeStateFile } from '../stateFile';

/** How long a deleted secret stays recoverable: Key Vault's default soft-delete retention. */
export const RECOVERABLE_DAYS = 90;
const DAY_SECONDS = 24 * 60 * 60;

/** One version of a secret; times are Unix seconds, as Key Vault's wire format has them. */
export interface SecretVersionRecord {
  /** 32 lowercase hex characters. */
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  notBefore?: number;
  expires?: number;
  created: number;
  updated: number;
}

/** The attributes and metadata an update may change; the value of a version never changes. */
export type SecretVersionChanges = Partial<Pick<SecretVersionRecord, 'contentType' | 'tags' | 'enabled' | 'notBefore' | 'expires'>>;

export interface DeletionRecord {
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface SecretRecord {
  /** The spelling of the first `SetSecret`; lookups ignore case. */
  name: string;
  /** Oldest first; the last one is the current version. */
  versions: SecretVersionRecord[];
  /** Set while the secret is soft-deleted (all its versions with it). */
  deletion?: DeletionRecord;
}

export type DeletedSecretRecord = SecretRecord & { deletion: DeletionRecord };

interface PersistedState {
  secrets: SecretRecord[];
}

/**
 * The vault's secrets and their lifecycle (versions, soft delete, purge), independent of HTTP.
 * With a state file, every change is written through, so the vault survives the emulator that held it.
 */
export class SecretStore {
  private readonly secrets = new Map<string, SecretRecord>();

  constructor(
    private readonly nowSeconds: () => number,
    private readonly stateFile?: string,
  ) {}

  /** Replaces what is held with the state file's content, when there is one. */
  load(): void {
    const state = this.stateFile ? readStateFile<PersistedState>(this.stateFile) : undefined;
    if (!state) return;
    this.secrets.clear();
    for (const secret of state.secrets) this.secrets.set(secret.name.toLowerCase(), secret);
  }

  /** A secret that is not deleted. */
  active(name: string): SecretRecord | undefined {
    const secret = this.secrets.get(name.toLowerCase());
    return secret && !secret.deletion ? secret : undefined;
  }

  /** A soft-deleted secret whose retention has not run out; one that has is purged on the way, as Key Vault would have. */
  deleted(name: string): DeletedSecretRecord | undefined {
    const secret = this.secrets.get(name.toLowerCase());
    if (!secret?.deletion) return undefined;
    if (secret.deletion.scheduledPurgeDate <= this.nowSeconds()) {
      this.purge(name);
      return undefined;
    }
    return secret as DeletedSecretRecord;
  }

  /** Active secrets ordered by name. */
  listActive(): SecretRecord[] {
    return [...this.secrets.entries()]
      .filter(([, secret]) => !secret.deletion)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, secret]) => secret);
  }

  /** Adds a version that becomes the current one, creating the secret on its first version. */
  addVersion(name: string, version: SecretVersionRecord): SecretRecord {
    const key = name.toLowerCase();
    const secret = this.secrets.get(key) ?? { name, versions: [] };
    secret.versions.push(version);
    this.secrets.set(key, secret);
    this.save();
    return secret;
  }

  updateVersion(version: SecretVersionRecord, changes: SecretVersionChanges): void {
    Object.assign(version, changes, { updated: this.nowSeconds() });
    this.save();
  }

  softDelete(secret: SecretRecord): DeletedSecretRecord {
    const deletedDate = this.nowSeconds();
    secret.deletion = { deletedDate, scheduledPurgeDate: deletedDate + RECOVERABLE_DAYS * DAY_SECONDS };
    this.save();
    return secret as DeletedSecretRecord;
  }

  purge(name: string): void {
    this.secrets.delete(name.toLowerCase());
    this.save();
  }

  private save(): void {
    if (!this.stateFile) return;
    const state: PersistedState = { secrets: [...this.secrets.values()] };
    writeStateFile(this.stateFile, state);
  }
}
