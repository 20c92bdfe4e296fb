/**
 * The conflict rule with sharded stubs (SPEC 4.10), shared by every path that applies a peer's
 * records (log entries, copies, logged merges): a holder list must be a short list of names, and
 * a record beats a stub of the very same write (a relayed stub may reach a holder first).
 */
import type { Table } from '../storage/table.ts';
import type { DataRecord, PrimaryKey } from '../storage/types.ts';
import { wins } from './conflict.ts';
import { ProtocolError } from './protocol.ts';

/**
 * A copied record: [key, version, origin, record or null, holders?]. With holders (a sharded
 * table) a null record is a stub, not a tombstone.
 */
export type CopiedRecord = [PrimaryKey, number, string, DataRecord | null, string[]?];

/** Most holders a record may list (a peer sending more is misbehaving). */
export const MAX_HOLDERS = 1_000;

/** A peer's holder list must be a short list of node names: anything else closes the link. */
export function checkHolders(holders: unknown): asserts holders is string[] | undefined {
  if (holders === undefined) return;
  if (!Array.isArray(holders) || holders.length > MAX_HOLDERS || !holders.every((h) => typeof h === 'string' && h.length > 0 && h.length <= 255)) {
    throw new ProtocolError('bad holder list in a sharded write');
  }
}

/** Whether a copied record is the full record for `self` (not a stub, not a tombstone). */
export function copiedInFull(record: DataRecord | null, holders: readonly string[] | undefined, self: string): boolean {
  return record !== null && (!holders || holders.includes(self));
}

/** The conflict rule over what this node has of the key (record, stub or tombstone), plus a record beating a stub of the same write. */
export function incomingWins(table: Table, key: PrimaryKey, stamp: { v: number; o: string }, full: boolean): boolean {
  const current = table.getStamp(key);
  if (wins(stamp, current)) return true;
  return full && current?.stub === true && current.v === stamp.v && current.o === stamp.o;
}

/** What this node has of `key` as a copied record: the record (with its holders), a stub, or a tombstone; null for nothing. */
export function copiedEntry(table: Table, key: PrimaryKey): CopiedRecord | null {
  const stored = table.getStored(key);
  if (stored) return stored.h ? [key, stored.v, stored.o, stored.r, stored.h] : [key, stored.v, stored.o, stored.r];
  const stub = table.getStub(key);
  if (stub) return [key, stub.v, stub.o, null, stub.h];
  const tombstone = table.getTombstone(key);
  return tombstone ? [key, tombstone.v, tombstone.o, null] : null;
}
