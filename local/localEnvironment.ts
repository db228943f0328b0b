import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../shared/time/clock';
import { ArmEmulator, type ArmEmulatorOptions } from './emulators/arm/armEmulator';
import type { FaultableEmulator } from './emulators/httpsEmulator';
import { LOCAL_TENANT_ID, LocalIssuer, type LocalIssuerOptions, type MintTokenOptions } from './emulators/issuer/localIssuer';
import { KeyVaultEmulator, type KeyVaultEmulatorOptions } from './emulators/keyvault/keyVaultEmulator';
import { LicenseSpringEmulator, type LicenseSpringEmulatorOptions } from './emulators/licensespring/licenseSpringEmulator';
import { StorageEmulator } from './emulators/storage/storageEmulator';
import { createLocalTls, type LocalTlsMaterial } from './emulators/tls';

/** The local sample configuration: the names of the official examples (DESIGN.md, "Local run"). */
export const LOCAL_SAMPLE = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'rg1',
  serviceAlias: 'apimService1',
  serviceName: 'apimService1',
  gateways: ['gw1', 'gw2'],
  /** Both gateways are rotation targets (DESIGN.md, "Local run"). */
  rotationTargets: [
    { service: 'apimService1', gatewayId: 'gw1' },
    { service: 'apimService1', gatewayId: 'gw2' },
  ],
  authorizationServer: 'newauthServer2',
  licenseSpringProduct: 'demo',
  licenseSpringCustomerAccount: 'acme',
  /** The broker's application ID URI in the local run: the `aud` of local callers' tokens. */
  audience: 'api://token-broker-local',
  /** The default app roles, all of them: what `export TOKEN=...` carries. */
  roles: ['Broker.SsoToken', 'Broker.GatewayToken', 'Broker.AuthorizationServer.Read', 'Broker.LicenseSpring.SsoUrl', 'Broker.Rotate'],
  /** Generous, so interactive use and scripted checks are not throttled (DESIGN.md, "Local run"). */
  mintLimitPerMinute: 120,
} as const;

export interface LocalEnvironmentOptions {
  arm?: ArmEmulatorOptions;
  licenseSpring?: LicenseSpringEmulatorOptions;
  keyVault?: KeyVaultEmulatorOptions;
  issuer?: LocalIssuerOptions;
  /** Start Azurite (blob storage for the rotation's leases and records) as a child process, behind a counting proxy. */
  storage?: boolean;
  /** The one clock of every emulator (each emulator's own `clock` option wins). Default: the system clock. */
  clock?: Clock;
}

/** The emulators by the name `/_local/upstream-calls` and `/_local/faults` use. */
export const EMULATOR_NAMES = ['arm', 'licensespring', 'keyvault', 'issuer', 'storage'] as const;
export type EmulatorName = (typeof EMULATOR_NAMES)[number];

/**
 * The static credential the broker presents to ARM, Key Vault and Azurite. ARM's and Key Vault's
 * emulators accept any bearer; Azurite's `--oauth basic` reads an Entra-shaped JWT (issuer, storage
 * audience, lifetime) without checking its signature, so this one is unsigned.
 */
