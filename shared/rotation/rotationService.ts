import { createHash, randomUUID } from 'node:crypto';
import { LruCache } from '../cache/lruCache';
import { type GatewayTokenIdentity, gatewayIdentity } from '../cache/tokenIdentity';
import type { RotationSettings, RotationTarget } from '../config/rotationSettings';
import { BrokerError, RevokeDisabledError, RevokeIncompleteError, RotationInProgressError, RotationStepError } from '../errors';
import type { Logger } from '../logging/logger';
import type { Readiness, TokenStatus } from '../schemas/rotationSchemas';
import type { Clock } from '../time/clock';
import { formatUtcSeconds, toWholeSeconds } from '../time/isoDateTime';
import type { ApimClient, KeyType } from '../upstreams/arm/apimClient';
import type { PublishedToken, PublishVault } from './publishVault';
import { type RotationReport, reportStatus, type TargetOutcome } from './rotationReport';
import { REVOKE_STEPS, type RevokeProgress, type RotationStore, type StoredReport, type TargetRecord } from './rotationStore';

export interface RotationServiceDeps {
  settings: RotationSettings;
  /** ARM, through a pipeline whose retry budget lets a run wait out `Retry-After`. */
  client: ApimClient;
  vault: PublishVault;
  store: RotationStore;
  clock: Clock;
  /** The longest lifetime the broker mints: every rotation mints for it. */
  maxLifetimeMs: number;
  clockSkewMs: number;
  /** The request cache, which must forget tokens signed by a key the rotation regenerates. */
  requestCache: { retire(identity: GatewayTokenIdentity, log: Logger): Promise<void> };
  /** Targets rotated at once in a run, so a run over many paces its ARM writes. */
  concurrency?: number;
  newId?: () => string;
}

/** Readiness of the rotation itself; the route adds the configuration's state. */
export type RotationReadiness = Omit<Readiness, 'configuration'>;
type TargetReadiness = Readiness['targets'][number];

/** A run started in the background: its id at once, its report when it ends. */
export interface StartedRun {
  runId: string;
  report: Promise<RotationReport>;
}

/** How long a revoke waits for another run to release the target, and how often it tries. */
const REVOKE_LEASE_WAIT_MS = 30_000;
const LEASE_RETRY_MS = 1_000;

/** What a completed revoke answers. */
export interface RevokeAnswer {
  service: string;
  gatewayId: string;
  revokeId: string;
  completed: string[];
  keyType: KeyType;
  expiresOn: string;
  rotationId: string;
  secretName: string;
  message: string;
}

/** An `Idempotency-Key` answers retries for this long. */
const IDEMPOTENCY_WINDOW_MS = 60 * 60_000;

/** How long the newest published version is trusted by the token route before it is read again. */
const PUBLISHED_MEMO_MS = 60_000;

/** Runs `work`, turning anything but a broker error into a failure of the named step. */
async function step<T>(code: string, message: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BrokerError) throw error;
    throw new RotationStepError(code, message, { cause: error });
  }
}

function reportedError(error: unknown): { code: string; message: string } {
  if (error instanceof BrokerError) return { code: error.code, message: error.message };
  return { code: 'InternalError', message: 'The rotation of this target failed unexpectedly.' };
}

/**
 * The gateway-token rotation: every target keeps one published token in the publish vault that is
 * never allowed to lapse. A target is due when its published token is missing or has less than the
 * rotate margin left; a due target is minted with the key its published token does not use, for the
 * maximum lifetime, published, and read back before the run calls it rotated. One run per target at
 * a time across instances (a blob lease); a failing target leaves its published token as it was and
 * never stops the others.
 */
export class RotationService {
  private readonly published = new LruCache<PublishedToken>(10_000);

  constructor(private readonly deps: RotationServiceDeps) {}

  get settings(): RotationSettings {
    return this.deps.settings;
  }

