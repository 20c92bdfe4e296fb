/**
 * Re-homing (SPEC 4.10): when a member of a database with a replica count leaves (removed from
 * hdb_nodes, or its links down longer than REHOME_DOWN_AFTER_MS), records it held get new
 * holders so each keeps replicateTo + 1 (sharding.ts rehomedHolders). One holder per record does
 * it — the first, by name, of its remaining holders this node can reach (itself included) —
 * by logging the record again under its own version and origin with the new holder list: new
 * holders take it over their stub (same write, full record), everyone else drops it as a
 * duplicate, so nothing is resurrected and no newer write is overwritten. Progress per table is
 * in cluster_status.
 */
import type { Logger } from '../log/logger.ts';
import type { Database } from '../storage/database.ts';
import type { PrimaryKey, StoredRecord } from '../storage/types.ts';
import type { Link } from './link.ts';
import { membersOf, rehomedHolders, sameHolders, shardedDatabases, type MemberSource } from './sharding.ts';

/** A member whose links for a database have been down this long no longer counts as a holder. */
export const REHOME_DOWN_AFTER_MS = 60_000;
/** How often membership is checked for members gone or down past the bound. */
export const REHOME_CHECK_INTERVAL_MS = 1_000;
/** Records re-homed in one transaction batch. */
export const REHOME_BATCH_RECORDS = 500;

export interface RehomeProgress {
  moved: number;
  total: number;
}

export interface RehomeHost {
  readonly memberSource: MemberSource;
  readonly logger: Logger;
  links(): Link[];
  database(name: string): Database | undefined;
}

export class Rehomer {
  readonly #progress = new Map<string, RehomeProgress>();
  /** the live members each database was last re-homed for */
  readonly #settled = new Map<string, string>();
  /** when each peer's links of a database were last seen down with none open: `${peer}\0${db}` → ms */
  readonly #downSince = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #again = false;

  constructor(
    private readonly host: RehomeHost,
    private readonly downAfterMs = REHOME_DOWN_AFTER_MS,
  ) {}

  start(): void {
    this.#timer = setInterval(() => this.trigger(), REHOME_CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  progress(database: string, table: string): RehomeProgress | null {
    return this.#progress.get(`${database}\u0000${table}`) ?? null;
  }

  /** Check now (hdb_nodes changed, or the interval). Runs one pass at a time. */
  trigger(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void this.#run()
      .catch((error: unknown) => this.host.logger.error('Re-homing failed', { error: String(error) }))
      .finally(() => {
        this.#running = false;
        if (this.#again) {
          this.#again = false;
          this.trigger();
        }
      });
  }

  async #run(): Promise<void> {
    for (const settings of shardedDatabases(this.host.memberSource.config)) {
      if (settings.replicateTo === null || settings.replicateToNames) continue;
      const database = this.host.database(settings.database);
      if (!database || database.closed) continue;
      const live = this.#liveMembers(settings.database);
      const signature = live.join('\u0000');
      if (this.#settled.get(settings.database) === signature) continue;
      // The first pass only learns the members: nothing has left yet.
      const first = !this.#settled.has(settings.database);
      this.#settled.set(settings.database, signature);
      if (first && database.tables().every((t) => t.recordCount() === 0)) continue;
      for (const table of database.tables()) await this.#rehomeTable(database, table.name, live, settings.replicateTo);
    }
  }

  /** Members of `database` not down past the bound (this node always). */
  #liveMembers(database: string): string[] {
    const now = Date.now();
    const open = new Set(this.host.links().filter((l) => l.database.name === database && l.state === 'open').map((l) => l.peer));
    return membersOf(this.host.memberSource, database).filter((member) => {
      if (member === this.host.memberSource.nodeName || open.has(member)) {
        this.#downSince.delete(`${member}\u0000${database}`);
        return true;
      }
      const key = `${member}\u0000${database}`;
      const since = this.#downSince.get(key) ?? now;
      this.#downSince.set(key, since);
      return now - since < this.downAfterMs;
    });
  }

  async #rehomeTable(database: Database, tableName: string, live: string[], count: number): Promise<void> {
    const table = database.table(tableName);
    if (!table || !table.definition.replicate) return;
    const self = this.host.memberSource.nodeName;
    const reachable = new Set([self, ...this.host.links().filter((l) => l.database.name === database.name && l.state === 'open').map((l) => l.peer)]);
    const moves: Array<{ key: PrimaryKey; stored: StoredRecord; holders: string[] }> = [];
    for (const { key, stored } of table.scan()) {
      if (!stored.h) continue;
      const holders = rehomedHolders(key, stored.h, live, count);
      if (sameHolders(holders, stored.h)) continue;
      const lead = stored.h.filter((h) => live.includes(h) && reachable.has(h)).sort()[0];
      if (lead === self) moves.push({ key, stored, holders });
    }
    if (moves.length === 0) return;
    const progress: RehomeProgress = { moved: 0, total: moves.length };
    this.#progress.set(`${database.name}\u0000${tableName}`, progress);
    this.host.logger.info('Re-homing records', { database: database.name, table: tableName, records: moves.length, members: live });
    for (let i = 0; i < moves.length; i += REHOME_BATCH_RECORDS) {
      const batch = moves.slice(i, i + REHOME_BATCH_RECORDS);
      await database.transactBatch(
        batch.map(({ key, stored, holders }) => ({
          options: { user: null, version: stored.v, origin: stored.o, merged: true },
          write: (tx) => {
            const current = table.getStored(key);
            // A newer write since the scan chose its own holders: leave it.
            if (!current || current.v !== stored.v || current.o !== stored.o) return;
            table.writeRecord(key, current.r, current.v, current.o, current, holders);
            tx.logWrite({ t: table.name, k: key, r: current.r, h: holders });
          },
        })),
      );
      progress.moved += batch.length;
    }
  }
}
