import https from 'node:https';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { RotationTarget } from '../../shared/config/rotationSettings';
import { describeFailure } from '../../shared/rotation/rotationService';
import type { Clock } from '../../shared/time/clock';
import { durations, formatIsoDuration } from '../../shared/time/duration';
import { formatUtcSeconds } from '../../shared/time/isoDateTime';
import type { HostLog } from '../host/hostLog';

/**
 * How a gateway picks up a new version of its published secret (ECOSYSTEM.md): `reloader`, the
 * Secrets Store CSI driver's poll (every 2 minutes by default) plus a reloader that restarts the pod
 * when the synced Secret changed; `restart`, an environment variable from a Secret, which changes
 * only when the pod restarts (here every `restartEvery`).
 */
export type Pickup = 'reloader' | 'restart';

export interface GatewayPolicy {
  pickup: Pickup;
  /** For `restart`: how often the pod restarts. */
  restartEveryMs?: number;
}

/** The CSI driver's default `--rotation-poll-interval`; also how often a pod without its secret retries its start. */
export const CSI_POLL_MS = 2 * durations.MINUTE;
/** How often a running gateway calls its configuration endpoint, in this simulation. */
export const CONFIGURATION_CHECK_MS = durations.HOUR;
/** A `restart` gateway's restart interval unless told otherwise. */
export const DEFAULT_RESTART_EVERY_MS = 7 * durations.DAY;

export interface GatewayStatus {
  service: string;
  gatewayId: string;
  connected: boolean;
  keyType: string | null;
  tokenExpiresOn: string | null;
  pickedUpAt: string | null;
  pickup: Pickup;
  restartEvery?: string;
}

/** The token a gateway runs with: its `config.service.auth` and what the mounted version says about it. */
interface MountedToken {
  authorization: string;
  version: string | undefined;
  keyType: string | undefined;
  expiresOn: Date | undefined;
}

export interface SimulatedGatewayDeps {
  target: RotationTarget;
  /** The real SecretClient, on the publish vault (the Key Vault emulator). */
  vault: SecretClient;
  /** The ARM emulator's origin, where the gateway configuration endpoint is served. */
  armUrl: string;
  /** The local CA the emulators' certificate is signed by. */
  ca: string;
  clock: Clock;
  log: HostLog;
}

const GATEWAY_KEY_PREFIX = 'GatewayKey ';

/**
 * One self-hosted gateway of a rotation target: it mounts the newest published version when it
 * (re)starts, picks up a new one by its policy, and calls the gateway configuration endpoint every
 * hour and whenever it starts. `connected` is whether its last call was accepted.
 */
export class SimulatedGateway {
  private token: MountedToken | undefined;
  private pickedUpAt: Date | undefined;
  private connected = false;
  /** The next instant each kind of work is due, on the shared clock. */
  private nextStartOrPollAt: number;
  private nextConfigurationAt: number | undefined;

  constructor(
    private readonly deps: SimulatedGatewayDeps,
    private policy: GatewayPolicy,
  ) {
    this.nextStartOrPollAt = deps.clock.now().getTime() + CSI_POLL_MS;
  }

  get service(): string {
    return this.deps.target.alias;
  }

  get gatewayId(): string {
    return this.deps.target.gatewayId;
  }

  /** When this gateway next has something to do. */
  nextDueAt(): number {
    return Math.min(this.nextStartOrPollAt, this.nextConfigurationAt ?? Number.POSITIVE_INFINITY);
  }

  status(): GatewayStatus {
    const { policy, token } = this;
    return {
      service: this.service,
      gatewayId: this.gatewayId,
      connected: this.connected,
      keyType: token?.keyType ?? null,
      tokenExpiresOn: token?.expiresOn ? formatUtcSeconds(token.expiresOn) : null,
      pickedUpAt: this.pickedUpAt?.toISOString() ?? null,
      pickup: policy.pickup,
      ...(policy.pickup === 'restart' ? { restartEvery: formatIsoDuration(this.restartEveryMs()) } : {}),
    };
  }

