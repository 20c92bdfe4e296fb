/** Pure helpers of the horizon feature: counts and short descriptions of rows. */
import type { HaltedDatabase } from '../../api/operations/cluster-horizon.ts';

/** Characters of a record shown in the list. */
export const RECORD_PREVIEW_CHARS = 120;

export function rowCount(database: HaltedDatabase): number {
  return (database.tables ?? []).reduce((sum, t) => sum + t.total, 0);
}

/** A version is a hybrid-logical-clock time in ms: shown as the time it was written. */
export function describeVersion(version: number): string {
  return Number.isFinite(version) && version > 0 ? new Date(version).toLocaleString() : String(version);
}

export function previewRecord(record: Record<string, unknown>): string {
  const shown = Object.fromEntries(Object.entries(record).filter(([name]) => !name.startsWith('__')));
  const text = JSON.stringify(shown);
  return text.length > RECORD_PREVIEW_CHARS ? `${text.slice(0, RECORD_PREVIEW_CHARS - 1)}…` : text;
}
