import { SecretClient } from '@azure/keyvault-secrets';
import type { BrokerConfig } from '../../shared/config/configSchema';
import type { Clock } from '../../shared/time/clock';
import type { HostLog } from '../host/hostLog';
import type { LocalEnvironment } from '../localEnvironment';
import { DEFAULT_RESTART_EVERY_MS, type GatewayPolicy, type GatewayStatus, SimulatedGateway } from './simulatedGateway';

/**
 * The simulated gateways, driven by the shared clock: one loop sleeps until the earliest gateway has
 * work, then lets each do what is due. Their work runs one piece at a time. Around a clock jump the
 * gateways hold still until the timers have caught up, so they see what the catch-up run published.
 */
export class GatewayFleet {
  private readonly stopped = new AbortController();
  /** Aborted to make the loop look at the schedule again (a policy changed). */
  private rescheduled = new AbortController();
  private work: Promise<void> = Promise.resolve();
  private held: Promise<void> | undefined;

  constructor(
    readonly gateways: readonly SimulatedGateway[],
    private readonly clock: Clock,
    log: HostLog,
  ) {
    this.loop().catch((error: unknown) => {
      if (!this.stopped.signal.aborted) log('error', 'gateway', `The simulated gateways stopped: ${String(error)}`);
    });
  }

  list(): GatewayStatus[] {
    return this.gateways.map((gateway) => gateway.status());
  }

  /** A gateway by service alias and ID, both compared without case. */
  find(service: string, gatewayId: string): SimulatedGateway | undefined {
    return this.gateways.find(
      (gateway) => gateway.service.toLowerCase() === service.toLowerCase() && gateway.gatewayId.toLowerCase() === gatewayId.toLowerCase(),
    );
  }

  /** Runs `change` (a policy change, a restart) between the gateways' other work, and reschedules. */
  async change(change: () => void | Promise<void>): Promise<void> {
    await this.serially(async () => change());
    this.rescheduled.abort();
  }

  /**
   * Moves the clock with `jump` (which also lets the timers catch up), holding the gateways until it
   * has finished; then each gateway does, once, whatever fell due.
   */
  async afterJump(jump: () => Promise<void>): Promise<void> {
    let release = () => {};
    this.held = new Promise<void>((resolve) => (release = resolve));
    try {
      await jump();
    } finally {
      this.held = undefined;
      release();
    }
    await this.serially(() => this.actAll());
  }

  stop(): void {
    this.stopped.abort();
  }

  private async loop(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      const next = Math.min(...this.gateways.map((gateway) => gateway.nextDueAt()));
      const delay = next - this.clock.now().getTime();
      if (delay > 0) {
        this.rescheduled = new AbortController();
        const wake = AbortSignal.any([this.stopped.signal, this.rescheduled.signal]);
        await this.clock.sleep(Math.min(delay, 2 ** 31 - 1), wake).catch(() => undefined);
        continue;
      }
      await this.serially(() => this.actAll());
    }
  }

  private async actAll(): Promise<void> {
    while (this.held !== undefined) await this.held;
    for (const gateway of this.gateways) await gateway.act();
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const next = this.work.then(work);
    this.work = next.catch(() => undefined);
    return next;
  }
}

/** The local sample's gateways pick up their tokens differently, so a rehearsal shows both: gw2 restarts weekly, every other gateway has a reloader. */
function samplePolicy(gatewayId: string): GatewayPolicy {
  return gatewayId.toLowerCase() === 'gw2' ? { pickup: 'restart', restartEveryMs: DEFAULT_RESTART_EVERY_MS } : { pickup: 'reloader' };
}

/** A simulated gateway per configured rotation target, reading the publish vault through the real `SecretClient`. */
export function simulatedGateways(config: BrokerConfig, environment: LocalEnvironment, clock: Clock, log: HostLog): GatewayFleet {
  const { keyVaultUrl, targets } = config.rotation;
  const bearer = config.local.bearerToken ?? '';
  const vault =
    keyVaultUrl === undefined
      ? undefined
      : new SecretClient(
          keyVaultUrl,
          { getToken: async () => ({ token: bearer, expiresOnTimestamp: Date.now() + 3_600_000 }) },
          { tlsOptions: { ca: environment.tls.cert }, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
        );
  const gateways = vault
    ? targets.map(
        (target) =>
          new SimulatedGateway(
            { target, vault, armUrl: environment.arm.url, ca: environment.tls.cert, clock, log },
            samplePolicy(target.gatewayId),
          ),
      )
    : [];
  return new GatewayFleet(gateways, clock, log);
}
