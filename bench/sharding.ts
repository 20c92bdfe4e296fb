/**
 * The `sharding` suite (issue 12): five real nodes in a full mesh, the same load written on one
 * node twice, into two tables of one database: once fully replicated (every record to all four
 * peers), once with `replicateTo: 1` per request (each record on its origin and one other
 * node). Figures for each: records/s (from the first batch sent until every holder has every
 * record) and bytes sent per record (the `bytes_sent` of every node's sockets for the database,
 * summed over the five nodes, before and after, divided by the records). Then the sharded
 * write's cost as a fraction of the fully replicated one, beside the expectation
 * (N+1)/members = 2/5, in bytes sent and in copies stored.
 *
 * A warm-up of 1000 fully replicated records into a third table comes first, so neither measured
 * phase carries the warm-up alone.
 *
 * Sizes: BENCH_SCALE scales the record count (default 10k; at least 1k).
 */
import { startClusterNode } from '../test/support/cluster.ts';
import { ADMIN, basicAuth, freshLoopbackAddress, type NodeProcess } from '../test/support/node-process.ts';
import { emit, note, nowMs, onCleanup, OpsClient, round, scaled, tempDir } from './lib.ts';
import { BATCH_SIZE, insertBatches } from './records.ts';

const SUITE = 'sharding';
const MEMBERS = 5;
/** Other nodes each sharded record is stored on. */
const REPLICATE_TO = 1;
const DATABASE = 'bench';
const WARM_UP_RECORDS = 1_000;
const TABLES = ['warm', 'full', 'sharded'];
/** The cost a sharded write should have against a fully replicated one: (N+1)/members. */
const EXPECTED_RATIO = (REPLICATE_TO + 1) / MEMBERS;
/** How far above the expectation the measured byte ratio may be and still pass (metadata to non-holders, acks). */
const RATIO_TOLERANCE = 0.1;
/** Bounds of the waits (ms): the mesh forming, a table reaching every node, a phase replicating. */
const MESH_TIMEOUT_MS = 60_000;
const TABLE_TIMEOUT_MS = 30_000;
const PHASE_TIMEOUT_MS = 120_000;

interface Socket {
  database: string;
  connected: boolean;
  bytes_sent?: number;
  bytes_received?: number;
}
interface Status {
  connections: Array<{ name: string; database_sockets: Socket[] }>;
  sharding?: Array<{ database: string; tables?: Array<{ table: string; record_count?: number }> }>;
}

interface Phase {
  label: string;
  table: string;
  records: number;
  ratePerS: number;
  bytesSent: number;
  bytesReceived: number;
  bytesPerRecord: number;
  /** of bytesSent, what the node written on sent (the rest: other nodes' acks and relays) */
  bytesSentByWriter: number;
  copies: number;
  writeMs: number;
  untilHeldMs: number;
}

export async function run(): Promise<void> {
  const records = scaled(10_000, 1_000, BATCH_SIZE);
  note(`starting ${MEMBERS} nodes in a full mesh`);
  const nodes = await startMesh(MEMBERS);
  try {
    await measure(nodes, records);
  } catch (error) {
    // Name any node that died, with the end of its stderr: a reset connection alone says nothing.
    const dead = nodes.filter((node) => !node.running).map((node) => `${node.host} exited; stderr ends:\n${node.stderr.slice(-2_000)}`);
    if (dead.length > 0) throw new Error(`${(error as Error).message}\n${dead.join('\n')}`, { cause: error });
    throw error;
  }
}

