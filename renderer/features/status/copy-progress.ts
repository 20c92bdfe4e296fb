/**
 * How an initial copy in progress reads in the app (the status table and the topology's link
 * panel): "copied / total", then the node's measured rate and time left when it reports them
 * (older nodes do not), and where a resumed copy picked up.
 */
import type { CopyProgress } from '../../api/operations/cluster-status.ts';
import { formatDuration, formatNumber } from '../../lib/format.ts';

/** "12,000 / 100,000 · 45,000 records/s · 2s left · resumed at 50,000". */
export function copyProgressText(copy: CopyProgress): string {
  const parts = [`${formatNumber(copy.copied)} / ${formatNumber(copy.total)}`];
  if (typeof copy.records_per_s === 'number' && copy.records_per_s > 0) parts.push(`${formatNumber(copy.records_per_s)} records/s`);
  if (!copy.done && typeof copy.eta_s === 'number') parts.push(`${formatDuration(copy.eta_s)} left`);
  if (typeof copy.resumed_from === 'number' && copy.resumed_from > 0) parts.push(`resumed at ${formatNumber(copy.resumed_from)}`);
  return parts.join(' · ');
}
