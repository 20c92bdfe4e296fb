/**
 * Receiving an initial copy into a database never synced: frames are gathered into batches of
 * up to COPY_COMMIT_ITEMS items and each batch is committed in one transaction (storage/bulk-load.ts)
 * together with the copy's resume point (copy-resume.ts), while the next batch fills. Memory is
 * bounded by MAX_COPY_COMMITS_IN_FLIGHT + 1 batches plus the link's queue of frames (the link
 * stops reading the socket when its queue is full, and the sender waits on its send buffer). The conflict rule decides
 * every item, so a copy into a node with writes of its own, or a resumed copy that overlaps
 * what it already has, changes nothing that is newer.
 */
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Database } from '../storage/database.ts';
import { bulkLoad, MAX_BULK_ROWS, type BulkBatch, type BulkWrite } from '../storage/bulk-load.ts';
import type { Table } from '../storage/table.ts';
import type { PrimaryKey } from '../storage/types.ts';
import { systemRowProblem } from '../security/peer-input.ts';
import { writeCopyState, type CopyState } from './copy-resume.ts';
import { assertInvariant } from './link-state.ts';
import { COPY_BATCH_RECORDS, ProtocolError, type CopyMessage, type CopyStage } from './protocol.ts';
import { checkHolders, copiedInFull, incomingWins, type CopiedRecord } from './stubs.ts';

/** Items committed per transaction on the receiving side of an initial copy. */
export const COPY_COMMIT_ITEMS = 10_000;
assertInvariant(COPY_COMMIT_ITEMS + COPY_BATCH_RECORDS <= MAX_BULK_ROWS, 'a copy batch (plus the frame that overfills it) fits one bulk load');
/**
 * A copy commits in at least about this many batches, so its progress (counted at commit) moves
 * in steps of at most 1/COPY_MIN_COMMITS of the total, down to batches of COPY_MIN_COMMIT_ITEMS.
 */
export const COPY_MIN_COMMITS = 20;
export const COPY_MIN_COMMIT_ITEMS = 500;
assertInvariant(COPY_MIN_COMMIT_ITEMS <= COPY_COMMIT_ITEMS, 'the smallest copy batch is within the largest');

/** Items per commit for a copy of `total` items, at most `largest`. */
export function commitItemsFor(total: number, largest: number): number {
  return Math.min(largest, Math.max(COPY_MIN_COMMIT_ITEMS, Math.ceil(total / COPY_MIN_COMMITS)));
}

/**
 * Batches queued for commit at once (lmdb-js runs them in order): frames of the next batch are
 * read and decoded while earlier batches commit.
 */
export const MAX_COPY_COMMITS_IN_FLIGHT = 3;

/**
 * Test-only: PEERDESK_TEST_COPY_COMMIT_ITEMS commits smaller batches (read once, at start), so
 * a test of a small table sees several commits, hence resume points, before a kill.
 */
export const TEST_COPY_COMMIT_ITEMS_ENV = 'PEERDESK_TEST_COPY_COMMIT_ITEMS';

export function copyCommitItems(env: Record<string, string | undefined> = process.env): number {
  const text = env[TEST_COPY_COMMIT_ITEMS_ENV];
  if (text === undefined || text === '') return COPY_COMMIT_ITEMS;
  const items = Number(text);
  if (!Number.isInteger(items) || items < 1 || items > COPY_COMMIT_ITEMS) {
    throw new Error(`${TEST_COPY_COMMIT_ITEMS_ENV}=${JSON.stringify(text)}: expected an integer from 1 to ${COPY_COMMIT_ITEMS}`);
  }
  return items;
}

const COMMIT_ITEMS = copyCommitItems();

export interface BatchOwner {
  readonly database: Database;
  readonly clock: HybridLogicalClock;
  /** the copy's identity for its resume point */
  readonly peer: string;
  readonly sequence: number;
  /** items this copy announced (sizes its batches) */
  readonly total: number;
  /** items committed before this copy started (a resumed copy) */
  readonly base: number;
  /** a batch committed: `items` more are copied */
  committed(items: number): void;
  /** a commit failed: the link closes */
  fail(error: unknown): void;
}

export class CopyBatcher {
  #frames: CopyMessage[] = [];
  #items = 0;
  /** items of this copy in batches queued for commit or committed (each batch's resume point counts its own) */
  #queuedItems = 0;
  /** batches queued for commit, oldest first (lmdb-js commits them in this order) */
  readonly #committing: Array<Promise<void>> = [];

  readonly #commitItems: number;

  constructor(private readonly owner: BatchOwner) {
    this.#commitItems = commitItemsFor(owner.total, COMMIT_ITEMS);
  }

  /** Add a frame; commits a batch once COPY_COMMIT_ITEMS are gathered. */
  async add(message: CopyMessage): Promise<void> {
    if (!this.owner.database.table(message.table)) throw new ProtocolError(`copy of unknown table '${this.owner.database.name}.${message.table}'`);
    this.#frames.push(message);
    this.#items += message.records.length;
    if (this.#items >= this.#commitItems) await this.#flush();
  }

  /** Commit what is gathered and wait for every commit. */
  async finish(): Promise<void> {
    await this.#flush();
    await Promise.all(this.#committing.splice(0));
  }

  async #flush(): Promise<void> {
    if (this.#frames.length === 0) return;
    const frames = this.#frames;
    const items = this.#items;
    this.#frames = [];
    this.#items = 0;
    const committing = this.#commit(frames, items);
    committing.catch((error: unknown) => this.owner.fail(error));
    this.#committing.push(committing);
    if (this.#committing.length >= MAX_COPY_COMMITS_IN_FLIGHT) await this.#committing.shift();
  }

  async #commit(frames: CopyMessage[], items: number): Promise<void> {
    const { database, clock } = this.owner;
    const batches: BulkBatch[] = frames.map((frame) => ({ table: database.table(frame.table)!, rows: frame.records }));
    const last = frames[frames.length - 1]!;
    this.#queuedItems += items;
    const state = this.#stateAfter(last);
    const storedAt = clock.next();
    const decide = (table: Table, row: CopiedRecord): BulkWrite => decideRow(database, clock, table, row);
    await bulkLoad(database, batches, { decide, storedAt, finish: (meta) => state && writeCopyState(meta, state) });
    database.notifyTablesChanged([...new Set(frames.map((f) => f.table))]);
    this.owner.committed(items);
  }

  /** The resume point once this batch is in (none from a sender that does not name stages). */
  #stateAfter(last: CopyMessage): CopyState | null {
    const stage: CopyStage | undefined = last.stage;
    const lastKey: PrimaryKey | undefined = last.records[last.records.length - 1]?.[0];
    if (stage === undefined || lastKey === undefined) return null;
    const { peer, sequence, base } = this.owner;
    return { peer, sequence, table: last.table, stage, afterKey: lastKey, copied: base + this.#queuedItems };
  }
}

/** The conflict rule for one copied item, with the checks every peer row passes. */
function decideRow(database: Database, clock: HybridLogicalClock, table: Table, row: CopiedRecord): BulkWrite {
  const [key, version, origin, record, holders] = row;
  const rowProblem = systemRowProblem(database.name, table.name, key, record);
  if (rowProblem) throw new ProtocolError(rowProblem);
  checkHolders(holders);
  clock.observe(version);
  const full = copiedInFull(record, holders, database.nodeName);
  if (!incomingWins(table, key, { v: version, o: origin }, full)) return 'skip';
  if (holders && !full) return 'stub';
  return record ? 'record' : 'tombstone';
}