function localBearerToken(): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    aud: 'https://storage.azure.com',
    iss: `https://sts.windows.net/${LOCAL_TENANT_ID}/`,
    oid: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 365 * 86_400,
  };
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${randomBytes(16).toString('base64url')}`;
}

/**
 * The upstream emulators a local run or a test needs, on ephemeral HTTPS ports with a certificate
 * made at start, and the broker configuration that points at them.
 */
export class LocalEnvironment {
  /** This run's audit fingerprint key. */
  private readonly auditKey = randomBytes(32).toString('base64');
  private readonly localBearerToken = localBearerToken();

  private constructor(
    readonly tls: LocalTlsMaterial,
    readonly arm: ArmEmulator,
    readonly licenseSpring: LicenseSpringEmulator,
    readonly keyVault: KeyVaultEmulator,
    readonly issuer: LocalIssuer,
    /** Blob storage, when asked for. */
    readonly storage: StorageEmulator | undefined,
  ) {}

  static async start(options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
    const tls = await createLocalTls();
    const clock = options.clock === undefined ? {} : { clock: options.clock };
    const environment = new LocalEnvironment(
      tls,
      new ArmEmulator({ ...clock, ...options.arm }),
      new LicenseSpringEmulator({ ...clock, ...options.licenseSpring }),
      new KeyVaultEmulator({ ...clock, ...options.keyVault }),
      new LocalIssuer({ ...clock, ...options.issuer }),
      options.storage ? new StorageEmulator(clock) : undefined,
    );
    await Promise.all(environment.emulators().map((emulator) => emulator.start(tls)));
    return environment;
  }

  private emulators() {
    return [this.arm, this.licenseSpring, this.keyVault, this.issuer, ...(this.storage ? [this.storage] : [])];
  }

  /** A running emulator by its name, or undefined (storage runs only when asked for). */
  emulator(name: EmulatorName): FaultableEmulator | undefined {
    return { arm: this.arm, licensespring: this.licenseSpring, keyvault: this.keyVault, issuer: this.issuer, storage: this.storage }[name];
  }

  /**
   * Broker settings that point at these emulators: their endpoints and keys, the test-only CA, a
   * static local credential, the local issuer and the tenant and audience it signs for, and the
   * APIM service map naming the ARM emulator's seeded service. A local run must use these.
   */
  emulatorSettings(): Record<string, string> {
    const { subscriptionId, resourceGroup, serviceAlias, serviceName } = LOCAL_SAMPLE;
    return {
      BROKER_APIM_SERVICES: JSON.stringify({
        [serviceAlias]: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ApiManagement/service/${serviceName}`,
      }),
      BROKER_ARM_ENDPOINT: this.arm.url,
      BROKER_LICENSESPRING_ENDPOINT: this.licenseSpring.url,
      BROKER_LICENSESPRING_API_KEY: this.licenseSpring.apiKey,
      BROKER_LICENSESPRING_SHARED_KEY: this.licenseSpring.sharedKey,
      BROKER_LICENSESPRING_PUBLIC_KEY: this.licenseSpring.publicKeyPem,
      BROKER_KEY_VAULT_URL: this.keyVault.url,
      BROKER_AUTH_TENANT_ID: LOCAL_TENANT_ID,
      BROKER_AUTH_AUDIENCES: LOCAL_SAMPLE.audience,
      BROKER_LOCAL_ISSUER_URL: this.issuer.url,
      BROKER_LOCAL_CA_CERT: this.tls.cert,
      BROKER_LOCAL_BEARER_TOKEN: this.localBearerToken,
      ...(this.storage ? { AzureWebJobsStorage__blobServiceUri: this.storage.blobServiceUrl } : {}),
    };
  }

  /** The local sample's choices for settings that do not depend on the emulators; a user's own values may replace them. */
  localDefaults(): Record<string, string> {
    return {
      BROKER_MINT_LIMIT_PER_MINUTE: String(LOCAL_SAMPLE.mintLimitPerMinute),
      BROKER_AUDIT_HMAC_KEY: this.auditKey,
      // The sample's gateways are rotation targets only where there is storage for the rotation's leases.
      ...(this.storage ? { BROKER_ROTATION_TARGETS: JSON.stringify(LOCAL_SAMPLE.rotationTargets) } : {}),
    };
  }

  /** Every setting a broker needs to run against these emulators. */
  brokerSettings(): Record<string, string> {
    return { ...this.localDefaults(), ...this.emulatorSettings() };
  }

  /** What each emulator has been asked, by operation: the body of `GET /_local/upstream-calls`. */
  upstreamCalls(): Record<string, Record<string, number>> {
    return {
      arm: this.arm.calls(),
      licensespring: this.licenseSpring.calls(),
      keyvault: this.keyVault.calls(),
      issuer: this.issuer.calls(),
      ...(this.storage ? { storage: this.storage.calls() } : {}),
    };
  }

  /** A caller's bearer token from the local issuer, for the broker's audience; every role by default. */
  callerToken(options: Partial<MintTokenOptions> = {}): Promise<string> {
    return this.issuer.mintToken({ roles: [...LOCAL_SAMPLE.roles], audience: LOCAL_SAMPLE.audience, ...options });
  }

  resetCalls(): void {
    for (const emulator of this.emulators()) emulator.resetCalls();
  }

  clearFaults(): void {
    for (const emulator of this.emulators()) emulator.clearFaults();
  }

  async stop(): Promise<void> {
    await Promise.all(this.emulators().map((emulator) => emulator.stop()));
  }
}
