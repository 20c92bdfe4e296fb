/**
 * The history of client operations a fault scenario issues, and the seeded workload that
 * issues them. Every write carries a unique token and a checksum, so the invariant checker
 * (invariants.ts) can tell whose write a stored record is, and whether it is whole. After each
 * acknowledgement the writer node is read back for the record's `$version`, so winners are
 * judged by the versions the nodes themselves compare.
 */
import crypto from 'node:crypto';
import type { NodeProcess } from './node-process.ts';
import { seededRandom } from './fault-proxy.ts';

export const DATABASE = 'dev';
export const TABLE = 'item';

/** What a stored test record looks like. */
export interface ItemRecord {
  id: string;
  /** token of the write that stored it (unique per write) */
  w: string;
  /** batch (transaction) token: every record of one request shares it */
  b: string;
  payload: string;
  /** checksum of id, w, b and payload: a torn record fails it */
  sum: string;
}

export interface WriteOp {
  kind: 'write';
  key: string;
  token: string;
  batch: string;
  node: string;
  startedAt: number;
  /** acknowledged with 200 (undefined while in flight; false: failed or unknown outcome) */
  acked?: boolean;
  ackedAt?: number;
  /** $version read back on the writer right after the ack, when the record was still this write */
  version?: number;
  /** a newer version found at read-back instead (this write was already superseded) */
  supersededAt?: number;
}

export interface DeleteOp {
  kind: 'delete';
  key: string;
  node: string;
  startedAt: number;
  acked?: boolean;
  ackedAt?: number;
  /** $version of the key on the deleting node just before the delete (the delete is newer) */
  priorVersion?: number;
}

export type HistoryOp = WriteOp | DeleteOp;

export function checksum(id: string, w: string, b: string, payload: string): string {
  return crypto.createHash('sha256').update(`${id}\u0000${w}\u0000${b}\u0000${payload}`).digest('hex').slice(0, 16);
}

type VersionRow = { id: string; w?: string; $version?: number };

/** Read `$version` (and the write token) of keys on a node; a missing key is absent from the map. */
export async function readVersions(node: NodeProcess, keys: string[]): Promise<Map<string, VersionRow>> {
  const response = await node.op<VersionRow[]>({ operation: 'search_by_id', database: DATABASE, table: TABLE, ids: keys, get_attributes: ['id', 'w', '$version'] });
  if (response.status !== 200) throw new Error(`read-back on ${node.host}: ${response.status} ${JSON.stringify(response.body)}`);
  return new Map(response.body.map((row) => [row.id, row]));
}

export class History {
  readonly ops: HistoryOp[] = [];
  #tokens = 0;

  newToken(node: string): string {
    return `${node}#${++this.#tokens}`;
  }

  /** Upsert `keys` on `node` in one request (one transaction), recorded and read back. */
  async write(node: NodeProcess, keys: string[], payloadBytes: number): Promise<void> {
    const batch = this.newToken(node.host);
    const ops: WriteOp[] = keys.map((key) => ({ kind: 'write', key, token: `${batch}/${key}`, batch, node: node.host, startedAt: Date.now() }));
    this.ops.push(...ops);
    const records: ItemRecord[] = ops.map((op) => {
      const payload = op.token.padEnd(payloadBytes, '.');
      return { id: op.key, w: op.token, b: batch, payload, sum: checksum(op.key, op.token, batch, payload) };
    });
    const ok = await node.op({ operation: 'upsert', database: DATABASE, table: TABLE, records }).then((r) => r.status === 200, () => false);
    const ackedAt = Date.now();
    for (const op of ops) Object.assign(op, { acked: ok }, ok ? { ackedAt } : {});
    if (!ok) return;
    const rows = await readVersions(node, keys).catch(() => undefined);
    for (const op of ops) {
      const row = rows?.get(op.key);
      if (row?.w === op.token) op.version = row.$version;
      else if (row?.$version !== undefined) op.supersededAt = row.$version;
    }
  }

  /** Delete `key` on `node`, recorded with the version it deletes over. */
  async delete(node: NodeProcess, key: string): Promise<void> {
    const op: DeleteOp = { kind: 'delete', key, node: node.host, startedAt: Date.now() };
    this.ops.push(op);
    const prior = await readVersions(node, [key]).catch(() => undefined);
    const version = prior?.get(key)?.$version;
    if (version !== undefined) op.priorVersion = version;
    const ok = await node.op({ operation: 'delete', database: DATABASE, table: TABLE, ids: [key] }).then((r) => r.status === 200, () => false);
    op.acked = ok;
    if (ok) op.ackedAt = Date.now();
  }

  get acknowledgedWrites(): number {
    return this.ops.filter((op) => op.kind === 'write' && op.acked).length;
  }
}

export interface WorkloadOptions {
  seed: number;
  /** keys are k0..k(keys-1): few keys = many same-key races */
  keys: number;
  /** share of operations that are deletes */
  deleteRatio: number;
  /** records per write request (a transaction) at most */
  maxBatch: number;
  payloadBytes: number;
  /** pause between one node's operations */
  pauseMs: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = { seed: 1, keys: 200, deleteRatio: 0.15, maxBatch: 5, payloadBytes: 64, pauseMs: 5 };

/**
 * Runs one client per node (a node that is down makes its client's operations fail, recorded
 * as unacknowledged) until stop() is called. `writers()` says which nodes to use now.
 */
export class Workload {
  readonly #random: () => number;
  #stopped = false;
  #running: Promise<void>[] = [];

  constructor(
    readonly history: History,
    readonly options: WorkloadOptions,
  ) {
    this.#random = seededRandom(options.seed);
  }

  start(writers: () => NodeProcess[], clients = 3): void {
    for (let i = 0; i < clients; i++) this.#running.push(this.#client(i, writers));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#running);
    this.#running = [];
  }

  async #client(index: number, writers: () => NodeProcess[]): Promise<void> {
    const { keys, deleteRatio, maxBatch, payloadBytes, pauseMs } = this.options;
    while (!this.#stopped) {
      const candidates = writers().filter((node) => node.running);
      const node = candidates[(index + Math.floor(this.#random() * candidates.length)) % Math.max(1, candidates.length)];
      if (!node) {
        await sleep(50);
        continue;
      }
      const key = () => `k${Math.floor(this.#random() * keys)}`;
      if (this.#random() < deleteRatio) await this.history.delete(node, key());
      else await this.history.write(node, [...new Set(Array.from({ length: 1 + Math.floor(this.#random() * maxBatch) }, key))], payloadBytes);
      await sleep(pauseMs);
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
