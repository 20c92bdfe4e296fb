/**
 * A link's replication lag percentiles as a Peerdesk node reports them in cluster_status
 * (lag_p50_ms, lag_p99_ms over lag_window_ms): read, formatted and explained. Other nodes
 * (HarperDB) report none; the dashboard then shows the last lag only.
 */
import type { DatabaseSocket } from '../../api/operations/cluster-status.ts';
import { formatNumber } from '../../lib/format.ts';

export interface LagPercentiles {
  p50: number;
  p99: number;
  max: number | null;
  samples: number;
  windowMs: number | null;
  clamped: number;
}

const finite = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The socket's lag percentiles, or null when it reports none (or none yet: nothing applied in the window). */
export function lagPercentiles(socket: DatabaseSocket): LagPercentiles | null {
  const p50 = finite(socket.lag_p50_ms);
  const p99 = finite(socket.lag_p99_ms);
  if (p50 === null || p99 === null) return null;
  // A node never reports a negative lag; clamp anyway, so a bad answer cannot draw one.
  return {
    p50: Math.max(0, p50),
    p99: Math.max(0, p99),
    max: finite(socket.lag_max_ms),
    samples: finite(socket.lag_samples) ?? 0,
    windowMs: finite(socket.lag_window_ms),
    clamped: finite(socket.lag_clamped) ?? 0,
  };
}

/** Lags are often under a ms on a LAN: two decimals there, fewer as they grow. */
export function formatLagMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  return formatNumber(ms < 100 ? Math.round(ms * 10) / 10 : Math.round(ms), 'ms');
}

/** What the figures mean, for the cell's title. */
export function lagExplanation(lag: LagPercentiles): string {
  const window = lag.windowMs === null ? 'recently' : `in the last ${formatNumber(lag.windowMs / 1000)} s`;
  const parts = [`From commit on the peer to commit here: p50 and p99 of ${formatNumber(lag.samples)} transactions ${window}`];
  if (lag.max !== null) parts.push(`max ${formatLagMs(lag.max)}`);
  if (lag.clamped > 0) parts.push(`${formatNumber(lag.clamped)} read below 0 (this node's clock behind the peer's) and counted as 0`);
  return parts.join('; ');
}
