/**
 * The `replication` suite: three real nodes on loopback addresses replicating over WebSocket.
 * Figures: replicated records/s (batches of 500 through the API on one node, until every
 * replica has them), single-write visibility latency on a replica, initial-sync records/s of a
 * 100k-record table to a new node, and in the same run the ceiling: a bare
 * msgpackr → WebSocket → LMDB pipeline between two processes on this machine. Then the same
 * replicated-records/s figure with three nodes that replicate only over TLS WebSockets with
 * mutual certificate authentication (joined by add_node with credentials: cross-signed
 * certificates), and its ratio to the plain WebSocket figure (the TLS overhead).
 *
 * Sizes: BENCH_SCALE scales the record counts; BENCH_VISIBILITY_SAMPLES (default 300).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr } from 'msgpackr';
import { WebSocket } from 'ws';
import { Cluster, REPLICATION_PORT, SECURE_REPLICATION_PORT, startClusterNode } from '../test/support/cluster.ts';
import { ADMIN, basicAuth, freshLoopbackAddress, type NodeProcess } from '../test/support/node-process.ts';
import { emit, envInt, latencyDetails, note, nowMs, onCleanup, OpsClient, round, scaled, tempDir } from './lib.ts';
import type { LagSummary } from '../node-core/replication/lag-histogram.ts';
import { BATCH_SIZE, benchRecord, insertBatches } from './records.ts';

const SUITE = 'replication';
const TARGETS = { replicated_per_s: 30_000, visibility_p50_ms: 2.5, visibility_p99_ms: 6, lag_p50_ms: 0.5, initial_sync_per_s: 100_000, mtls_vs_ws_ratio: 0.8 };
/** Single writes before the visibility samples (JIT, connections), not measured. */
const VISIBILITY_WARMUP = 20;
const HERE = path.dirname(fileURLToPath(import.meta.url));

