/** Durations as the cluster views show them. */
import { formatDuration } from '../../lib/format.ts';

/** A duration in ms as people read it: "850 ms", "13.6 s", "4m" (null → "—"). */
export function formatMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  if (Math.abs(ms) < 1_000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return formatDuration(ms / 1_000);
}
