import { MAX_TOKEN_LIFETIME_SECONDS, parseTokenArgs, TOKEN_USAGE } from '../../../../../local/emulators/issuer/tokenArgs';

describe('parseTokenArgs', () => {
  it('reads roles alone, leaving the other options absent so defaults survive a spread', () => {
    const parsed = parseTokenArgs(['--roles', 'Broker.Gateway.Mint,Broker.Rotate']);
    expect(parsed).toEqual({ ok: true, options: { roles: ['Broker.Gateway.Mint', 'Broker.Rotate'] } });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(Object.keys(parsed.options)).toEqual(['roles']);
  });

  it('reads every option, in either the separate or the inline form', () => {
    expect(parseTokenArgs(['--roles=A,B', '--audience', 'api://token-broker', '--lifetime=600', '--version', '1'])).toEqual({
      ok: true,
      options: { roles: ['A', 'B'], audience: 'api://token-broker', lifetimeSeconds: 600, version: 1 },
    });
    expect(parseTokenArgs(['--version=2', '--roles', 'A'])).toEqual({ ok: true, options: { roles: ['A'], version: 2 } });
  });

  it('reads --delegated as a switch, and --scopes with it', () => {
    expect(parseTokenArgs(['--delegated', '--roles', 'A'])).toEqual({ ok: true, options: { roles: ['A'], delegated: true } });
    expect(parseTokenArgs(['--roles', 'A', '--delegated', '--scopes', 'User.Read, access_as_user'])).toEqual({
      ok: true,
      options: { roles: ['A'], delegated: true, scopes: ['User.Read', 'access_as_user'] },
    });
  });

  it('trims the spaces around role values', () => {
    expect(parseTokenArgs(['--roles', ' A , B '])).toEqual({ ok: true, options: { roles: ['A', 'B'] } });
  });

  it('answers --help with the usage alone', () => {
    expect(parseTokenArgs(['--roles', 'A', '--help'])).toEqual({ ok: false, message: TOKEN_USAGE });
  });

  it.each([
    [[], '--roles is required'],
    [['--audience', 'x'], '--roles is required'],
    [['--roles'], '--roles needs a value'],
    [['--roles', '--audience', 'x'], '--roles needs a value'],
    [['--roles', 'A,,B'], '--roles must be a comma-separated list'],
    [['--roles', 'A,Two Words'], '--roles must be a comma-separated list'],
    [['--roles', 'A', '--roles', 'B'], '--roles given more than once'],
    [['--roles', 'A', 'extra'], "unexpected argument 'extra'"],
    [['--roles', 'A', '--scope', 'x'], "unexpected argument '--scope'"],
    [['--roles', 'A', '--audience', ' '], '--audience must not be empty'],
    [['--roles', 'A', '--lifetime', '0'], '--lifetime must be a whole number of seconds'],
    [['--roles', 'A', '--lifetime', '-5'], '--lifetime must be a whole number of seconds'],
    [['--roles', 'A', '--lifetime', '1.5'], '--lifetime must be a whole number of seconds'],
    [['--roles', 'A', '--lifetime', String(MAX_TOKEN_LIFETIME_SECONDS + 1)], '--lifetime must be a whole number of seconds'],
    [['--roles', 'A', '--version', '3'], '--version must be 1 or 2'],
    [['--roles', 'A', '--version', '2.0'], '--version must be 1 or 2'],
    [['--roles', 'A', '--delegated=yes'], '--delegated takes no value'],
    [['--roles', 'A', '--delegated', '--delegated'], '--delegated given more than once'],
    [['--roles', 'A', '--scopes', 'access_as_user'], '--scopes applies only with --delegated'],
    [['--roles', 'A', '--delegated', '--scopes', 'a,,b'], '--scopes must be a comma-separated list'],
    [['--roles', 'A', '--delegated', '--scopes'], '--scopes needs a value'],
  ])('refuses %j with a usage error', (argv, problem) => {
    const parsed = parseTokenArgs(argv);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toContain(problem);
    expect(parsed.message.endsWith(TOKEN_USAGE)).toBe(true);
  });

  it('accepts the longest lifetime Entra allows', () => {
    expect(parseTokenArgs(['--roles', 'A', '--lifetime', String(MAX_TOKEN_LIFETIME_SECONDS)])).toEqual({
      ok: true,
      options: { roles: ['A'], lifetimeSeconds: MAX_TOKEN_LIFETIME_SECONDS },
    });
  });
});
