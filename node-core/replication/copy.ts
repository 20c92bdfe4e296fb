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
import type { Database } from '../storage/database.ts';
import { applyCopiedRecords, positionKey, SYNCED_KEY } from './apply.ts';
import { FrameAssembler, MAX_ITEM_BYTES } from './frames.ts';
import { tableSchemas } from './handshake.ts';
import { assertInvariant } from './link-state.ts';
import { COPY_BATCH_RECORDS, encodeValue, ProtocolError, type CopyEndMessage, type CopyMessage, type CopyStartMessage, type Message } from './protocol.ts';

/** Initial-copy frames being committed at once on the receiving side. */
export const MAX_COPY_APPLIES_IN_FLIGHT = 3;

export type CopyKind = 'initial' | 'resync';

export interface CopyProgress {
  copied: number;
  total: number;
  done: boolean;
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
}

/**
 * Send a consistent snapshot of every published table. Resolves with the snapshot's log
 * position (what the peer has once it applies the copy), or null if the link ended first.
 */
export async function sendCopy(link: CopySender, kind: CopyKind): Promise<number | null> {
  const { database } = link;
  const snapshot = database.openSnapshot();
  try {
    const tables = database.tables().filter((t) => t.definition.replicate && link.publishes(t.name));
    const total = tables.reduce((sum, t) => sum + snapshot.count(t), 0);
    link.logger.info('Sending database copy', { peer: link.peer, database: database.name, kind, total });
    // Tables created after the hello but before the snapshot are in neither the hello nor
    // the log streamed after the snapshot: name them here.
    const names = new Set(tables.map((t) => t.name));
    link.send({ t: 'copy-start', total, sequence: snapshot.sequence, tables: tableSchemas(database, (name) => names.has(name)) });
    for (const table of tables) {
      let batch = new FrameAssembler();
      const flush = async () => {
        if (batch.count === 0) return;
        link.sendFrame(batch.build('copy', 'records', { table: table.name }));
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
      for (const { key, stored } of snapshot.records(table)) {
        // Sharded: the record only to its holders; the others keep a stub.
        if (!stored.h) await push([key, stored.v, stored.o, stored.r]);
        else await push([key, stored.v, stored.o, stored.h.includes(link.peer) ? stored.r : null, stored.h]);
        if (link.ending()) return null;
      }
      for (const { key, stub } of snapshot.stubs(table)) {
        await push([key, stub.v, stub.o, null, stub.h]);
        if (link.ending()) return null;
      }
      for (const { key, tombstone } of snapshot.tombstones(table)) {
        await push([key, tombstone.v, tombstone.o, null]);
        if (link.ending()) return null;
      }
      await flush();
    }
    link.send({ t: 'copy-end', sequence: snapshot.sequence });
    return snapshot.sequence;
  } finally {
    snapshot.release();
  }
}

/** The receiving end of copies on one link. */
export class CopyReceiver {
  #progress: CopyProgress | null = null;
  /** items in frames being applied, not yet counted as copied */
  #inFlightItems = 0;
  /** copy frames being applied (committed in order by lmdb-js) */
  readonly #applies: Array<Promise<void>> = [];

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
    const { database, peer, logger } = this.link;
    await database.ensureTables((message.tables ?? []).filter((t) => t.replicate));
    this.#progress = { copied: 0, total: message.total, done: false };
    this.#inFlightItems = 0;
    logger.info('Receiving database copy', { peer, database: database.name, total: message.total });
  }

  async records(message: CopyMessage): Promise<void> {
    const progress = this.#progress;
    if (!progress || progress.done) throw new ProtocolError('copy frame outside a copy');
    // Decode the next frame while this one commits: a few applies in flight, in order.
    // copied counts what is applied, total what copy-start announced (records and tombstones of
    // one read transaction): more items than announced is a confused or hostile peer.
    if (progress.copied + this.#inFlightItems + message.records.length > progress.total) {
      throw new ProtocolError(`copy carries more than the ${progress.total} records and tombstones its copy-start announced`);
    }
    this.#inFlightItems += message.records.length;
    const applying = applyCopiedRecords(this.link.database, this.link.clock, message.table, message.records).then(() => {
      this.#inFlightItems -= message.records.length;
      progress.copied += message.records.length;
    });
    applying.catch((error: unknown) => this.fail(error));
    this.#applies.push(applying);
    if (this.#applies.length >= MAX_COPY_APPLIES_IN_FLIGHT) await this.#applies.shift();
  }

  /** copy-end: wait for every apply, then persist the position. Resolves with that position. */
  async end(message: CopyEndMessage): Promise<number> {
    const progress = this.#progress;
    if (!progress || progress.done) throw new ProtocolError('copy-end outside a copy');
    await Promise.all(this.#applies.splice(0));
    const { database, peer, logger } = this.link;
    const stored = database.getMeta<number>(positionKey(peer)) ?? 0;
    const position = Math.max(message.sequence, stored);
    assertInvariant(position >= stored, 'the position with a peer never moves backwards');
    await database.setMeta([
      [positionKey(peer), position],
      [SYNCED_KEY, true],
    ]);
    progress.done = true;
    logger.info('Database copy complete', { peer, database: database.name, records: progress.copied });
    return position;
  }
}
