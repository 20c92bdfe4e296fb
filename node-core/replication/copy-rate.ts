/**
 * cluster_status's copy_progress (SPEC 5): HarperDB-style counts plus the rate of this copy
 * (or of its resumption) and the time it still needs at that rate.
 */
import type { CopyProgress } from './copy.ts';

/** Before this much of a copy has run, a rate (and an ETA from it) would be noise. */
export const MIN_RATE_WINDOW_MS = 250;

export interface CopyProgressStatus {
  copied: number;
  total: number;
  done: boolean;
  /** items per second since the copy (or its resumption) started; null until measurable */
  records_per_s: number | null;
  /** seconds left at that rate; 0 once done, null while unknown */
  eta_s: number | null;
  /** items the copy already had when it resumed after a restart (0: copied from the beginning) */
  resumed_from: number;
}

export function copyProgressStatus(progress: CopyProgress, now = Date.now()): CopyProgressStatus {
  const elapsedMs = (progress.endedAt ?? now) - progress.startedAt;
  const items = progress.copied - progress.resumedFrom;
  const rate = elapsedMs >= MIN_RATE_WINDOW_MS ? (items * 1000) / elapsedMs : null;
  const left = progress.total - progress.copied;
  const eta = progress.done ? 0 : rate !== null && rate > 0 ? Math.ceil(left / rate) : null;
  return { copied: progress.copied, total: progress.total, done: progress.done, records_per_s: rate === null ? null : Math.round(rate), eta_s: eta, resumed_from: progress.resumedFrom };
}
