import type { RotationReport } from '../schemas/rotationSchemas';

export type { RotationReport, TargetOutcome } from '../schemas/rotationSchemas';

/** 200 when no target failed, 207 (Multi-Status) otherwise. */
export function reportStatus(report: RotationReport): 200 | 207 {
  return report.targets.some((target) => target.action === 'failed') ? 207 : 200;
}
