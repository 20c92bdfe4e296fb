/**
 * Database copies over a link, both ends. Sending (`sendCopy`): a consistent snapshot of every
 * table this node publishes to the peer — records, then tombstones — in frames capped in bytes,
 * bracketed by copy-start and copy-end carrying the snapshot's log position; used for the
 * initial copy and for resyncs (the peer missed purged log, or cluster_verify repair).
 * Receiving (`CopyReceiver`): creates the tables named, applies frames a few at a time in order,
 * and on copy-end records the position and that the database is synced.
 */
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Logger } from '../log/logger.ts';
import type { Database, DatabaseSnapshot } from '../storage/database.ts';
import type { Table } from '../storage/table.ts';
import type { PrimaryKey } from '../storage/types.ts';
import { applyCopiedRecords, positionKey, SYNCED_KEY } from './apply.ts';
import { FrameAssembler, MAX_ITEM_BYTES } from './frames.ts';
import { tableSchemas } from './handshake.ts';
import { assertInvariant } from './link-state.ts';
import { CopyBatcher } from './copy-receive.ts';
import { canResume, COPY_STATE_KEY, readCopyState, stageStart, tableStart, type TableStart } from './copy-resume.ts';
import { COPY_BATCH_RECORDS, COPY_STAGES, encodeValue, ProtocolError, type CopyEndMessage, type CopyMessage, type CopyResume, type CopyStage, type CopyStartMessage, type Message } from './protocol.ts';

/** Resync frames being committed at once on the receiving side (an initial copy batches: copy-receive.ts). */
export const MAX_COPY_APPLIES_IN_FLIGHT = 3;

export type CopyKind = 'initial' | 'resync';

export interface CopyProgress {
  /** items applied, those a resumed copy had before included */
  copied: number;
  total: number;
  done: boolean;
  /** when this copy (or its resumption) started, ms since the epoch; rate and ETA are over it */
  startedAt: number;
  /** items committed before a resumed copy started (0 for a copy from the beginning) */
  resumedFrom: number;
  endedAt: number | null;
}

/** A record (or tombstone) too large for any frame: it cannot be sent, so the copy fails loudly. */
export class FrameTooLargeError extends Error {
  override name = 'FrameTooLargeError';
}

/** What sending a copy needs from its link. */
export interface CopySender {
  readonly peer: string;
  readonly database: Database;
  readonly logger: Logger;
  /** this node sends `table` to the peer */
  publishes(table: string): boolean;
  send(message: Message): void;
  sendFrame(frame: Buffer): void;
  /** resolves when the socket's send buffer is below its high-water mark (or the link ends) */
  drained(): Promise<void>;
  ending(): boolean;
  /** the peer's hello asked to resume an interrupted initial copy (copy-resume.ts) */
  copyResume?(): CopyResume | null;
}

/**
 * Send a consistent snapshot of every published table, tables in name order, each as records,
 * stubs, tombstones (COPY_STAGES). An initial copy the peer asks to resume (copy-resume.ts)
 * continues after the item it names, when this node can. Resolves with the log position the
 * peer has once it applies the copy (a resumed copy's original one), or null if the link ended.
 */
