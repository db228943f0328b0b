import { consoleHostLog, type HostLog, invocationLogHandler } from '../../../../local/host/hostLog';

describe('host log', () => {
  it('writes [level] source: message lines, problems to stderr', () => {
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      consoleHostLog('information', 'health', 'checked');
      consoleHostLog('warning', 'host', 'careful');
      consoleHostLog('error', 'token', 'failed');
      consoleHostLog('none', 'token', 'never printed');
      expect(stdout.mock.calls).toEqual([['[information] health: checked\n']]);
      expect(stderr.mock.calls).toEqual([['[warning] host: careful\n'], ['[error] token: failed\n']]);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });

  it('formats context.log arguments like console.log', () => {
    const lines: Parameters<HostLog>[] = [];
    invocationLogHandler((...line) => lines.push(line), 'token')('warning', 'minted %d for', 2, { gatewayId: 'gw1' });
    expect(lines).toEqual([['warning', 'token', "minted 2 for { gatewayId: 'gw1' }"]]);
  });
});
