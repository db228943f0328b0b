import type { SecretVersionChanges } from './secretStore';

/** Key Vault's documented limits ("About Azure Key Vault secrets"). */
export const SECRET_NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
/** "A maximum size of 25k bytes", counted on the UTF-8 encoding of the value. */
export const MAX_SECRET_VALUE_BYTES = 25 * 1024;
const MAX_CONTENT_TYPE_LENGTH = 255;
const MAX_TAGS = 15;
const MAX_TAG_NAME_LENGTH = 256;
const MAX_TAG_VALUE_LENGTH = 256;
/** The largest page `maxresults` may ask for; also the page size when it is not given. */
const MAX_PAGE_SIZE = 25;

/** A checked request value, or the sentence Key Vault's `BadParameter` error would carry. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export interface SecretSetParameters {
  value: string;
  changes: SecretVersionChanges;
}

/** The body of `SetSecret`: a value plus the same optional metadata an update takes. */
export function checkSetSecretBody(rawBody: Buffer): Checked<SecretSetParameters> {
  const body = parseJsonObject(rawBody);
  if (!body.ok) return body;
  const { value } = body.value;
  if (typeof value !== 'string') return invalid("Property 'value' is required and must be a string.");
  // Key Vault rejects an oversized value as an invalid parameter (400), not as an oversized request (413):
  // the limit is on the secret, and the request around it may be larger.
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_VALUE_BYTES) {
    return invalid(`The secret value exceeds the maximum allowed size of ${MAX_SECRET_VALUE_BYTES} bytes.`);
  }
  const changes = checkMetadata(body.value);
  return changes.ok ? { ok: true, value: { value, changes: changes.value } } : changes;
}

/** The body of `UpdateSecret`: only what it names changes. */
export function checkUpdateSecretBody(rawBody: Buffer): Checked<SecretVersionChanges> {
  const body = parseJsonObject(rawBody);
  return body.ok ? checkMetadata(body.value) : body;
}

/** `maxresults`: absent, or a whole number from 1 to 25. */
export function checkMaxResults(raw: string | undefined): Checked<number> {
  if (raw === undefined) return { ok: true, value: MAX_PAGE_SIZE };
  const pageSize = Number(raw);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    return invalid(`Invalid maxresults: '${raw}'. It must be an integer from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return { ok: true, value: pageSize };
}

function checkMetadata(body: Record<string, unknown>): Checked<SecretVersionChanges> {
  const changes: SecretVersionChanges = {};
  const { contentType, tags, attributes } = body;

  if (contentType !== undefined && contentType !== null) {
    if (typeof contentType !== 'string') return invalid("Property 'contentType' must be a string.");
    if (contentType.length > MAX_CONTENT_TYPE_LENGTH) {
      return invalid(`Property 'contentType' exceeds the maximum length of ${MAX_CONTENT_TYPE_LENGTH} characters.`);
    }
    changes.contentType = contentType;
  }

  if (tags !== undefined && tags !== null) {
    const checkedTags = checkTags(tags);
    if (!checkedTags.ok) return checkedTags;
    changes.tags = checkedTags.value;
  }

  if (attributes !== undefined && attributes !== null) {
    if (!isObject(attributes)) return invalid("Property 'attributes' must be an object.");
    const { enabled, nbf, exp } = attributes;
    if (enabled !== undefined && enabled !== null) {
      if (typeof enabled !== 'boolean') return invalid("Attribute 'enabled' must be a boolean.");
      changes.enabled = enabled;
    }
    for (const [field, raw] of [
      ['notBefore', nbf],
      ['expires', exp],
    ] as const) {
      if (raw === undefined || raw === null) continue;
      if (typeof raw !== 'number' || !Number.isInteger(raw)) {
        return invalid(`Attribute '${field === 'notBefore' ? 'nbf' : 'exp'}' must be a whole number of seconds since the Unix epoch.`);
      }
      changes[field] = raw;
    }
  }
  return { ok: true, value: changes };
}

function checkTags(tags: unknown): Checked<Record<string, string>> {
  if (!isObject(tags)) return invalid("Property 'tags' must be an object of string values.");
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) return invalid(`Too many tags: ${entries.length}. A secret can have at most ${MAX_TAGS} tags.`);
  for (const [name, value] of entries) {
    if (typeof value !== 'string') return invalid(`Tag '${name}' must have a string value.`);
    if (name.length > MAX_TAG_NAME_LENGTH) return invalid(`Tag name '${name}' exceeds ${MAX_TAG_NAME_LENGTH} characters.`);
    if (value.length > MAX_TAG_VALUE_LENGTH) return invalid(`The value of tag '${name}' exceeds ${MAX_TAG_VALUE_LENGTH} characters.`);
  }
  return { ok: true, value: tags as Record<string, string> };
}

function parseJsonObject(rawBody: Buffer): Checked<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return invalid('The request body is not valid JSON.');
  }
  return isObject(parsed) ? { ok: true, value: parsed } : invalid('The request body must be a JSON object.');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