export async function sendCopy(link: CopySender, kind: CopyKind): Promise<number | null> {
  const { database } = link;
  const requested = kind === 'initial' ? (link.copyResume?.() ?? null) : null;
  const resume = requested && canResume(database, requested) ? requested : null;
  if (requested && !resume) link.logger.warn('Copy resume refused: the log no longer reaches back to its start; sending the whole copy', { peer: link.peer, database: database.name, sequence: requested.sequence });
  const snapshot = database.openSnapshot();
  try {
    const tables = database
      .tables()
      .filter((t) => t.definition.replicate && link.publishes(t.name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const plan = tables.flatMap((table) => {
      const start = tableStart(table.name, resume);
      return start === 'skip' ? [] : [{ table, start }];
    });
    const total = plan.reduce((sum, { table, start }) => sum + itemsLeft(snapshot, table, start), 0);
    const sequence = resume ? resume.sequence : snapshot.sequence;
    link.logger.info('Sending database copy', { peer: link.peer, database: database.name, kind, total, ...(resume ? { resumedAfter: resume } : {}) });
    // Tables created after the hello but before the snapshot are in neither the hello nor
    // the log streamed after the snapshot: name them here.
    const names = new Set(tables.map((t) => t.name));
    link.send({ t: 'copy-start', total, sequence, tables: tableSchemas(database, (name) => names.has(name)), ...(resume ? { resumed: true } : {}) });
    for (const { table, start } of plan) {
      for (const stage of COPY_STAGES) {
        const { send, after } = stageStart(stage, start);
        if (send && !(await sendStage(link, snapshot, table, stage, after))) return null;
      }
    }
    link.send({ t: 'copy-end', sequence });
    return sequence;
  } finally {
    snapshot.release();
  }
}

/** Items of `table` a copy starting at `start` carries. */
function itemsLeft(snapshot: DatabaseSnapshot, table: Table, start: Exclude<TableStart, 'skip'>): number {
  if (start === 'all') return snapshot.count(table);
  let n = 0;
  for (const stage of COPY_STAGES) {
    const { send, after } = stageStart(stage, start);
    if (send) n += snapshot.countAfter(table, stage, after);
  }
  return n;
}

/** The items of one stage of a table, in key order after `after`: false if the link ended. */
async function sendStage(link: CopySender, snapshot: DatabaseSnapshot, table: Table, stage: CopyStage, after: PrimaryKey | undefined): Promise<boolean> {
  let batch = new FrameAssembler();
  const flush = async () => {
    if (batch.count === 0) return;
    link.sendFrame(batch.build('copy', 'records', { table: table.name, stage }));
    batch = new FrameAssembler();
    await link.drained();
  };
  const push = async (item: CopyMessage['records'][number]) => {
    const encoded = encodeValue(item);
    if (encoded.length > MAX_ITEM_BYTES) {
      throw new FrameTooLargeError(`record ${JSON.stringify(item[0]).slice(0, 40)} of ${table.name} is ${encoded.length} bytes, more than a frame carries`);
    }
    if (!batch.fits(encoded.length) || batch.count >= COPY_BATCH_RECORDS) await flush();
    batch.add(encoded);
  };
  for (const item of stageItems(snapshot, table, stage, after, link.peer)) {
    await push(item);
    if (link.ending()) return false;
  }
  await flush();
  return true;
}

function* stageItems(snapshot: DatabaseSnapshot, table: Table, stage: CopyStage, after: PrimaryKey | undefined, peer: string): Generator<CopyMessage['records'][number]> {
  if (stage === 'records') {
    for (const { key, stored } of snapshot.records(table, after)) {
      // Sharded: the record only to its holders; the others keep a stub.
      if (!stored.h) yield [key, stored.v, stored.o, stored.r];
      else yield [key, stored.v, stored.o, stored.h.includes(peer) ? stored.r : null, stored.h];
    }
  } else if (stage === 'stubs') {
    for (const { key, stub } of snapshot.stubs(table, after)) yield [key, stub.v, stub.o, null, stub.h];
  } else {
    for (const { key, tombstone } of snapshot.tombstones(table, after)) yield [key, tombstone.v, tombstone.o, null];
  }
}

/** The receiving end of copies on one link. */
export class CopyReceiver {
  #progress: CopyProgress | null = null;
  /** items in frames being applied, not yet counted as copied */
  #inFlightItems = 0;
  /** resync frames being applied (committed in order by lmdb-js) */
  readonly #applies: Array<Promise<void>> = [];
  /** an initial copy: frames gathered into big commits that carry the resume point */
  #batcher: CopyBatcher | null = null;

  constructor(
    /** the link's side: `peer` is read live (an inbound link learns it from the hello) */
    private readonly link: { readonly peer: string; readonly database: Database; readonly clock: HybridLogicalClock; readonly logger: Logger },
    /** an apply failed: the link closes at once, even if nothing awaits that apply any more */
    private readonly fail: (error: unknown) => void,
  ) {}

  get progress(): CopyProgress | null {
    return this.#progress;
  }

  async start(message: CopyStartMessage): Promise<void> {
    const { database, peer, logger, clock } = this.link;
    await database.ensureTables((message.tables ?? []).filter((t) => t.replicate));
    const base = message.resumed ? resumedBase(database, peer, message.sequence) : 0;
    const progress: CopyProgress = { copied: base, total: base + message.total, done: false, startedAt: Date.now(), resumedFrom: base, endedAt: null };
    this.#progress = progress;
    this.#inFlightItems = 0;
    // Into a database never synced: big commits with a resume point. A resync merges frame by frame (logged).
    this.#batcher =
      database.getMeta<boolean>(SYNCED_KEY) === true
        ? null
        : new CopyBatcher({ database, clock, peer, sequence: message.sequence, total: message.total, base, committed: (items) => this.#committed(progress, items), fail: this.fail });
    logger.info('Receiving database copy', { peer, database: database.name, total: progress.total, ...(base > 0 ? { resumedFrom: base } : {}) });
  }

  async records(message: CopyMessage): Promise<void> {
    const progress = this.#progress;
    if (!progress || progress.done) throw new ProtocolError('copy frame outside a copy');
    // copied counts what is applied, total what copy-start announced (records and tombstones of
    // one read transaction): more items than announced is a confused or hostile peer.
    if (progress.copied + this.#inFlightItems + message.records.length > progress.total) {
      throw new ProtocolError(`copy carries more than the ${progress.total} records and tombstones its copy-start announced`);
    }
    this.#inFlightItems += message.records.length;
    if (this.#batcher) return this.#batcher.add(message);
    // Decode the next frame while this one commits: a few applies in flight, in order.
    const applying = applyCopiedRecords(this.link.database, this.link.clock, message.table, message.records).then(() => this.#committed(progress, message.records.length));
    applying.catch((error: unknown) => this.fail(error));
    this.#applies.push(applying);
    if (this.#applies.length >= MAX_COPY_APPLIES_IN_FLIGHT) await this.#applies.shift();
  }

  /** copy-end: wait for every apply, then persist the position. Resolves with that position. */
  async end(message: CopyEndMessage): Promise<number> {
    const progress = this.#progress;
    if (!progress || progress.done) throw new ProtocolError('copy-end outside a copy');
    await this.#batcher?.finish();
    await Promise.all(this.#applies.splice(0));
    const { database, peer, logger } = this.link;
    const stored = database.getMeta<number>(positionKey(peer)) ?? 0;
    const position = Math.max(message.sequence, stored);
    assertInvariant(position >= stored, 'the position with a peer never moves backwards');
    await database.setMeta([
      [positionKey(peer), position],
      [SYNCED_KEY, true],
      [COPY_STATE_KEY, undefined],
    ]);
    progress.done = true;
    progress.endedAt = Date.now();
    this.#batcher = null;
    logger.info('Database copy complete', { peer, database: database.name, records: progress.copied });
    return position;
  }

  #committed(progress: CopyProgress, items: number): void {
    this.#inFlightItems -= items;
    progress.copied += items;
  }
}

/** Items a resumed copy already has: the persisted state must be the one this node asked to resume. */
function resumedBase(database: Database, peer: string, sequence: number): number {
  const state = readCopyState(database);
  if (!state || state.peer !== peer || state.sequence !== sequence) {
    throw new ProtocolError(`copy-start resumes a copy from position ${sequence} this node did not ask to resume`);
  }
  return state.copied;
}
