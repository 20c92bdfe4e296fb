/**
 * The invariant checker of the fault suite: given the recorded history (history.ts) and every
 * node's full table state with `$version`/`$origin`, it finds lost acknowledged writes,
 * resurrected deletes, divergence (keys, records, versions, winners — both ways), torn and
 * ghost records and torn transactions. Also: RSS sampling with a peak, and the bound on dial
 * attempts the reconnect backoff implies.
 */
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS } from '../../node-core/replication/manager.ts';
import { checksum, DATABASE, TABLE, type DeleteOp, type History, type ItemRecord, type WriteOp } from './history.ts';
import { waitFor, type NodeProcess } from './node-process.ts';

export type StoredItem = ItemRecord & { $version: number; $origin: string };
export type TableSnapshot = Map<string, StoredItem>;

export interface Verdict {
  lostWrites: string[];
  resurrectedDeletes: string[];
  divergence: string[];
  tornOrGhost: string[];
  tornTransactions: string[];
}

export function violations(verdict: Verdict): string[] {
  return [...verdict.lostWrites, ...verdict.resurrectedDeletes, ...verdict.divergence, ...verdict.tornOrGhost, ...verdict.tornTransactions];
}

/** Network errors a read may meet under load (a keep-alive socket the server closed): tried this often. */
const READ_ATTEMPTS = 3;

/** A read-only request, retried on network errors (never on an HTTP answer). */
async function readOnlyRetry<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= READ_ATTEMPTS) throw error;
    }
  }
}

/** Every record of the test table on `node`, with the read-only $version and $origin. */
export async function snapshot(node: NodeProcess): Promise<TableSnapshot> {
  const response = await readOnlyRetry(() => node.op<StoredItem[]>({ operation: 'search_by_value', database: DATABASE, table: TABLE, attribute: 'id', value: '*', get_attributes: ['*', '$version', '$origin'] }));
  if (response.status !== 200) throw new Error(`snapshot of ${node.host}: ${response.status} ${JSON.stringify(response.body)}`);
  return new Map(response.body.map((row) => [row.id, row]));
}

