/**
 * Shapes stored in LMDB: records with their version, table definitions, and the entries of
 * the transaction log that replication streams from.
 */
import type { PrimaryKey } from './names.ts';

export type { PrimaryKey };

/** A record as clients see it: a JSON object. */
export type DataRecord = Record<string, unknown>;

/** What the records sub-database holds per key: the record and who wrote which version. */
export interface StoredRecord {
  /** version (hybrid logical clock ms) of the transaction that wrote this record */
  v: number;
  /** name of the node where that transaction originated */
  o: string;
  r: DataRecord;
  /** sharded tables (SPEC 4.10): the nodes that hold this record in full */
  h?: string[];
}

/**
 * What a node that does not hold a record of a sharded table keeps of it (SPEC 4.10): its
 * version and origin (so the conflict rule works here as on a holder) and who holds it.
 */
export interface Stub {
  v: number;
  o: string;
  h: string[];
}

/**
 * A deleted key, kept for `replication.tombstoneRetention` (far longer than the log) so an older
 * put cannot resurrect it, not even through a snapshot merge (SPEC 4.6).
 */
export interface Tombstone {
  v: number;
  o: string;
  /**
   * When it was stored here, on this node's clock: the log sequence of the transaction that
   * wrote it, or the clock's reading for one merged from a copy. Retention and the tombstone
   * horizon go by this, since a peer's position is a sequence of this node's log. Absent in
   * tombstones written before it existed (their version stands in).
   */
  s?: number;
}

export interface TableDefinition {
  database: string;
  name: string;
  primaryKey: string;
  /** attribute names in the order they first appeared; all are indexed */
  attributes: string[];
  /**
   * attributes that have held a string too long to index (indexing.ts): searches that could
   * match one read the records. Absent in definitions written before it existed, whose indexes
   * held long strings by a prefix: every attribute counts then.
   */
  unindexed?: string[];
  /** false: never replicated (SPEC 4.2) */
  replicate: boolean;
  createdTime: number;
}

/** One record-level change inside a logged transaction. */
export interface LoggedWrite {
  /** table name */
  t: string;
  /** primary key */
  k: PrimaryKey;
  /** the full record after a put; absent for a delete */
  r?: DataRecord;
  /** true for a delete */
  d?: true;
  /** sharded tables: the nodes that hold the record in full (sharding.ts) */
  h?: string[];
  /** true: a stub sent to a non-holder (no `r`; the receiver keeps key, version and holders) */
  x?: true;
}

/** A schema change carried in the log so that it replicates with the data around it. */
export type SchemaChange =
  | { kind: 'create_table'; table: string; primaryKey: string; attributes: string[]; replicate: boolean }
  | { kind: 'drop_table'; table: string }
  | { kind: 'create_attribute'; table: string; attribute: string };

/** One committed transaction, keyed in the log by its local sequence (commit order). */
export interface LogEntry {
  /** version all writes of the transaction carry, on every node */
  v: number;
  /** origin node name */
  o: string;
  /** user who issued the write at the origin (null for system work) */
  u: string | null;
  w: LoggedWrite[];
  s?: SchemaChange[];
  /**
   * Merged: written under another node's version and origin from a copy or a repair, not as it
   * streamed from its origin's log, so its origin's own link would not bring it: relays send it
   * to every peer whatever links they have (replication/relay.ts).
   */
  m?: true;
}