  /** The configured target for a service alias and gateway (both compared without case). */
  target(alias: string, gatewayId: string): RotationTarget | undefined {
    return this.deps.settings.targets.find(
      (target) => target.alias.toLowerCase() === alias.toLowerCase() && target.gatewayId.toLowerCase() === gatewayId.toLowerCase(),
    );
  }

  /** Every target, as the timer and `POST /api/rotation/run` run it; `dryRun` says what it would do. */
  async runAll(options: { dryRun?: boolean; log: Logger }): Promise<RotationReport> {
    return this.run(this.deps.settings.targets, { force: false, dryRun: options.dryRun ?? false }, options.log);
  }

  /** One target; `force` rotates it even when it is not due. */
  async rotate(target: RotationTarget, options: { force?: boolean; log: Logger }): Promise<RotationReport> {
    return this.run([target], { force: options.force ?? false, dryRun: false }, options.log);
  }

  /**
   * Runs `work` once per `Idempotency-Key`: a retry with the same key, from the same caller, for the
   * same operation and target within an hour gets the first answer back and does nothing (Logic
   * Apps retry by default). A failure is not kept, so a retry after one tries again.
   */
  async once<T>(
    scope: { operation: string; callerId: string; target: RotationTarget; key: string },
    work: () => Promise<T>,
    log: Logger,
  ): Promise<{ answer: T; replayed: boolean }> {
    const answerKey = createHash('sha256')
      .update(JSON.stringify([scope.operation, scope.callerId, scope.target.secretName, scope.key]))
      .digest('hex');
    const earlier = await step('StorageUnavailable', 'The rotation store could not be read.', () =>
      this.deps.store.readAnswer<T>(answerKey, IDEMPOTENCY_WINDOW_MS),
    );
    if (earlier !== undefined) return { answer: earlier, replayed: true };
    const answer = await work();
    try {
      await this.deps.store.writeAnswer(answerKey, answer);
    } catch (error) {
      log.warn({ event: 'idempotentAnswerNotKept', target: scope.target.secretName, reason: describeFailure(error) });
    }
    return { answer, replayed: false };
  }

