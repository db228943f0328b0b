import { type DeletedSecretRecord, RECOVERABLE_DAYS, type SecretRecord, type SecretVersionRecord } from './secretStore';

/** The vault's deletion policy as every secret reports it: soft delete on, purge protection off. */
const RECOVERY_LEVEL = 'Recoverable+Purgeable';

export interface SecretAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  recoveryLevel: string;
  recoverableDays: number;
}

/** `SecretItem`: what list operations return, never a value. */
export interface SecretItem {
  id: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes: SecretAttributes;
}

/** `SecretBundle`: an item with the value, when the operation returns one. */
export interface SecretBundle extends SecretItem {
  value?: string;
}

export interface DeletedSecretBundle extends SecretBundle {
  recoveryId: string;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export function currentVersion(secret: SecretRecord): SecretVersionRecord {
  const current = secret.versions.at(-1);
  if (!current) throw new Error(`secret ${secret.name} has no versions`);
  return current;
}

/** A version as `GetSecretVersions` lists it: identified with its version. */
export function versionItem(vaultUrl: string, secret: SecretRecord, version: SecretVersionRecord): SecretItem {
  return secretItem(`${vaultUrl}/secrets/${secret.name}/${version.version}`, version);
}

export function secretBundle(vaultUrl: string, secret: SecretRecord, version: SecretVersionRecord, withValue: boolean): SecretBundle {
  return { ...(withValue ? { value: version.value } : {}), ...versionItem(vaultUrl, secret, version) };
}

/** A secret as `GetSecrets` lists it: identified without a version, described by its current one. */
export function latestItem(vaultUrl: string, secret: SecretRecord): SecretItem {
  return secretItem(`${vaultUrl}/secrets/${secret.name}`, currentVersion(secret));
}

/** Deleted secrets are described by their current version, without its value. */
export function deletedSecretBundle(vaultUrl: string, secret: DeletedSecretRecord): DeletedSecretBundle {
  return {
    recoveryId: `${vaultUrl}/deletedsecrets/${secret.name}`,
    deletedDate: secret.deletion.deletedDate,
    scheduledPurgeDate: secret.deletion.scheduledPurgeDate,
    ...secretBundle(vaultUrl, secret, currentVersion(secret), false),
  };
}

function secretItem(id: string, version: SecretVersionRecord): SecretItem {
  return {
    id,
    ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
    ...(version.tags !== undefined ? { tags: version.tags } : {}),
    attributes: {
      enabled: version.enabled,
      ...(version.notBefore !== undefined ? { nbf: version.notBefore } : {}),
      ...(version.expires !== undefined ? { exp: version.expires } : {}),
      created: version.created,
      updated: version.updated,
      recoveryLevel: RECOVERY_LEVEL,
      recoverableDays: RECOVERABLE_DAYS,
    },
  };
}
