import { readFileSync } from 'node:fs';
import path from 'node:path';

const hostJson = JSON.parse(readFileSync(path.join(__dirname, '../../host.json'), 'utf8'));

describe('host.json', () => {
  it('never samples away traces (audit events are trace lines) or requests in Application Insights', () => {
    const excluded = String(hostJson.logging.applicationInsights.samplingSettings.excludedTypes).split(';');
    expect(excluded).toEqual(expect.arrayContaining(['Request', 'Trace']));
  });
});
