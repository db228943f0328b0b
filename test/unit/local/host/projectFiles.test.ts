import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRoutePrefix } from '../../../../local/host/hostJson';
import { expandMainGlob, functionFilesFromPackageMain } from '../../../../local/host/mainGlob';

let project: string;

beforeEach(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'local-host-'));
});

afterEach(() => {
  fs.rmSync(project, { recursive: true, force: true });
});

function write(relativePath: string, content = ''): void {
  const file = path.join(project, relativePath);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

describe('package.json main expansion', () => {
  it('expands a file-name wildcard to the sorted matching files only', () => {
    write('dist/functions/token.js');
    write('dist/functions/health.js');
    write('dist/functions/health.js.map');
    write('dist/functions/nested/inner.js');
    write('package.json', JSON.stringify({ main: 'dist/functions/*.js' }));
    const expected = ['health.js', 'token.js'].map((name) => path.join(project, 'dist/functions', name));
    expect(expandMainGlob('dist/functions/*.js', project)).toEqual(expected);
    expect(functionFilesFromPackageMain(project)).toEqual(expected);
  });

  it('accepts a plain file', () => {
    write('dist/index.js');
    expect(expandMainGlob('dist/index.js', project)).toEqual([path.join(project, 'dist/index.js')]);
  });

  it('fails loudly when nothing matches, or on wildcards in directories', () => {
    expect(() => expandMainGlob('dist/functions/*.js', project)).toThrow(/matches no file .* \(was the project built\?\)/);
    expect(() => expandMainGlob('dist/index.js', project)).toThrow(/does not exist/);
    expect(() => expandMainGlob('dist/*/index.js', project)).toThrow(/wildcards are supported in the file name only/);
    write('package.json', '{}');
    expect(() => functionFilesFromPackageMain(project)).toThrow(/has no "main"/);
  });
});

describe('host.json route prefix', () => {
  const prefixOf = (hostJson: unknown) => {
    write('host.json', JSON.stringify(hostJson));
    return readRoutePrefix(path.join(project, 'host.json'));
  };

  it('reads extensions.http.routePrefix, keeping an empty prefix', () => {
    expect(prefixOf({ version: '2.0', extensions: { http: { routePrefix: 'api' } } })).toBe('api');
    expect(prefixOf({ version: '2.0', extensions: { http: { routePrefix: '' } } })).toBe('');
    expect(prefixOf({ version: '2.0', extensions: { http: { routePrefix: '/broker/v1/' } } })).toBe('broker/v1');
  });

  it('defaults to api', () => {
    expect(prefixOf({ version: '2.0' })).toBe('api');
  });

  it('refuses a prefix that is not a string', () => {
    expect(() => prefixOf({ extensions: { http: { routePrefix: 1 } } })).toThrow(/routePrefix must be a string/);
  });

  it("reads this project's host.json", () => {
    expect(readRoutePrefix(path.join(__dirname, '../../../../host.json'))).toBe('api');
  });
});
