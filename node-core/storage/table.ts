/**
 * One table: its records (primary key → StoredRecord), a secondary index over every attribute
 * ([attribute, value] → primary keys, dupSort) and its tombstones. Write methods must run inside
 * a write transaction of the table's database (see Database.transact); reads run anywhere.
 */
import type { Database as LmdbDb, Key } from 'lmdb';
import { indexKey, type IndexBatch } from './index-batch.ts';
import { hasUnindexedString, indexValuesOf, type IndexValue } from './indexing.ts';
import type { DataRecord, PrimaryKey, StoredRecord, Stub, TableDefinition, Tombstone } from './types.ts';

export const CREATED_TIME = '__createdtime__';
export const UPDATED_TIME = '__updatedtime__';

export interface TableStores {
  records: LmdbDb<StoredRecord, Key>;
  index: LmdbDb<PrimaryKey, Key>;
  tombstones: LmdbDb<Tombstone, Key>;
  /** sharded tables: keys this node does not hold (SPEC 4.10); a key is in at most one of records, stubs, tombstones */
  stubs: LmdbDb<Stub, Key>;
}

/** What decides the conflict rule for a key here: its record, stub or tombstone. */
export interface Stamp {
  v: number;
  o: string;
  /** a stub: the record is held elsewhere */
  stub?: true;
}

export class Table {
  readonly #knownAttributes: Set<string>;
  /** attributes that have held a string the index leaves out (TableDefinition.unindexed) */
  readonly #unindexed: Set<string>;
  /** false while the table has never had a delete: spares a tombstone lookup on every write */
  #mayHaveTombstones: boolean;
  /** false while the table has never had a stub (unsharded tables never do) */
  #mayHaveStubs: boolean;

  constructor(
    readonly definition: TableDefinition,
    readonly stores: TableStores,
    /** persists the definition when a write introduces new attributes */
    private readonly saveDefinition: (definition: TableDefinition) => void,
    /** the database's index writes of the running transaction (index-batch.ts) */
    private readonly indexBatch: IndexBatch,
  ) {
    this.#knownAttributes = new Set(definition.attributes);
    definition.unindexed ??= [...definition.attributes];
    this.#unindexed = new Set(definition.unindexed);
    this.#mayHaveTombstones = (stores.tombstones.getStats() as { entryCount: number }).entryCount > 0;
    this.#mayHaveStubs = (stores.stubs.getStats() as { entryCount: number }).entryCount > 0;
  }

  get name(): string {
    return this.definition.name;
  }

  get primaryKey(): string {
    return this.definition.primaryKey;
  }

  get(key: PrimaryKey): DataRecord | undefined {
    return this.stores.records.get(key)?.r;
  }

  getStored(key: PrimaryKey): StoredRecord | undefined {
    return this.stores.records.get(key);
  }

  getTombstone(key: PrimaryKey): Tombstone | undefined {
    return this.#mayHaveTombstones ? this.stores.tombstones.get(key) : undefined;
  }

  getStub(key: PrimaryKey): Stub | undefined {
    return this.#mayHaveStubs ? this.stores.stubs.get(key) : undefined;
  }

  /** The record's, stub's or tombstone's version and origin (what the conflict rule compares). */
  getStamp(key: PrimaryKey): Stamp | undefined {
    const stored = this.stores.records.get(key);
    if (stored) return stored;
    const stub = this.getStub(key);
    if (stub) return { v: stub.v, o: stub.o, stub: true };
    return this.getTombstone(key);
  }

  stubCount(): number {
    return this.#mayHaveStubs ? (this.stores.stubs.getStats() as { entryCount: number }).entryCount : 0;
  }