export async function run(): Promise<void> {
  const replicatedRecords = scaled(20_000, 2_000, BATCH_SIZE);
  const syncRecords = scaled(100_000, 5_000, BATCH_SIZE);
  const visibilitySamples = envInt('BENCH_VISIBILITY_SAMPLES', 300);

  const ceiling = await pipelineCeiling(replicatedRecords);
  emit({ suite: SUITE, name: 'ceiling_msgpackr_ws_lmdb', value: round(ceiling), unit: 'records/s', details: { records: replicatedRecords, batch: BATCH_SIZE } });

  note('starting 3 nodes');
  const cluster = await Cluster.start(3, { mesh: true, perNode: (_i) => ({ root: tempDir('node-').path }) });
  onCleanup(() => cluster.cleanup());
  const [a, b] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
  const clients = cluster.nodes.map((node) => new OpsClient(node.url, basicAuth(ADMIN.username, ADMIN.password), 8));
  onCleanup(() => clients.forEach((client) => client.close()));
  const [ca, cb, cc] = clients as [OpsClient, OpsClient, OpsClient];
  // Before the throughput run: the lag window of B's link (cluster_status) then holds single
  // writes only, not the 500-record batches that follow.
  await visibility(ca, cb, a.host, b.host, visibilitySamples);

  note(`replicated throughput: ${replicatedRecords} records`);
  const { rate, writeMs, untilReplicatedMs } = await replicatedThroughput(ca, [cb, cc], replicatedRecords);
  emit({
    suite: SUITE,
    name: 'replicated_records_per_s',
    value: round(rate),
    unit: 'records/s',
    ceiling: round(ceiling),
    ratio: round(rate / ceiling, 3),
    target: TARGETS.replicated_per_s,
    pass: rate >= TARGETS.replicated_per_s,
    details: { records: replicatedRecords, replicas: 2, write_ms: round(writeMs), until_replicated_ms: round(untilReplicatedMs), transport: `ws (replication.port ${REPLICATION_PORT})` },
  });

  note(`initial sync: ${syncRecords} records to a new node`);
  await ca.ok({ operation: 'create_table', database: 'bench', table: 'sync', primary_key: 'id' });
  await insertBatches(ca, { database: 'bench', table: 'sync', total: syncRecords, inFlight: 4 });
  // The copy carries the whole database: every table of it, as counted on A.
  const tables = ['rep', 'vis', 'sync'];
  const expected = await Promise.all(tables.map((table) => count(ca, table)));
  const copiedRecords = expected.reduce((sum, n) => sum + n, 0);
  const joinerHost = freshLoopbackAddress();
  const joiner = await startClusterNode({ host: joinerHost, root: tempDir('joiner-').path });
  onCleanup(() => joiner.cleanup());
  const cj = new OpsClient(joiner.url, basicAuth(ADMIN.username, ADMIN.password), 4);
  onCleanup(() => cj.close());
  // Timed from the join (the node is up): add_node with credentials, as an operator would.
  const syncStart = nowMs();
  await cj.ok({ operation: 'add_node', hostname: a.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
  await waitUntil(
    'the new node has the whole database',
    async () => (await Promise.all(tables.map((table) => count(cj, table).catch(() => -1)))).every((n, i) => n === expected[i]),
    300_000,
    20,
  );
  const syncRate = copiedRecords / ((nowMs() - syncStart) / 1000);
  emit({
    suite: SUITE,
    name: 'initial_sync_records_per_s',
    value: round(syncRate),
    unit: 'records/s',
    ceiling: round(ceiling),
    ratio: round(syncRate / ceiling, 3),
    target: TARGETS.initial_sync_per_s,
    pass: syncRate >= TARGETS.initial_sync_per_s,
    details: { records: copiedRecords, tables: Object.fromEntries(tables.map((t, i) => [t, expected[i]])), measured: 'from add_node on the new node until every table is complete there', replication_port: REPLICATION_PORT },
  });

  // The plain WebSocket nodes stop first: the TLS run gets the machine to itself, as that one had.
  await Promise.all([cluster.cleanup(), joiner.cleanup()]);
  const mtlsRate = await mtlsThroughput(replicatedRecords);
  emit({
    suite: SUITE,
    name: 'replicated_records_per_s_mtls',
    value: round(mtlsRate.rate),
    unit: 'records/s',
    ceiling: round(ceiling),
    ratio: round(mtlsRate.rate / ceiling, 3),
    details: {
      records: replicatedRecords,
      replicas: 2,
      write_ms: round(mtlsRate.writeMs),
      until_replicated_ms: round(mtlsRate.untilReplicatedMs),
      transport: `wss with mutual TLS (replication.securePort ${SECURE_REPLICATION_PORT}), certificates cross-signed by add_node`,
    },
  });
  const overhead = mtlsRate.rate / rate;
  emit({
    suite: SUITE,
    name: 'mtls_vs_ws_ratio',
    value: round(overhead, 3),
    unit: 'ratio',
    target: TARGETS.mtls_vs_ws_ratio,
    pass: overhead >= TARGETS.mtls_vs_ws_ratio,
    details: { mtls_records_per_s: round(mtlsRate.rate), ws_records_per_s: round(rate), meaning: 'replicated records/s over wss+mTLS divided by the same over ws' },
  });
}

/**
 * Replicated records/s from `writer` to `replicas`: create bench.rep, warm up with 2000
 * records, then write `records` in batches of 500 and wait until every replica has them all.
 */
async function replicatedThroughput(writer: OpsClient, replicas: OpsClient[], records: number): Promise<{ rate: number; writeMs: number; untilReplicatedMs: number }> {
  await writer.ok({ operation: 'create_table', database: 'bench', table: 'rep', primary_key: 'id' });
  await waitUntil('tables on every node', async () => (await Promise.all(replicas.map((client) => count(client, 'rep').catch(() => -1)))).every((n) => n === 0));
  note('warming up');
  await insertBatches(writer, { database: 'bench', table: 'rep', first: 1_000_000, total: 2_000 });
  await waitUntil('warm-up replicated', async () => (await Promise.all(replicas.map((client) => count(client, 'rep')))).every((n) => n === 2_000));
  const start = nowMs();
  await insertBatches(writer, { database: 'bench', table: 'rep', total: records });
  const written = nowMs();
  await waitUntil('every replica has every record', async () => (await Promise.all(replicas.map((client) => count(client, 'rep')))).every((n) => n === 2_000 + records), 120_000, 5);
  const end = nowMs();
  return { rate: records / ((end - start) / 1000), writeMs: written - start, untilReplicatedMs: end - start };
}

/**
 * Three nodes listening only on the TLS port; B and C join A with add_node (credentials,
 * verify_tls false: A's CA signs their keys), C and B find each other by gossip: a full mesh on
 * mutual TLS. Then the same measurement as over ws.
 */
async function mtlsThroughput(records: number): Promise<{ rate: number; writeMs: number; untilReplicatedMs: number }> {
  note('starting 3 nodes replicating over wss with mutual TLS');
  const cluster = await Cluster.start(3, { secure: true, perNode: () => ({ root: tempDir('mtls-node-').path }) });
  onCleanup(() => cluster.cleanup());
  const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
  const clients = cluster.nodes.map((node) => new OpsClient(node.url, basicAuth(ADMIN.username, ADMIN.password), 8));
  onCleanup(() => clients.forEach((client) => client.close()));
  const [ca, cb, cc] = clients as [OpsClient, OpsClient, OpsClient];
  for (const joiner of [cb, cc]) {
    await joiner.ok({ operation: 'add_node', hostname: a.host, verify_tls: false, authorization: { username: ADMIN.username, password: ADMIN.password } });
  }
  await waitUntil('a full mesh on mutual TLS', async () => {
    const statuses = await Promise.all(clients.map((client) => client.ok<{ connections: Array<{ name: string; url: string; database_sockets: Array<{ connected: boolean }> }> }>({ operation: 'cluster_status' })));
    return statuses.every(
      (status) =>
        status.connections.length === 2 &&
        status.connections.every((connection) => connection.url.startsWith('wss://') && connection.database_sockets.every((socket) => socket.connected)),
    );
  });
  note(`replicated throughput over mTLS: ${records} records (${b.host} and ${c.host} replicate ${a.host})`);
  const result = await replicatedThroughput(ca, [cb, cc], records);
  await cluster.cleanup();
  return result;
}

/**
 * Single-write visibility: insert one record on A (`writer`), poll search_by_id on B (`reader`)
 * until it is there, from the request sent on A; VISIBILITY_WARMUP writes first. Then B's own
 * figure for the same writes: the replication lag of its link from A (origin commit -> visible
 * on B) from cluster_status, p50 and p99 over the node's window.
 */
async function visibility(writer: OpsClient, reader: OpsClient, writerHost: string, readerHost: string, writes: number): Promise<void> {
  await writer.ok({ operation: 'create_table', database: 'bench', table: 'vis', primary_key: 'id' });
  await waitUntil('bench.vis on the reader', async () => (await count(reader, 'vis').catch(() => -1)) === 0);
  note(`visibility latency: ${writes} single writes`);
  const samples: number[] = [];
  for (let i = -VISIBILITY_WARMUP; i < writes; i++) {
    const id = `v${i}`;
    const body = JSON.stringify({ operation: 'search_by_id', database: 'bench', table: 'vis', ids: [id], get_attributes: ['id'] });
    const t0 = nowMs();
    const write = writer.ok({ operation: 'insert', database: 'bench', table: 'vis', records: [{ id, at: Date.now() }] });
    for (;;) {
      const result = await reader.post(body);
      if (result.body.length > 2) break;
      if (nowMs() - t0 > 10_000) throw new Error(`record ${id} not visible on ${readerHost} after 10 s`);
    }
    if (i >= 0) samples.push(nowMs() - t0);
    await write;
  }
  const latency = latencyDetails(samples);
  // The floors beside it, in the same run: one HTTP read round trip on B, one insert's own
  // acknowledgement on A (no replica involved).
  const readTrip = latencyDetails(await timed(writes, () => reader.post(JSON.stringify({ operation: 'search_by_id', database: 'bench', table: 'vis', ids: ['v0'], get_attributes: ['id'] }))));
  const insertAck = latencyDetails(await timed(writes, (i) => writer.ok({ operation: 'insert', database: 'bench', table: 'vis', records: [{ id: `ack${i}`, at: Date.now() }] })));
  emit({ suite: SUITE, name: 'http_read_round_trip_p50', value: readTrip.p50_ms, unit: 'ms', details: { ...readTrip, request: 'search_by_id of one record on B' } });
  emit({ suite: SUITE, name: 'insert_ack_p50', value: insertAck.p50_ms, unit: 'ms', details: { ...insertAck, request: 'insert of one record on A, until its answer (after the fsync)' } });
  const floors = { http_read_round_trip_p50_ms: readTrip.p50_ms, insert_ack_p50_ms: insertAck.p50_ms };
  emit({ suite: SUITE, name: 'visibility_latency_p50', value: latency.p50_ms, unit: 'ms', ceiling: readTrip.p50_ms, target: TARGETS.visibility_p50_ms, pass: latency.p50_ms <= TARGETS.visibility_p50_ms, details: { ...latency, ...floors, measured_from: 'insert request sent on A', polled_on: 'B (search_by_id loop)' } });
  emit({ suite: SUITE, name: 'visibility_latency_p99', value: latency.p99_ms, unit: 'ms', ceiling: readTrip.p99_ms, target: TARGETS.visibility_p99_ms, pass: latency.p99_ms <= TARGETS.visibility_p99_ms, details: { ...latency, ...floors } });
  const lag = await linkLag(reader, writerHost, 'bench');
  const lagDetails = { ...lag, measured: `inside the node: commit on ${writerHost} (the version) to visible on ${readerHost}, its clock; the same single writes` };
  emit({ suite: SUITE, name: 'replication_lag_p50', value: lag.lag_p50_ms ?? -1, unit: 'ms', target: TARGETS.lag_p50_ms, pass: lag.lag_p50_ms !== null && lag.lag_p50_ms <= TARGETS.lag_p50_ms, details: lagDetails });
  emit({ suite: SUITE, name: 'replication_lag_p99', value: lag.lag_p99_ms ?? -1, unit: 'ms', details: lagDetails });
}

/** Milliseconds each of `n` sequential calls took. */
async function timed(n: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowMs();
    await call(i);
    samples.push(nowMs() - t0);
  }
  return samples;
}

/** `node`'s lag figures for its link from `peer` for `database` (cluster_status). */
async function linkLag(node: OpsClient, peer: string, database: string): Promise<LagSummary> {
  const status = await node.ok<{ connections: Array<{ name: string; database_sockets: Array<LagSummary & { database: string }> }> }>({ operation: 'cluster_status' });
  const socket = status.connections.find((c) => c.name === peer)?.database_sockets.find((s) => s.database === database);
  if (!socket || typeof socket.lag_samples !== 'number') throw new Error(`cluster_status has no lag figures for ${peer}/${database}`);
  const { lag_p50_ms, lag_p99_ms, lag_max_ms, lag_samples, lag_window_ms, lag_clamped } = socket;
  return { lag_p50_ms, lag_p99_ms, lag_max_ms, lag_samples, lag_window_ms, lag_clamped };
}


async function count(client: OpsClient, table: string): Promise<number> {
  const description = await client.ok<{ record_count: number }>({ operation: 'describe_table', database: 'bench', table });
  return description.record_count;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, intervalMs = 20): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  while (!(await check())) {
    if (nowMs() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * The ceiling: the same records, msgpack-encoded in frames of 500, sent over a WebSocket to a
 * second process that writes each frame to LMDB in one transaction and acks after the flush.
 */
async function pipelineCeiling(records: number): Promise<number> {
  const dir = tempDir('pipeline-');
  const receiver = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'pipeline-receiver.ts'), dir.path], { stdio: ['ignore', 'pipe', 'inherit'] });
  onCleanup(() => void receiver.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    receiver.stdout!.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())));
    receiver.once('exit', (code) => reject(new Error(`pipeline receiver exited with ${code}`)));
  });
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const packr = new Packr({ useRecords: false });
  const frames: Buffer[] = [];
  for (let from = 0; from < records; from += BATCH_SIZE) {
    frames.push(packr.pack(Array.from({ length: BATCH_SIZE }, (_, i) => [from + i, benchRecord(from + i)])));
  }
  // Same shape as a link: a window of unacknowledged frames.
  const start = nowMs();
  let acked = 0;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < frames.length && sent - acked < 16) socket.send(frames[sent++]!);
    };
    socket.on('message', () => {
      acked += 1;
      if (acked === frames.length) resolve();
      else pump();
    });
    pump();
  });
  const rate = records / ((nowMs() - start) / 1000);
  socket.close();
  receiver.kill('SIGTERM');
  return rate;
}
