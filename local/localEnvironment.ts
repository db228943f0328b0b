import { randomBytes } from 'node:crypto';
import { ArmEmulator, type ArmEmulatorOptions } from './emulators/arm/armEmulator';
import { KeyVaultEmulator, type KeyVaultEmulatorOptions } from './emulators/keyvault/keyVaultEmulator';
import { LicenseSpringEmulator, type LicenseSpringEmulatorOptions } from './emulators/licensespring/licenseSpringEmulator';
import { createLocalTls, type LocalTlsMaterial } from './emulators/tls';

/** The local sample configuration: the names of the official examples (DESIGN.md, "Local run"). */
export const LOCAL_SAMPLE = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'rg1',
  serviceAlias: 'apimService1',
  serviceName: 'apimService1',
  gateways: ['gw1', 'gw2'],
  authorizationServer: 'newauthServer2',
  licenseSpringProduct: 'demo',
  licenseSpringCustomerAccount: 'acme',
} as const;

export interface LocalEnvironmentOptions {
  arm?: ArmEmulatorOptions;
  licenseSpring?: LicenseSpringEmulatorOptions;
  keyVault?: KeyVaultEmulatorOptions;
}

/**
 * The upstream emulators a local run or a test needs, on ephemeral HTTPS ports with a certificate
 * made at start, and the broker configuration that points at them.
 */
export class LocalEnvironment {
  private constructor(
    readonly tls: LocalTlsMaterial,
    readonly arm: ArmEmulator,
    readonly licenseSpring: LicenseSpringEmulator,
    readonly keyVault: KeyVaultEmulator,
  ) {}

  static async start(options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
    const tls = await createLocalTls();
    const environment = new LocalEnvironment(
      tls,
      new ArmEmulator(options.arm),
      new LicenseSpringEmulator(options.licenseSpring),
      new KeyVaultEmulator(options.keyVault),
    );
    await Promise.all(environment.emulators().map((emulator) => emulator.start(tls)));
    return environment;
  }

  private emulators() {
    return [this.arm, this.licenseSpring, this.keyVault] as const;
  }

  /** Broker settings for these emulators: the test-only CA and a static local ARM credential among them. */
  brokerSettings(): Record<string, string> {
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
      BROKER_LOCAL_CA_CERT: this.tls.cert,
      BROKER_LOCAL_BEARER_TOKEN: `local-${randomBytes(16).toString('hex')}`,
    };
  }

  /** What each emulator has been asked, by operation: the body of `GET /_local/upstream-calls`. */
  upstreamCalls(): Record<string, Record<string, number>> {
    return { arm: this.arm.calls(), licensespring: this.licenseSpring.calls(), keyvault: this.keyVault.calls() };
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