  /** Every stub in primary key order. */
  *scanStubs(): Generator<{ key: PrimaryKey; stub: Stub }> {
    if (!this.#mayHaveStubs) return;
    for (const { key, value } of this.stores.stubs.getRange({})) yield { key: key as PrimaryKey, stub: value };
  }

  recordCount(): number {
    return (this.stores.records.getStats() as { entryCount: number }).entryCount;
  }

  hasAttribute(attribute: string): boolean {
    return this.#knownAttributes.has(attribute);
  }

  /** Whether some record has (or had) a string in `attribute` that the index leaves out. */
  hasUnindexedValues(attribute: string): boolean {
    return this.#unindexed.has(attribute);
  }

  /** Every stored record in primary key order. */
  *scan(): Generator<{ key: PrimaryKey; stored: StoredRecord }> {
    for (const { key, value } of this.stores.records.getRange({})) {
      yield { key: key as PrimaryKey, stored: value };
    }
  }

  /** Primary keys whose `attribute` has exactly `value` in the index. */
  keysWithValue(attribute: string, value: IndexValue): PrimaryKey[] {
    this.indexBatch.flush();
    return [...this.stores.index.getValues(indexKey(attribute, value))];
  }

  /**
   * Index entries of `attribute` in key order from `start` (inclusive) until `visit` returns
   * false. Visits every (value, primary key) pair; the visitor decides when the range ends.
   */
  scanIndex(
    attribute: string,
    start: IndexValue | undefined,
    visit: (value: IndexValue, key: PrimaryKey) => boolean,
  ): void {
    this.indexBatch.flush();
    const range = this.stores.index.getRange({ start: indexKey(attribute, start) });
    for (const { key, value } of range) {
      const indexKey = key as [string, IndexValue];
      if (indexKey[0] !== attribute) return;
      if (!visit(indexKey[1], value)) return;
    }
  }

  /**
   * Store `record` under `key` at `version`, keeping the index in step. In a write txn.
   * `previous` is what is stored now, when the caller has already read it.
   */
  writeRecord(key: PrimaryKey, record: DataRecord, version: number, origin: string, previous = this.stores.records.get(key), holders?: string[]): void {
    this.#learnAttributes(record);
    this.#reindex(key, previous?.r, record);
    this.stores.records.put(key, holders ? { v: version, o: origin, r: record, h: holders } : { v: version, o: origin, r: record });
    if (this.#mayHaveTombstones && this.stores.tombstones.get(key) !== undefined) this.stores.tombstones.remove(key);
    if (this.#mayHaveStubs && this.stores.stubs.get(key) !== undefined) this.stores.stubs.remove(key);
  }

  /** Keep only a stub of `key` (this node does not hold it): any record or tombstone goes. In a write txn. */
  writeStub(key: PrimaryKey, version: number, origin: string, holders: string[]): void {
    const previous = this.stores.records.get(key);
    if (previous) {
      this.#reindex(key, previous.r, undefined);
      this.stores.records.remove(key);
    }
    if (this.#mayHaveTombstones && this.stores.tombstones.get(key) !== undefined) this.stores.tombstones.remove(key);
    this.#mayHaveStubs = true;
    this.stores.stubs.put(key, { v: version, o: origin, h: holders });
  }

  /**
   * Delete `key`, leaving a tombstone at `version` stored at `stamp` (see Tombstone.s). Returns
   * false when there was no record.
   */
  deleteRecord(key: PrimaryKey, version: number, origin: string, stamp: number): boolean {
    const previous = this.stores.records.get(key);
    this.#mayHaveTombstones = true;
    this.stores.tombstones.put(key, { v: version, o: origin, s: stamp });
    if (this.#mayHaveStubs && this.stores.stubs.get(key) !== undefined) this.stores.stubs.remove(key);
    if (!previous) return false;
    this.#reindex(key, previous.r, undefined);
    this.stores.records.remove(key);
    return true;
  }

  /** Go back to the stored definition's attribute lists (after a transaction that learned some was aborted). */
  resetAttributes(stored: Pick<TableDefinition, 'attributes' | 'unindexed'>): void {
    this.definition.attributes = [...stored.attributes];
    this.definition.unindexed = [...(stored.unindexed ?? stored.attributes)];
    this.#knownAttributes.clear();
    for (const attribute of this.definition.attributes) this.#knownAttributes.add(attribute);
    this.#unindexed.clear();
    for (const attribute of this.definition.unindexed) this.#unindexed.add(attribute);
  }

  /** Make sure `attribute` is part of the schema (create_attribute). In a write txn. */
  addAttribute(attribute: string): boolean {
    if (this.#knownAttributes.has(attribute)) return false;
    this.#knownAttributes.add(attribute);
    this.definition.attributes.push(attribute);
    this.saveDefinition(this.definition);
    return true;
  }

  #learnAttributes(record: DataRecord): void {
    let changed = false;
    for (const attribute of Object.keys(record)) {
      if (!this.#knownAttributes.has(attribute)) {
        this.#knownAttributes.add(attribute);
        this.definition.attributes.push(attribute);
        changed = true;
      }
    }
    if (changed) this.saveDefinition(this.definition);
  }

  /** Note that `attribute` holds a string the index leaves out (persisted with the definition). In a write txn. */
  #noteUnindexed(attribute: string): void {
    this.#unindexed.add(attribute);
    (this.definition.unindexed ??= []).push(attribute);
    this.saveDefinition(this.definition);
  }

  #reindex(key: PrimaryKey, before: DataRecord | undefined, after: DataRecord | undefined): void {
    const { index } = this.stores;
    const batch = this.indexBatch;
    const primaryKey = this.definition.primaryKey;
    if (!before && after) {
      // A new record (the common case): nothing to compare or remove.
      for (const attribute in after) {
        if (attribute === primaryKey) continue;
        const value = after[attribute];
        for (const indexed of indexValuesOf(value)) batch.put(index, attribute, indexed, key);
        if (!this.#unindexed.has(attribute) && hasUnindexedString(value)) this.#noteUnindexed(attribute);
      }
      return;
    }
    const attributes = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
    for (const attribute of attributes) {
      if (attribute === primaryKey) continue;
      const oldValues = before && attribute in before ? indexValuesOf(before[attribute]) : [];
      const newValues = after && attribute in after ? indexValuesOf(after[attribute]) : [];
      if (after && !this.#unindexed.has(attribute) && hasUnindexedString(after[attribute])) this.#noteUnindexed(attribute);
      if (oldValues.length === newValues.length && oldValues.every((v, i) => Object.is(v, newValues[i]))) continue;
      const keep = new Set(newValues);
      for (const value of oldValues) if (!keep.has(value)) batch.remove(index, attribute, value, key);
      const had = new Set(oldValues);
      for (const value of newValues) if (!had.has(value)) batch.put(index, attribute, value, key);
    }
  }
}
