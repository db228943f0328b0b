import type { AccessTokenVersion } from './accessTokenClaims';

/** What `npm run token` was asked for; options not given are absent (not `undefined`), so spreading them over defaults keeps the defaults. */
export interface TokenArgs {
  roles: string[];
  audience?: string;
  lifetimeSeconds?: number;
  version?: AccessTokenVersion;
  /** A user's delegated token (`scp`, a user `oid`) instead of an application's. */
  delegated?: true;
  /** The delegated token's scopes; only with `delegated`. */
  scopes?: string[];
}

export type ParsedTokenArgs = { ok: true; options: TokenArgs } | { ok: false; message: string };

export const TOKEN_USAGE =
  'usage: npm run token -- --roles A,B [--audience X] [--lifetime 3600] [--version 1|2] [--delegated [--scopes access_as_user,...]]';

/** Entra's longest configurable access-token lifetime. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

const OPTIONS = ['roles', 'audience', 'lifetime', 'version', 'scopes', 'delegated'] as const;
type OptionName = (typeof OPTIONS)[number];
/** Options that are switches: present or not, no value. */
const FLAGS: ReadonlySet<OptionName> = new Set(['delegated']);

/** A comma-separated list of values without spaces (Entra's role and scope values have none), or undefined when mistyped. */
function valueList(text: string): string[] | undefined {
  const items = text.split(',').map((item) => item.trim());
  return items.some((item) => item === '' || /\s/.test(item)) ? undefined : items;
}

/**
 * Parses the arguments after `npm run token --`. Options take `--name value` or `--name=value`;
 * `--help` answers the usage alone, any problem answers it after the problem.
 */
export function parseTokenArgs(argv: readonly string[]): ParsedTokenArgs {
  const values = new Map<OptionName, string>();
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    if (argument === '--help' || argument === '-h') return { ok: false, message: TOKEN_USAGE };
    const option = /^--(?<name>[a-z]+)(?:=(?<inline>.*))?$/s.exec(argument);
    const name = OPTIONS.find((known) => known === option?.groups?.name);
    if (!option || !name) return usageError(`unexpected argument '${argument}'`);
    if (values.has(name)) return usageError(`--${name} given more than once`);
    let value = option.groups?.inline;
    if (FLAGS.has(name)) {
      if (value !== undefined) return usageError(`--${name} takes no value`);
      values.set(name, '');
      continue;
    }
    if (value === undefined) {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--')) return usageError(`--${name} needs a value`);
      value = next;
      index += 1;
    }
    values.set(name, value);
  }

  const roles = values.get('roles');
  if (roles === undefined) return usageError('--roles is required');
  const roleList = valueList(roles);
  if (roleList === undefined) return usageError(`--roles must be a comma-separated list of role values without spaces, got '${roles}'`);
  const options: TokenArgs = { roles: roleList };

  const audience = values.get('audience');
  if (audience !== undefined) {
    if (audience.trim() === '') return usageError('--audience must not be empty');
    options.audience = audience;
  }

  const lifetime = values.get('lifetime');
  if (lifetime !== undefined) {
    const seconds = /^\d+$/.test(lifetime) ? Number(lifetime) : NaN;
    if (!(seconds >= 1 && seconds <= MAX_TOKEN_LIFETIME_SECONDS)) {
      return usageError(`--lifetime must be a whole number of seconds from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}, got '${lifetime}'`);
    }
    options.lifetimeSeconds = seconds;
  }

  const version = values.get('version');
  if (version !== undefined) {
    if (version !== '1' && version !== '2') return usageError(`--version must be 1 or 2, got '${version}'`);
    options.version = version === '1' ? 1 : 2;
  }

  if (values.has('delegated')) options.delegated = true;
  const scopes = values.get('scopes');
  if (scopes !== undefined) {
    if (!options.delegated) return usageError('--scopes applies only with --delegated');
    const scopeList = valueList(scopes);
    if (scopeList === undefined)
      return usageError(`--scopes must be a comma-separated list of scope values without spaces, got '${scopes}'`);
    options.scopes = scopeList;
  }
  return { ok: true, options };
}

function usageError(problem: string): ParsedTokenArgs {
  return { ok: false, message: `${problem}\n${TOKEN_USAGE}` };
}