  setPolicy(policy: GatewayPolicy): void {
    this.policy = policy;
    this.nextStartOrPollAt =
      this.deps.clock.now().getTime() + (this.token && policy.pickup === 'restart' ? this.restartEveryMs() : CSI_POLL_MS);
  }

  /** Does whatever is due by now, once, however much time has passed since the last time. */
  async act(): Promise<void> {
    const now = this.deps.clock.now().getTime();
    if (this.nextStartOrPollAt <= now) {
      if (this.token && this.policy.pickup === 'reloader') await this.poll();
      else await this.restart();
    } else if (this.nextConfigurationAt !== undefined && this.nextConfigurationAt <= now) {
      await this.checkConfiguration();
    }
  }

  /** The pod restarts: it mounts the newest version (or keeps running with what it had when the vault cannot answer) and loads its configuration. */
  async restart(): Promise<void> {
    const newest = await this.readNewest();
    if (newest !== 'unavailable' && newest !== undefined && newest.version !== this.token?.version) {
      this.token = newest;
      this.pickedUpAt = this.deps.clock.now();
      this.deps.log(
        'information',
        'gateway',
        `${this.service}/${this.gatewayId} mounted version ${newest.version} (${newest.keyType ?? 'key type unknown'})`,
      );
    }
    const now = this.deps.clock.now().getTime();
    this.nextStartOrPollAt = now + (this.token && this.policy.pickup === 'restart' ? this.restartEveryMs() : CSI_POLL_MS);
    if (this.token) await this.checkConfiguration();
  }

  /** The CSI driver's poll: a changed version makes the reloader restart the pod. */
  private async poll(): Promise<void> {
    const newest = await this.readNewest();
    this.nextStartOrPollAt = this.deps.clock.now().getTime() + CSI_POLL_MS;
    if (newest !== 'unavailable' && newest !== undefined && newest.version !== this.token?.version) await this.restart();
    else if (this.nextConfigurationAt !== undefined && this.nextConfigurationAt <= this.deps.clock.now().getTime()) {
      await this.checkConfiguration();
    }
  }

  private restartEveryMs(): number {
    return this.policy.restartEveryMs ?? DEFAULT_RESTART_EVERY_MS;
  }

  private async readNewest(): Promise<MountedToken | undefined | 'unavailable'> {
    try {
      const secret = await this.deps.vault.getSecret(this.deps.target.secretName);
      if (secret.value === undefined) return undefined;
      return {
        authorization: secret.value.startsWith(GATEWAY_KEY_PREFIX) ? secret.value : `${GATEWAY_KEY_PREFIX}${secret.value}`,
        version: secret.properties.version,
        keyType: secret.properties.tags?.keyType,
        expiresOn: secret.properties.expiresOn,
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      this.deps.log('warning', 'gateway', `${this.service}/${this.gatewayId} could not read its secret (${describeFailure(error)})`);
      return 'unavailable';
    }
  }

  private async checkConfiguration(): Promise<void> {
    const { target, armUrl, ca, clock } = this.deps;
    this.nextConfigurationAt = clock.now().getTime() + CONFIGURATION_CHECK_MS;
    const url = `${armUrl}${target.service.resourceId}/gateways/${encodeURIComponent(target.gatewayId)}/configuration`;
    const status = await new Promise<number>((resolve) => {
      const request = https.request(url, { method: 'GET', ca, headers: { authorization: this.token?.authorization ?? '' } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', () => resolve(0));
      request.end();
    });
    const connected = status === 200;
    if (connected !== this.connected) {
      this.deps.log(
        connected ? 'information' : 'warning',
        'gateway',
        `${this.service}/${this.gatewayId} ${connected ? 'connected' : `disconnected (${status || 'no answer'})`}`,
      );
    }
    this.connected = connected;
  }
}