  /**
   * The emergency: every token issued before it dies and the newly published one works. Regenerate
   * the key the published token does not use, mint with it and publish, then regenerate the key in
   * use. It takes the target's lease (waiting a bounded time); progress is kept in storage, so when a
   * step fails the answer names the steps done and a retry continues from there. Consumers are cut
   * off until they pick up the new version.
   */
  async revoke(target: RotationTarget, log: Logger): Promise<RevokeAnswer> {
    if (!this.deps.settings.revokeEnabled) throw new RevokeDisabledError();
    const revokeId = this.newId();
    const lease = await this.leaseWithin(target, revokeId, REVOKE_LEASE_WAIT_MS);
    let progress: RevokeProgress | undefined;
    try {
      const earlier = await step('StorageUnavailable', 'The rotation store could not be read.', () =>
        this.deps.store.readRevoke(target.secretName),
      );
      progress =
        earlier && earlier.finishedAt === undefined
          ? earlier
          : {
              revokeId,
              startedAt: this.deps.clock.now().toISOString(),
              keyInUse: (await this.readPublished(target))?.keyType ?? 'secondary',
              done: [],
            };
      const newKey = progress.keyInUse === 'primary' ? 'secondary' : 'primary';
      for (const next of REVOKE_STEPS) {
        if (progress.done.includes(next)) continue;
        if (next === 'regenerateOtherKey') await this.regenerate(target, newKey, `revoke-${progress.revokeId}`, log);
        if (next === 'mintAndPublish') {
          const published = await this.publishNew(target, progress.revokeId, newKey, true);
          progress.outcome = { keyType: newKey, expiresOn: published.expiresOn ?? '', rotationId: published.rotationId ?? '' };
        }
        if (next === 'regenerateKeyInUse') await this.regenerate(target, progress.keyInUse, `revoke-${progress.revokeId}`, log);
        progress.done.push(next);
        await this.keepRevoke(target, progress);
      }
      progress.finishedAt = this.deps.clock.now().toISOString();
      await this.keepRevoke(target, progress);
      await this.finish(target, progress.revokeId, {
        service: target.alias,
        gatewayId: target.gatewayId,
        due: true,
        action: 'rotated',
        ...progress.outcome,
      });
      log.warn({ event: 'gatewayRevoked', target: target.secretName, revokeId: progress.revokeId });
      return {
        service: target.alias,
        gatewayId: target.gatewayId,
        revokeId: progress.revokeId,
        completed: [...progress.done],
        keyType: newKey,
        expiresOn: progress.outcome?.expiresOn ?? '',
        rotationId: progress.outcome?.rotationId ?? '',
        secretName: target.secretName,
        message: `Every earlier token of this gateway is invalid; consumers are cut off until they pick up the new version of '${target.secretName}'.`,
      };
    } catch (error) {
      log.warn({ event: 'revokeIncomplete', target: target.secretName, done: progress?.done ?? [], cause: describeFailure(error) });
      throw new RevokeIncompleteError(progress?.done ?? [], { cause: error, internal: `revoke failed: ${describeFailure(error)}` });
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

  private async keepRevoke(target: RotationTarget, progress: RevokeProgress): Promise<void> {
    await step('StorageUnavailable', 'The rotation store could not be written.', () =>
      this.deps.store.writeRevoke(target.secretName, progress),
    );
  }

  /** The target's lease, waiting up to `waitMs` for another run to finish; 409 beyond. */
  private async leaseWithin(target: RotationTarget, holder: string, waitMs: number) {
    const started = this.deps.clock.now().getTime();
    for (;;) {
      const lease = await step('StorageUnavailable', 'The rotation store could not be reached.', () =>
        this.deps.store.acquire(target.secretName, holder),
      );
      if (lease) return lease;
      if (this.deps.clock.now().getTime() - started >= waitMs) throw new RotationInProgressError(Math.round(waitMs / 1000));
      await this.deps.clock.sleep(LEASE_RETRY_MS);
    }
  }

  /** Starts a run over every target and keeps its report in storage, so any instance can answer for it. */
  startRunAll(options: { dryRun?: boolean; log: Logger }): StartedRun {
    const runId = this.newId();
    const startedAt = this.deps.clock.now().toISOString();
    const report = (async () => {
      await this.keepReport(runId, { state: 'running', runId, startedAt }, options.log);
      const finished = await this.run(this.deps.settings.targets, { force: false, dryRun: options.dryRun ?? false }, options.log, runId);
      await this.keepReport(runId, { state: 'finished', report: finished }, options.log);
      return finished;
    })();
    return { runId, report };
  }

  async storedReport(runId: string): Promise<StoredReport | undefined> {
    return step('StorageUnavailable', 'The rotation store could not be read.', () => this.deps.store.readReport(runId));
  }

  /**
   * The published token of a rotation target, for the token route: when it has at least
   * `minValidityMs` plus the skew left. Undefined for a gateway that is not a target.
   */
  async servable(
    alias: string,
    gatewayId: string,
    minValidityMs: number,
  ): Promise<{ value: string; expiresOn: Date; keyType: KeyType } | undefined> {
    const target = this.target(alias, gatewayId);
    const published = target === undefined ? undefined : await this.currentPublished(target);
    if (published?.keyType === undefined) return undefined;
    if (published.expiresOn.getTime() - this.deps.clock.now().getTime() < minValidityMs + this.deps.clockSkewMs) return undefined;
    return { value: published.value, expiresOn: published.expiresOn, keyType: published.keyType };
  }

  /** The newest published token of a target, read again at most once a minute (for the token route). */
  async currentPublished(target: RotationTarget): Promise<PublishedToken | undefined> {
    const now = this.deps.clock.now().getTime();
    const remembered = this.published.get(target.secretName, now);
    if (remembered) return remembered;
    const newest = await this.deps.vault.newest(target);
    if (newest) this.published.set(target.secretName, newest, now + PUBLISHED_MEMO_MS);
    return newest;
  }

  async status(target: RotationTarget): Promise<TokenStatus> {
    const [published, record] = await Promise.all([
      step('KeyVaultUnavailable', 'The publish vault could not be read.', () => this.deps.vault.newest(target)),
      step('StorageUnavailable', 'The rotation store could not be read.', () => this.deps.store.readRecord(target.secretName)),
    ]);
    return {
      service: target.alias,
      gatewayId: target.gatewayId,
      secretName: target.secretName,
      ...(published === undefined
        ? {}
        : {
            version: published.version,
            ...(published.keyType === undefined ? {} : { keyType: published.keyType }),
            expiresOn: formatUtcSeconds(published.expiresOn),
            ...(published.rotatedAt === undefined ? {} : { rotatedAt: published.rotatedAt }),
            ...(published.rotationId === undefined ? {} : { rotationId: published.rotationId }),
          }),
      ...(record === undefined ? {} : { lastRun: record.lastRun }),
    };
  }

  /** Every target's state for `GET /api/ready`; not ready when any is not `ok`. */
  async readiness(): Promise<RotationReadiness> {
    const targets = await Promise.all(this.deps.settings.targets.map((target) => this.targetReadiness(target)));
    return { status: targets.every((target) => target.state === 'ok') ? 'ready' : 'notReady', targets };
  }

  private async targetReadiness(target: RotationTarget): Promise<TargetReadiness> {
    const base = { service: target.alias, gatewayId: target.gatewayId };
    let published: PublishedToken | undefined;
    let record: TargetRecord | undefined;
    try {
      [published, record] = await Promise.all([this.deps.vault.newest(target), this.deps.store.readRecord(target.secretName)]);
    } catch {
      return { ...base, state: 'storeUnavailable' };
    }
    const now = this.deps.clock.now().getTime();
    const facts = {
      ...(published === undefined ? {} : { expiresOn: formatUtcSeconds(published.expiresOn) }),
      ...(record?.lastSuccessAt === undefined ? {} : { lastSuccessAt: record.lastSuccessAt }),
    };
    const lastSuccess = record?.lastSuccessAt === undefined ? Number.NaN : Date.parse(record.lastSuccessAt);
    const state: TargetReadiness['state'] =
      published === undefined
        ? 'missing'
        : published.expiresOn.getTime() - now < this.deps.settings.alertBeforeMs
          ? 'nearExpiry'
          : Number.isNaN(lastSuccess) || now - lastSuccess > this.deps.settings.staleAfterMs
            ? 'stale'
            : 'ok';
    return { ...base, state, ...facts };
  }

  private async run(
    targets: readonly RotationTarget[],
    mode: { force: boolean; dryRun: boolean },
    log: Logger,
    runId = this.newId(),
  ): Promise<RotationReport> {
    const startedAt = this.deps.clock.now().toISOString();
    const outcomes: TargetOutcome[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < targets.length; index = next++) {
        const target = targets[index] as RotationTarget;
        outcomes[index] = await this.runTarget(target, runId, mode, log);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.concurrency ?? 4, targets.length) }, worker));
    const report: RotationReport = { runId, startedAt, finishedAt: this.deps.clock.now().toISOString(), targets: outcomes };
    const logged = { event: 'rotationRun', runId, status: reportStatus(report), targets: outcomes };
    if (reportStatus(report) === 200) log.info(logged);
    else log.warn(logged);
    return report;
  }

  private isDue(published: PublishedToken | undefined): boolean {
    if (published === undefined) return true;
    return published.expiresOn.getTime() - this.deps.clock.now().getTime() < this.deps.settings.rotateBeforeMs;
  }

  private async runTarget(
    target: RotationTarget,
    runId: string,
    mode: { force: boolean; dryRun: boolean },
    log: Logger,
  ): Promise<TargetOutcome> {
    const base = { service: target.alias, gatewayId: target.gatewayId };
    let due = false;
    try {
      const before = await this.readPublished(target);
      due = this.isDue(before);
      if (!due && !mode.force) return await this.finish(target, runId, { ...base, due, action: 'notDue', ...describe(before) });
      if (mode.dryRun) return { ...base, due, action: 'wouldRotate', keyType: otherKey(before) };
      const lease = await step('StorageUnavailable', 'The rotation store could not be reached.', () =>
        this.deps.store.acquire(target.secretName, runId),
      );
      if (!lease) return await this.finish(target, runId, { ...base, due, action: 'skipped' });
      try {
        // Another run may have rotated the target between the first read and the lease.
        const current = await this.readPublished(target);
        due = this.isDue(current);
        if (!due && !mode.force) return await this.finish(target, runId, { ...base, due, action: 'notDue', ...describe(current) });
        return await this.finish(target, runId, await this.mintAndPublish(target, runId, current, due, log));
      } finally {
        await lease
          .release()
          .catch((error: unknown) =>
            log.warn({ event: 'rotationLeaseReleaseFailed', target: target.secretName, reason: describeFailure(error) }),
          );
      }
    } catch (error) {
      const outcome: TargetOutcome = { ...base, due, action: 'failed', error: reportedError(error) };
      log.warn({ event: 'rotationTargetFailed', target: target.secretName, code: outcome.error?.code, cause: describeFailure(error) });
      await this.keepRecord(target, runId, outcome, log);
      return outcome;
    }
  }

  /**
   * Dual-key hygiene: before the key is used again, regenerate it, once the token it last signed was
   * superseded (by the current published token) at least the retire grace ago. Never the key of the
   * published token: that is the other one.
   */
  private async retireIfDue(target: RotationTarget, runId: string, current: PublishedToken | undefined, keyType: KeyType, log: Logger) {
    if (!this.deps.settings.regenerateRetiredKey || current?.rotatedAt === undefined) return;
    const supersededFor = this.deps.clock.now().getTime() - Date.parse(current.rotatedAt);
    if (!(supersededFor >= this.deps.settings.retireGraceMs)) return;
    await this.regenerate(target, keyType, `rotation-${runId}`, log);
  }

  /** Regenerates a gateway key and makes the request cache forget every token it signed. */
  private async regenerate(target: RotationTarget, keyType: KeyType, requestId: string, log: Logger): Promise<void> {
    await this.deps.client.regenerateGatewayKey(target.service, target.gatewayId, keyType, requestId);
    log.info({ event: 'gatewayKeyRegenerated', target: target.secretName, keyType });
    await step('KeyVaultUnavailable', 'The request cache could not be told of the regenerated key.', () =>
      this.deps.requestCache.retire(gatewayIdentity(target.service, target.gatewayId, keyType), log),
    );
  }

  private async mintAndPublish(
    target: RotationTarget,
    runId: string,
    current: PublishedToken | undefined,
    due: boolean,
    log: Logger,
  ): Promise<TargetOutcome> {
    const keyType = otherKey(current);
    await this.retireIfDue(target, runId, current, keyType, log);
    return this.publishNew(target, runId, keyType, due);
  }

  /** Mints with `keyType` for the maximum lifetime, publishes, and reads the newest version back. */
  private async publishNew(target: RotationTarget, runId: string, keyType: KeyType, due: boolean): Promise<TargetOutcome> {
    const now = this.deps.clock.now();
    const expiresOn = toWholeSeconds(new Date(now.getTime() + this.deps.maxLifetimeMs));
    const rotationId = this.newId();
    const { value } = await this.deps.client.generateGatewayToken(
      target.service,
      target.gatewayId,
      { keyType, expiry: formatUtcSeconds(expiresOn) },
      `rotation-${runId}`,
    );
    await step('PublishFailed', 'The publish vault refused the new version; the earlier token stays published.', () =>
      this.deps.vault.publish(target, { value, expiresOn, keyType, rotatedAt: now.toISOString(), rotationId }),
    );
    const readBack = await step('PublishUnverified', 'The published version could not be read back.', () => this.deps.vault.newest(target));
    if (readBack?.value !== value || readBack.rotationId !== rotationId || readBack.keyType !== keyType) {
      throw new RotationStepError('PublishUnverified', 'The newest published version is not the one this run published.');
    }
    this.published.set(target.secretName, readBack, now.getTime() + PUBLISHED_MEMO_MS);
    return {
      service: target.alias,
      gatewayId: target.gatewayId,
      due,
      action: 'rotated',
      keyType,
      expiresOn: formatUtcSeconds(expiresOn),
      rotationId,
    };
  }

  private readPublished(target: RotationTarget): Promise<PublishedToken | undefined> {
    return step('KeyVaultUnavailable', 'The publish vault could not be read; nothing was changed.', () => this.deps.vault.newest(target));
  }

  /** Records the outcome (a success for staleness unless skipped) and returns it. */
  private async finish(target: RotationTarget, runId: string, outcome: TargetOutcome): Promise<TargetOutcome> {
    await step('StorageUnavailable', 'The rotation store could not be written.', () =>
      this.deps.store.writeRecord(target.secretName, this.recordOf(outcome, runId)),
    );
    return outcome;
  }

  private recordOf(outcome: TargetOutcome, runId: string, previous?: TargetRecord): TargetRecord {
    const at = this.deps.clock.now().toISOString();
    const succeeded = outcome.action === 'rotated' || outcome.action === 'notDue';
    return {
      lastRun: { at, runId, action: outcome.action, ...(outcome.error === undefined ? {} : { error: outcome.error }) },
      ...(succeeded ? { lastSuccessAt: at } : previous?.lastSuccessAt === undefined ? {} : { lastSuccessAt: previous.lastSuccessAt }),
    };
  }

  /** A failed or skipped target's record keeps the last success; storage may itself be what failed. */
  private async keepRecord(target: RotationTarget, runId: string, outcome: TargetOutcome, log: Logger): Promise<void> {
    try {
      const previous = await this.deps.store.readRecord(target.secretName);
      await this.deps.store.writeRecord(target.secretName, this.recordOf(outcome, runId, previous));
    } catch (error) {
      log.warn({ event: 'rotationRecordFailed', target: target.secretName, reason: describeFailure(error) });
    }
  }

  private async keepReport(runId: string, report: StoredReport, log: Logger): Promise<void> {
    try {
      await this.deps.store.writeReport(runId, report);
    } catch (error) {
      log.warn({ event: 'rotationReportNotKept', runId, reason: describeFailure(error) });
    }
  }

  private newId(): string {
    return (this.deps.newId ?? randomUUID)();
  }
}

/** The key the next token is minted with: the one the published token does not use (primary first). */
function otherKey(published: PublishedToken | undefined): KeyType {
  return published?.keyType === 'primary' ? 'secondary' : 'primary';
}

function describe(published: PublishedToken | undefined): Pick<TargetOutcome, 'keyType' | 'expiresOn'> {
  if (published === undefined) return {};
  return { ...(published.keyType === undefined ? {} : { keyType: published.keyType }), expiresOn: formatUtcSeconds(published.expiresOn) };
}

/** What went wrong, for the log: a status or error name, never a message that could carry upstream text. */
export function describeFailure(error: unknown): string {
  const cause = error instanceof BrokerError ? (error.cause ?? error) : error;
  const { statusCode, code, name } = (cause ?? {}) as { statusCode?: number; code?: string; name?: string };
  return statusCode !== undefined ? `HTTP ${statusCode}` : (code ?? name ?? 'unknown');
}
