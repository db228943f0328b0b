import type { KeyType } from './armRequestRules';
import { EXAMPLE_AUTHORIZATION_SERVER } from './officialExamples';

/** `AuthorizationServerContract` as `AuthorizationServer_Get` returns it; served exactly as seeded. */
export interface AuthorizationServerContract {
  id: string;
  name: string;
  type: string;
  properties: Readonly<Record<string, unknown>>;
}

export interface ApimServiceSeed {
  name: string;
  gateways: readonly string[];
  /** authsid → the contract `AuthorizationServer_Get` returns. */
  authorizationServers?: Readonly<Record<string, AuthorizationServerContract>>;
}

export interface ArmSeed {
  subscriptionId: string;
  resourceGroup: string;
  services: readonly ApimServiceSeed[];
}

/** The local sample of DESIGN.md, named after the official examples. */
export const DEFAULT_ARM_SEED: ArmSeed = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'rg1',
  services: [
    {
      name: 'apimService1',
      gateways: ['gw1', 'gw2'],
      authorizationServers: { newauthServer2: EXAMPLE_AUTHORIZATION_SERVER },
    },
  ],
};

export interface GatewayState {
  /** The identifier as created; lookups ignore case, as ARM resource names do. */
  readonly id: string;
  keys: Record<KeyType, string>;
}

export interface ServiceState {
  readonly name: string;
  readonly gateways: ReadonlyMap<string, GatewayState>;
  readonly authorizationServers: ReadonlyMap<string, AuthorizationServerContract>;
}

/** Gateway keys by service name, then gateway ID, as spelled in the seed: what a state file keeps. */
export type GatewayKeys = Record<string, Record<string, Record<KeyType, string>>>;

/** Why a service could not be resolved, in ARM's order of checks. */
export type ServiceLookupFailure = 'subscription' | 'resourceGroup' | 'service';

/** The resources the emulator knows; every name compares case-insensitively, as in ARM. */
export class ApimState {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  private readonly services: ReadonlyMap<string, ServiceState>;

  /** `initialKeys` gives each seeded gateway its keys at start. */
  constructor(seed: ArmSeed, initialKeys: (serviceName: string, gatewayId: string) => Record<KeyType, string>) {
    this.subscriptionId = seed.subscriptionId;
    this.resourceGroup = seed.resourceGroup;
    this.services = byLowerCaseName(
      seed.services.map((service) => ({
        name: service.name,
        gateways: byLowerCaseName(
          service.gateways.map((id) => ({ id, keys: initialKeys(service.name, id) })),
          (gateway) => gateway.id,
        ),
        authorizationServers: new Map(
          Object.entries(service.authorizationServers ?? {}).map(([authsid, contract]) => [authsid.toLowerCase(), contract]),
        ),
      })),
      (service) => service.name,
    );
  }

  findService(subscriptionId: string, resourceGroup: string, name: string): ServiceState | ServiceLookupFailure {
    if (subscriptionId.toLowerCase() !== this.subscriptionId.toLowerCase()) return 'subscription';
    if (resourceGroup.toLowerCase() !== this.resourceGroup.toLowerCase()) return 'resourceGroup';
    return this.services.get(name.toLowerCase()) ?? 'service';
  }

  gatewayKeys(): GatewayKeys {
    return Object.fromEntries(
      [...this.services.values()].map((service) => [
        service.name,
        Object.fromEntries([...service.gateways.values()].map((gateway) => [gateway.id, { ...gateway.keys }])),
      ]),
    );
  }

  /** A seeded service by name alone: service names are globally unique in Azure. */
  serviceNamed(name: string): ServiceState | undefined {
    return this.services.get(name.toLowerCase());
  }
}

function byLowerCaseName<T>(items: readonly T[], nameOf: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [nameOf(item).toLowerCase(), item]));
}
