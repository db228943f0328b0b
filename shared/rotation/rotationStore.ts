import type { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../time/clock';
import type { RotationReport, TargetOutcome } from './rotationReport';

/** What the shared store keeps per target: the last run, and the last run that succeeded. */
export interface TargetRecord {
  lastRun: { at: string; runId: string; action: TargetOutcome['action']; error?: TargetOutcome['error'] };
  lastSuccessAt?: string;
}

/** A run report while the run lasts (`running`) and once it has finished. */
export type StoredReport = { state: 'running'; runId: string; startedAt: string } | { state: 'finished'; report: RotationReport };

/** The steps of a revoke, in order; a retry of an unfinished revoke continues after the last one done. */
export const REVOKE_STEPS = ['regenerateOtherKey', 'mintAndPublish', 'regenerateKeyInUse'] as const;
export type RevokeStep = (typeof REVOKE_STEPS)[number];

export interface RevokeProgress {
  revokeId: string;
  startedAt: string;
  /** The key the published token used when the revoke began; the new token is minted with the other. */
  keyInUse: 'primary' | 'secondary';
  done: RevokeStep[];
  finishedAt?: string;
  outcome?: { keyType: 'primary' | 'secondary'; expiresOn: string; rotationId: string };
}

/** One target's lease, held for this run until released; renewed meanwhile. */
export interface HeldLease {
  release(): Promise<void>;
}

export interface RotationStoreOptions {
  /** Blob lease length, in the storage service's real seconds; renewed at a third of it while the holder works. */
  leaseSeconds: number;
  /** A holder that started longer ago than this (one schedule interval, on the broker's clock) is taken to have crashed. */
  staleHolderMs: number;
}

interface HolderRecord {
  runId: string;
  startedAt: string;
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/**
 * The rotation's state in the app's blob storage, shared by every instance: a lease blob per target
 * (one run per target at a time, across instances and triggers), the per-target record readiness
 * reads, and the run reports the asynchronous run route serves.
 */
export class RotationStore {
  private container: Promise<void> | undefined;

  constructor(
    private readonly client: ContainerClient,
    private readonly clock: Clock,
    private readonly options: RotationStoreOptions,
  ) {}

  /**
   * The target's lease, or undefined while another run holds it. A holder whose recorded start is
   * older than one schedule interval of the broker's clock is taken to have crashed: its lease is
   * broken, so a target is never blocked longer than that.
   */
  async acquire(targetKey: string, runId: string): Promise<HeldLease | undefined> {
    await this.ensureContainer();
    const blob = this.client.getBlockBlobClient(`leases/${targetKey}`);
    await blob.upload('{}', 2, { conditions: { ifNoneMatch: '*' } }).catch((error: unknown) => {
      if (statusOf(error) !== 409) throw error;
    });
    const leases = blob.getBlobLeaseClient();
    try {
      await leases.acquireLease(this.options.leaseSeconds);
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      if (!(await this.holderCrashed(targetKey))) return undefined;
      await leases.breakLease(0);
      try {
        await leases.acquireLease(this.options.leaseSeconds);
      } catch (again) {
        if (statusOf(again) === 409) return undefined;
        throw again;
      }
    }
    const holder: HolderRecord = { runId, startedAt: this.clock.now().toISOString() };
    const text = JSON.stringify(holder);
    await blob.upload(text, Buffer.byteLength(text), { conditions: { leaseId: leases.leaseId } });
    // The storage service keeps the lease's expiry in real time, whatever the broker's clock says.
    const renewal = setInterval(
      () => {
        leases.renewLease().catch(() => {
          // A lapsed lease only lets another run take the target after this one, which its re-read of
          // the published token allows.
        });
      },
      (this.options.leaseSeconds * 1000) / 3,
    );
    renewal.unref();
    return {
      release: async () => {
        clearInterval(renewal);
        await leases.releaseLease();
      },
    };
  }

  async readRecord(targetKey: string): Promise<TargetRecord | undefined> {
    return this.readJson<TargetRecord>(`targets/${targetKey}.json`);
  }

  async writeRecord(targetKey: string, record: TargetRecord): Promise<void> {
    await this.writeJson(`targets/${targetKey}.json`, record);
  }

  /** The finished report, else the running marker: each is its own blob, written once, so no read meets a rewrite. */
  async readReport(runId: string): Promise<StoredReport | undefined> {
    return (await this.readJson<StoredReport>(`runs/${runId}.json`)) ?? this.readJson<StoredReport>(`runs/${runId}.running.json`);
  }

  async writeReport(runId: string, report: StoredReport): Promise<void> {
    await this.writeJson(report.state === 'finished' ? `runs/${runId}.json` : `runs/${runId}.running.json`, report);
  }

  async readRevoke(targetKey: string): Promise<RevokeProgress | undefined> {
    return this.readJson<RevokeProgress>(`revokes/${targetKey}.json`);
  }

  async writeRevoke(targetKey: string, progress: RevokeProgress): Promise<void> {
    await this.writeJson(`revokes/${targetKey}.json`, progress);
  }

  /** An earlier answer kept under `key` (idempotent retries), if it is younger than `maxAgeMs`. */
  async readAnswer<T>(key: string, maxAgeMs: number): Promise<T | undefined> {
    const kept = await this.readJson<{ at: string; answer: T }>(`answers/${key}.json`);
    if (!kept || this.clock.now().getTime() - Date.parse(kept.at) >= maxAgeMs) return undefined;
    return kept.answer;
  }

  async writeAnswer<T>(key: string, answer: T): Promise<void> {
    await this.writeJson(`answers/${key}.json`, { at: this.clock.now().toISOString(), answer });
  }

  private async holderCrashed(targetKey: string): Promise<boolean> {
    const holder = await this.readJson<Partial<HolderRecord>>(`leases/${targetKey}`);
    const startedAt = holder?.startedAt === undefined ? Number.NaN : Date.parse(holder.startedAt);
    // No start recorded yet: the holder has just taken the lease (or crashed at once, and the real-time lease expires).
    return !Number.isNaN(startedAt) && this.clock.now().getTime() - startedAt > this.options.staleHolderMs;
  }

  private async ensureContainer(): Promise<void> {
    this.container ??= this.client
      .createIfNotExists()
      .then(() => undefined)
      .catch((error: unknown) => {
        this.container = undefined;
        throw error;
      });
    return this.container;
  }

  private async readJson<T>(name: string, attempt = 1): Promise<T | undefined> {
    await this.ensureContainer();
    let body: Buffer;
    try {
      // One request: `downloadToBuffer` asks for the properties first.
      const response = await this.client.getBlockBlobClient(name).download();
      body = await streamToBuffer(response.readableStreamBody);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch (error) {
      // A read that met a rewrite of the same blob (records are rewritten every run) is read again once.
      if (attempt === 1) return this.readJson<T>(name, 2);
      throw error;
    }
  }

  private async writeJson(name: string, value: unknown): Promise<void> {
    await this.ensureContainer();
    const text = JSON.stringify(value);
    await this.client.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }
}

async function streamToBuffer(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream ?? []) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
