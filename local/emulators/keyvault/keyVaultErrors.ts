import type { EmulatorResponse } from '../httpsEmulator';

/** Key Vault's error envelope; `innererror` narrows a generic code (e.g. `Forbidden` → `SecretDisabled`). */
export interface KeyVaultErrorBody {
  error: {
    code: string;
    message: string;
    innererror?: { code: string };
  };
}

export function keyVaultError(code: string, message: string, innerCode?: string): KeyVaultErrorBody {
  return { error: { code, message, ...(innerCode ? { innererror: { code: innerCode } } : {}) } };
}

export function keyVaultErrorResponse(
  status: number,
  code: string,
  message: string,
  extra: { headers?: Record<string, string>; innerCode?: string } = {},
): EmulatorResponse {
  return { status, headers: extra.headers ?? {}, body: keyVaultError(code, message, extra.innerCode) };
}

export function badParameter(message: string): EmulatorResponse {
  return keyVaultErrorResponse(400, 'BadParameter', message);
}

/** The same answer for an unknown name, an unknown version and a deleted secret, as Key Vault gives. */
export function secretNotFound(name: string, version?: string): EmulatorResponse {
  const id = version ? `${name}/${version}` : name;
  return keyVaultErrorResponse(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${id} was not found in this key vault. ` +
      'If you recently deleted this secret you may be able to recover it using the correct recovery command. ' +
      'For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182',
  );
}

export function deletedSecretNotFound(name: string): EmulatorResponse {
  return keyVaultErrorResponse(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
}

/** Key Vault answers every throttled request with this code, whichever limit was reached. */
export function throttledError(): KeyVaultErrorBody {
  return keyVaultError(
    'Throttled',
    'Request was not processed because too many requests were received. Reason: A generic throttling limit was reached. ' +
      'For more information, see https://aka.ms/kv-throttling',
  );
}