/** A record as compared across nodes: every attribute and its version and origin (timestamps too: they replicate). */
const comparable = (record: StoredItem) => JSON.stringify(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Differences between two nodes' snapshots, both ways (keys only one holds, differing records). */
export function diverges(a: TableSnapshot, b: TableSnapshot, nameA: string, nameB: string, limit = 5): string[] {
  const out: string[] = [];
  for (const [key, record] of a) {
    const other = b.get(key);
    if (!other) out.push(`${key} on ${nameA} (v${record.$version} ${record.w}) but not on ${nameB}`);
    else if (comparable(record) !== comparable(other)) out.push(`${key} differs: ${nameA} v${record.$version} ${record.w} @${record.$origin}, ${nameB} v${other.$version} ${other.w} @${other.$origin}`);
  }
  for (const [key, record] of b) if (!a.has(key)) out.push(`${key} on ${nameB} (v${record.$version} ${record.w}) but not on ${nameA}`);
  return out.slice(0, limit);
}

/**
 * Wait (bounded) until every node holds the same keys, records, versions and origins; returns
 * the agreed snapshot and how long it took. Throws with the differences when it never does.
 */
export async function awaitConvergence(nodes: NodeProcess[], timeoutMs: number): Promise<{ state: TableSnapshot; ms: number }> {
  const started = Date.now();
  let last: string[] = [];
  try {
    const state = await waitFor('convergence', async () => {
      const states = await Promise.all(nodes.map((node) => snapshot(node)));
      last = states.slice(1).flatMap((s, i) => diverges(states[0]!, s, nodes[0]!.host, nodes[i + 1]!.host));
      return last.length === 0 ? states[0] : undefined;
    }, timeoutMs, 250);
    return { state, ms: Date.now() - started };
  } catch (error) {
    throw new Error(`no convergence within ${timeoutMs} ms: ${last.join('; ') || (error as Error).message}`);
  }
}

/** Judge the converged `state` against the history (see the module comment for each check). */
export function check(history: History, state: TableSnapshot): Verdict {
  const verdict: Verdict = { lostWrites: [], resurrectedDeletes: [], divergence: [], tornOrGhost: [], tornTransactions: [] };
  const writes = new Map<string, WriteOp>();
  const deletesByKey = new Map<string, DeleteOp[]>();
  for (const op of history.ops) {
    if (op.kind === 'write') writes.set(op.token, op);
    else deletesByKey.set(op.key, [...(deletesByKey.get(op.key) ?? []), op]);
  }
  for (const [key, record] of state) {
    const write = writes.get(record.w);
    if (!write || write.key !== key) verdict.tornOrGhost.push(`ghost: ${key} holds ${record.w}, which no client wrote to it`);
    else if (record.sum !== checksum(record.id, record.w, record.b, record.payload)) verdict.tornOrGhost.push(`torn: ${key} (${record.w}) fails its checksum`);
    else if (write.version !== undefined && write.version !== record.$version) verdict.tornOrGhost.push(`${key} holds ${record.w} at v${record.$version}, acknowledged at v${write.version}`);
  }
  for (const op of writes.values()) {
    if (!op.acked || op.version === undefined) continue;
    const final = state.get(op.key);
    if (final) {
      if (final.$version < op.version) verdict.lostWrites.push(`${op.key}: acknowledged ${op.token} v${op.version} lost to older v${final.$version} ${final.w}`);
      continue;
    }
    // Absent: a delete must explain it — any delete of the key except one the same node
    // acknowledged before this write began (that one is older on the same clock).
    const explains = (deletesByKey.get(op.key) ?? []).some((d) => !(d.node === op.node && d.acked && d.ackedAt! < op.startedAt));
    if (!explains) verdict.lostWrites.push(`${op.key}: acknowledged ${op.token} v${op.version} is gone and no delete explains it`);
  }
  for (const deletes of deletesByKey.values()) {
    for (const d of deletes) {
      if (!d.acked || d.priorVersion === undefined) continue;
      const final = state.get(d.key);
      if (final && final.$version <= d.priorVersion) verdict.resurrectedDeletes.push(`${d.key}: deleted on ${d.node} over v${d.priorVersion}, back with v${final.$version} ${final.w}`);
    }
  }
  const batches = new Map<string, Set<string>>();
  for (const record of state.values()) batches.set(record.b, (batches.get(record.b) ?? new Set()).add(`${record.$version}@${record.$origin}`));
  for (const [batch, versions] of batches) if (versions.size > 1) verdict.tornTransactions.push(`transaction ${batch} stored with several versions: ${[...versions].join(', ')}`);
  return verdict;
}

/** Compare every node's snapshot with the first (after convergence this finds nothing; kept as a check). */
export async function checkSameWinner(nodes: NodeProcess[], verdict: Verdict): Promise<void> {
  const states = await Promise.all(nodes.map((node) => snapshot(node)));
  for (let i = 1; i < states.length; i++) verdict.divergence.push(...diverges(states[0]!, states[i]!, nodes[0]!.host, nodes[i]!.host));
}

/** Samples each node's RSS every `intervalMs` while running; `peak` is the highest seen. */
export class RssSampler {
  peak = 0;
  /** peak per node name */
  readonly peaks = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(nodes: () => NodeProcess[], intervalMs = 250) {
    this.#timer = setInterval(() => {
      for (const node of nodes()) {
        const rss = node.rssBytes() ?? 0;
        this.peak = Math.max(this.peak, rss);
        this.peaks.set(node.host, Math.max(this.peaks.get(node.host) ?? 0, rss));
      }
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.peak;
  }
}

/** A node's RSS above this in a fault scenario is a leak or an unbounded queue. */
export const MAX_NODE_RSS_BYTES = 768 * 1024 * 1024;

/**
 * The most dials one (peer, database) pair can make in `durationMs` under the manager's backoff
 * (each wait at least half of min(cap, base·2^n)), plus one for the first, immediate dial.
 */
export function maxDialsPerLink(durationMs: number): number {
  let elapsed = 0;
  let attempts = 1;
  for (let n = 1; ; n++) {
    elapsed += 0.5 * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** n);
    if (elapsed > durationMs) return attempts;
    attempts++;
  }
}