async function measure(nodes: NodeProcess[], records: number): Promise<void> {
  const clients = nodes.map((node) => new OpsClient(node.url, basicAuth(ADMIN.username, ADMIN.password), 8));
  onCleanup(() => clients.forEach((client) => client.close()));
  const writer = clients[0]!;

  for (const table of TABLES) await writer.ok({ operation: 'create_table', database: DATABASE, table, primary_key: 'id' });
  await waitUntil('every node has both tables and a connected socket to every peer for the database', async () => {
    const statuses = await Promise.all(clients.map((client) => statusOf(client).catch(() => null)));
    const meshed = statuses.every((s) => s !== null && s.connections.filter((c) => c.database_sockets.some((x) => x.database === DATABASE && x.connected)).length === MEMBERS - 1);
    if (!meshed) return false;
    const counts = await Promise.all(clients.flatMap((client) => TABLES.map((table) => localCount(client, table).catch(() => -1))));
    return counts.every((n) => n === 0);
  }, MESH_TIMEOUT_MS + TABLE_TIMEOUT_MS);

  // The first measured phase would otherwise carry the warm-up (JIT, LMDB growth) alone.
  note(`warming up: ${WARM_UP_RECORDS} records, fully replicated`);
  await phase(clients, { label: 'warm-up', table: 'warm', records: WARM_UP_RECORDS, extra: {}, copiesPerRecord: MEMBERS });
  note(`full replication: ${records} records written on one node, to all ${MEMBERS - 1} peers`);
  const full = await phase(clients, { label: 'full replication', table: 'full', records, extra: {}, copiesPerRecord: MEMBERS });
  note(`replicateTo ${REPLICATE_TO}: the same ${records} records, each to one peer`);
  const sharded = await phase(clients, { label: `replicateTo ${REPLICATE_TO}`, table: 'sharded', records, extra: { replicateTo: REPLICATE_TO }, copiesPerRecord: REPLICATE_TO + 1 });

  for (const p of [full, sharded]) {
    const name = p.table === 'full' ? 'full_replication' : `replicate_to_${REPLICATE_TO}`;
    const details = {
      records: p.records,
      members: MEMBERS,
      copies_stored: p.copies,
      write_ms: round(p.writeMs),
      until_held_ms: round(p.untilHeldMs),
      bytes_sent: p.bytesSent,
      bytes_received: p.bytesReceived,
      bytes_sent_by_writer: p.bytesSentByWriter,
    };
    emit({ suite: SUITE, name: `${name}_records_per_s`, value: round(p.ratePerS), unit: 'records/s', ...(p === sharded ? { ceiling: round(full.ratePerS), ratio: round(p.ratePerS / full.ratePerS, 3) } : {}), details });
    emit({ suite: SUITE, name: `${name}_bytes_sent_per_record`, value: round(p.bytesPerRecord, 1), unit: 'bytes/record', ...(p === sharded ? { ceiling: round(full.bytesPerRecord, 1) } : {}), details: { ...details, measured: `bytes_sent of every node's ${DATABASE} sockets, summed over the ${MEMBERS} nodes, over the phase` } });
  }
  const byteRatio = sharded.bytesPerRecord / full.bytesPerRecord;
  emit({
    suite: SUITE,
    name: 'sharded_vs_full_bytes_ratio',
    value: round(byteRatio, 3),
    unit: 'ratio',
    target: round(EXPECTED_RATIO, 3),
    pass: byteRatio <= EXPECTED_RATIO + RATIO_TOLERANCE,
    details: {
      meaning: `bytes sent per record with replicateTo ${REPLICATE_TO} divided by the same with full replication; expected about (N+1)/members = ${REPLICATE_TO + 1}/${MEMBERS}`,
      expected: round(EXPECTED_RATIO, 3),
      tolerance: RATIO_TOLERANCE,
      sharded_bytes_per_record: round(sharded.bytesPerRecord, 1),
      full_bytes_per_record: round(full.bytesPerRecord, 1),
    },
  });
  emit({
    suite: SUITE,
    name: 'sharded_vs_full_copies_ratio',
    value: round(sharded.copies / full.copies, 3),
    unit: 'ratio',
    target: round(EXPECTED_RATIO, 3),
    pass: Math.abs(sharded.copies / full.copies - EXPECTED_RATIO) < 1e-9,
    details: { meaning: 'records stored on all nodes together, sharded divided by full', sharded_copies: sharded.copies, full_copies: full.copies },
  });
}

/**
 * `count` nodes, each with routes to all the others, started one after another: each is
 * cleaned up even if a later one fails, and five cold starts at once on a loaded 2-core
 * machine can miss the harness's readiness bound.
 */
