import { loadConfig } from '../../../../shared/config/loadConfig';
import { ConfigurationInvalidError } from '../../../../shared/errors';

const SERVICE_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1';
const base = {
  BROKER_APIM_SERVICES: JSON.stringify({ apimService1: SERVICE_ID }),
  BROKER_LICENSESPRING_API_KEY: 'api-key',
  BROKER_LICENSESPRING_SHARED_KEY: 'shared-key',
  BROKER_AUTH_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  BROKER_AUTH_AUDIENCES: 'api://token-broker',
  BROKER_AUDIT_HMAC_KEY: Buffer.alloc(32, 7).toString('base64'),
};
const withTargets = {
  ...base,
  BROKER_KEY_VAULT_URL: 'https://kv-broker.vault.azure.net',
  AzureWebJobsStorage__blobServiceUri: 'https://stbroker.blob.core.windows.net/',
  BROKER_ROTATION_TARGETS: JSON.stringify([{ service: 'APIMSERVICE1', gatewayId: 'gw1' }]),
};
const DAY = 86_400_000;

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationInvalidError);
    return (error as ConfigurationInvalidError).problems;
  }
  throw new Error('configuration was accepted');
}

describe('rotation settings', () => {
  it('are off without targets, with the documented defaults', () => {
    const { rotation } = loadConfig(base);
    expect(rotation).toMatchObject({
      targets: [],
      rotateBeforeMs: 20 * DAY,
      alertBeforeMs: 10 * DAY,
      staleAfterMs: 3 * 3_600_000,
      regenerateRetiredKey: false,
      retireGraceMs: 7 * DAY,
      revokeEnabled: true,
    });
    expect(rotation.schedule.expression).toBe('0 0 * * * *');
    expect(rotation.storage).toBeUndefined();
  });

  it('resolve targets against the services, publish to the cache vault by default, keep leases in AzureWebJobsStorage', () => {
    const { rotation } = loadConfig(withTargets);
    expect(rotation.targets).toEqual([
      expect.objectContaining({ alias: 'APIMSERVICE1', gatewayId: 'gw1', secretName: 'gw-apimservice1--gw1', format: 'gateway-key' }),
    ]);
    expect(rotation.targets[0]?.service.serviceName).toBe('apimService1');
    expect(rotation.keyVaultUrl).toBe('https://kv-broker.vault.azure.net');
    expect(rotation.storage).toEqual({ blobServiceUrl: 'https://stbroker.blob.core.windows.net', container: 'token-broker-rotation' });
    expect(loadConfig({ ...withTargets, BROKER_ROTATION_KEY_VAULT_URL: 'https://kv-publish.vault.azure.net/' }).rotation.keyVaultUrl).toBe(
      'https://kv-publish.vault.azure.net',
    );
  });

  it.each([
    ['BROKER_ROTATION_TARGETS', 'not json'],
    ['BROKER_ROTATION_TARGETS', JSON.stringify({ service: 'apimService1', gatewayId: 'gw1' })],
    ['BROKER_ROTATION_TARGETS', JSON.stringify([{ service: 'unknown', gatewayId: 'gw1' }])],
    ['BROKER_ROTATION_TARGETS', JSON.stringify([{ service: 'apimService1', gatewayId: 'managed' }])],
    ['BROKER_ROTATION_TARGETS', JSON.stringify([{ service: 'apimService1', gatewayId: 'gw1', format: 'pem' }])],
    ['BROKER_ROTATION_TARGETS', JSON.stringify([{ service: 'apimService1', gatewayId: 'gw1', secretName: 'has space' }])],
    ['BROKER_ROTATION_TARGETS', JSON.stringify([{ service: 'apimService1', gatewayId: 'gw1', extra: 1 }])],
    [
      'BROKER_ROTATION_TARGETS',
      JSON.stringify([
        { service: 'apimService1', gatewayId: 'gw1' },
        { service: 'apimService1', gatewayId: 'GW1' },
      ]),
    ],
    [
      'BROKER_ROTATION_TARGETS',
      JSON.stringify([
        { service: 'apimService1', gatewayId: 'gw1', secretName: 'same' },
        { service: 'apimService1', gatewayId: 'gw2', secretName: 'SAME' },
      ]),
    ],
    ['BROKER_ROTATION_SCHEDULE', '0 0 * *'],
    ['BROKER_ROTATION_ROTATE_BEFORE', 'twenty days'],
    ['BROKER_ROTATION_ALERT_BEFORE', 'P20D'],
    ['BROKER_ROTATION_STALE_AFTER', 'soon'],
    ['BROKER_ROTATION_REGENERATE_RETIRED_KEY', 'yes'],
    ['BROKER_ROTATION_RETIRE_GRACE', 'P10D'],
    ['BROKER_ROTATION_REVOKE_ENABLED', '1'],
    ['BROKER_ROTATION_KEY_VAULT_URL', 'http://kv'],
    ['BROKER_ROTATION_CONTAINER', 'Not_A_Container'],
    ['AzureWebJobsStorage__blobServiceUri', 'http://127.0.0.1:10000/devstoreaccount1'],
  ])('names %s when it is %j', (name, value) => {
    const listed = problems({ ...withTargets, [name]: value });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatch(new RegExp(`^${name} `));
  });

  it('refuses a retire grace that is not shorter than the rotation interval, since hygiene would never run', () => {
    expect(problems({ ...withTargets, BROKER_ROTATION_RETIRE_GRACE: 'P9DT23H59M' })).toEqual([
      'BROKER_ROTATION_RETIRE_GRACE must be shorter than the rotation interval (P9DT23H59M: the maximum lifetime less BROKER_ROTATION_ROTATE_BEFORE), or hygiene would never run',
    ]);
    expect(loadConfig({ ...withTargets, BROKER_ROTATION_RETIRE_GRACE: 'P9DT23H58M' }).rotation.retireGraceMs).toBe(
      9 * DAY + (23 * 60 + 58) * 60_000,
    );
  });

  it('refuses a rotate margin that leaves less than an hour of a token', () => {
    expect(problems({ ...withTargets, BROKER_ROTATION_ROTATE_BEFORE: 'P30D' })[0]).toMatch(
      /^BROKER_ROTATION_ROTATE_BEFORE must leave at least an hour/,
    );
  });

  it('needs a publish vault and storage once there are targets', () => {
    const { BROKER_KEY_VAULT_URL: _vault, AzureWebJobsStorage__blobServiceUri: _storage, ...bare } = withTargets;
    expect(problems(bare).map((problem) => problem.split(' ')[0])).toEqual([
      'BROKER_ROTATION_KEY_VAULT_URL',
      'AzureWebJobsStorage__blobServiceUri',
    ]);
  });
});