async function startMesh(count: number): Promise<NodeProcess[]> {
  const hosts = Array.from({ length: count }, () => freshLoopbackAddress());
  const nodes: NodeProcess[] = [];
  for (const host of hosts) {
    const node = await startClusterNode({ host, root: tempDir('shard-node-').path, routes: hosts.filter((h) => h !== host) });
    onCleanup(() => node.cleanup());
    nodes.push(node);
  }
  return nodes;
}

/** Write `records` on the first node (with `extra` on every insert), wait until every holder has them, and measure. */
async function phase(
  clients: OpsClient[],
  spec: { label: string; table: string; records: number; extra: Record<string, unknown>; copiesPerRecord: number },
): Promise<Phase> {
  const expectedCopies = spec.records * spec.copiesPerRecord;
  const before = await bytesOver(clients);
  const start = nowMs();
  // A retried insert whose first attempt landed skips its keys: the counts stay right.
  await insertBatches(clients[0]!, { database: DATABASE, table: spec.table, total: spec.records, extra: spec.extra, send: (body) => onceMoreOnReset(() => clients[0]!.post(body)) });
  const written = nowMs();
  let copies = 0;
  await waitUntil(`${spec.label}: ${expectedCopies} copies of ${spec.records} records`, async () => {
    const counts = await Promise.all(clients.map((client) => localCount(client, spec.table)));
    copies = counts.reduce((sum, n) => sum + n, 0);
    if (copies > expectedCopies) throw new Error(`${spec.label}: ${copies} copies stored, more than the ${expectedCopies} expected (counts per node ${counts.join(', ')})`);
    return copies === expectedCopies && counts[0] === spec.records;
  }, PHASE_TIMEOUT_MS, 10);
  const end = nowMs();
  const after = await bytesOver(clients);
  const bytesSent = after.sent - before.sent;
  const bytesSentByWriter = after.perNode[0]! - before.perNode[0]!;
  return {
    label: spec.label,
    table: spec.table,
    records: spec.records,
    ratePerS: spec.records / ((end - start) / 1000),
    bytesSent,
    bytesReceived: after.received - before.received,
    bytesPerRecord: bytesSent / spec.records,
    bytesSentByWriter,
    copies,
    writeMs: written - start,
    untilHeldMs: end - start,
  };
}


function statusOf(client: OpsClient): Promise<Status> {
  return onceMoreOnReset(() => client.ok<Status>({ operation: 'cluster_status' }));
}

/** Bytes sent and received on every node's sockets for the database, summed over the nodes, and sent per node. */
async function bytesOver(clients: OpsClient[]): Promise<{ sent: number; received: number; perNode: number[] }> {
  const statuses = await Promise.all(clients.map(statusOf));
  let received = 0;
  const perNode = statuses.map((status) => {
    let sent = 0;
    for (const socket of status.connections.flatMap((c) => c.database_sockets).filter((s) => s.database === DATABASE)) {
      if (typeof socket.bytes_sent !== 'number' || typeof socket.bytes_received !== 'number') throw new Error(`cluster_status has no bytes_sent/bytes_received on the ${DATABASE} sockets`);
      sent += socket.bytes_sent;
      received += socket.bytes_received;
    }
    return sent;
  });
  return { sent: perNode.reduce((sum, n) => sum + n, 0), received, perNode };
}

/** Records the node itself holds (not those it only knows where to find). */
async function localCount(client: OpsClient, table: string): Promise<number> {
  const description = await onceMoreOnReset(() => client.ok<{ record_count: number }>({ operation: 'describe_table', database: DATABASE, table }));
  return description.record_count;
}

/**
 * A request retried once when its kept-alive connection was reset: the node may close an idle
 * keep-alive socket just as the client reuses it (seen once in a full run). A node that died
 * fails the retry too, and run() names it.
 */
async function onceMoreOnReset<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    note('a kept-alive connection was reset; retrying the request once');
    return request();
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  while (!(await check())) {
    if (nowMs() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
