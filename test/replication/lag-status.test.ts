/**
 * cluster_status reports each link's replication lag (commit on the origin -> commit here) over a
 * bounded window: lag_p50_ms, lag_p99_ms, lag_max_ms, lag_samples, lag_window_ms, lag_clamped.
 * Present, ordered, never negative, never longer than the test itself ran; a node whose clock is
 * behind its peer's reports its negative lags as 0 and counts them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TEST_CLOCK_OFFSET_ENV } from '../../node-core/clock/hlc.ts';
import { LAG_WINDOW_MS, LAG_WINDOW_SAMPLES, type LagSummary } from '../../node-core/replication/lag-histogram.ts';
import { Cluster, waitFor, waitForStreaming } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

const WRITES = 40;
/** How far behind its peer the skewed node's clock runs (ms): far more than any loopback lag. */
const SKEW_MS = 5_000;

interface LagFields extends LagSummary {
  database: string;
  connected: boolean;
}

async function socketOf(node: NodeProcess, peer: string, database: string): Promise<LagFields> {
  const status = await node.ok<{ connections: Array<{ name: string; database_sockets: LagFields[] }> }>({ operation: 'cluster_status' });
  const socket = status.connections.find((c) => c.name === peer)?.database_sockets.find((s) => s.database === database);
  assert.ok(socket, `${node.host} has a socket for ${peer}/${database}`);
  return socket;
}

async function writeAndReplicate(writer: NodeProcess, reader: NodeProcess, table: string): Promise<void> {
  for (let i = 0; i < WRITES; i++) await writer.ok({ operation: 'insert', database: 'dev', table, records: [{ id: `${table}-${i}` }] });
  await waitFor(`${WRITES} records of dev.${table} on ${reader.host}`, async () => {
    const described = await reader.op<{ record_count?: number }>({ operation: 'describe_table', database: 'dev', table });
    return described.status === 200 && described.body.record_count === WRITES;
  });
}

function assertSane(socket: LagFields, atMostMs: number): void {
  assert.equal(socket.connected, true);
  assert.equal(socket.lag_window_ms, LAG_WINDOW_MS);
  assert.ok(socket.lag_samples >= WRITES && socket.lag_samples <= LAG_WINDOW_SAMPLES, `lag_samples ${socket.lag_samples}`);
  const { lag_p50_ms: p50, lag_p99_ms: p99, lag_max_ms: max } = socket;
  assert.ok(p50 !== null && p99 !== null && max !== null, JSON.stringify(socket));
  assert.ok(p50 >= 0 && p50 <= p99 && p99 <= max, `0 <= p50 ${p50} <= p99 ${p99} <= max ${max}`);
  assert.ok(max <= atMostMs, `max lag ${max} ms within the ${atMostMs} ms the writes took`);
  assert.ok(socket.lag_clamped >= 0 && socket.lag_clamped <= socket.lag_samples);
}

describe('replication lag in cluster_status', () => {
  let cluster: Cluster;
  /** every transaction b applied was written after this */
  let started = 0;
  before(async () => {
    started = Date.now();
    cluster = await Cluster.start(2, { mesh: true });
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    await a.ok({ operation: 'create_table', database: 'dev', table: 'lag', primary_key: 'id' });
    // Past the initial copies: a transaction inside a copy is applied without a lag sample.
    await waitForStreaming(a, b.host, 'dev');
    await waitForStreaming(b, a.host, 'dev', { copied: true });
  });
  after(async () => cluster?.cleanup());

  test('a link that applied transactions reports lag percentiles over its window', async () => {
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    await writeAndReplicate(a, b, 'lag');
    // No lag can be longer than the time since the first of these transactions was written
    // (+ the sub-ms clocks' disagreement between two processes, well under 2 ms).
    assertSane(await socketOf(b, a.host, 'dev'), Date.now() - started + 2);
  });

  test('a link that applied nothing reports no percentiles, not zeros', async () => {
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    // a has applied nothing from b (b wrote nothing; the table was created on a).
    const socket = await socketOf(a, b.host, 'dev');
    assert.equal(socket.connected, true);
    assert.equal(socket.lag_samples, 0);
    assert.deepEqual([socket.lag_p50_ms, socket.lag_p99_ms, socket.lag_max_ms], [null, null, null]);
    assert.equal(socket.lag_window_ms, LAG_WINDOW_MS);
  });
});

describe('replication lag between clocks that disagree', () => {
  let cluster: Cluster;
  before(async () => {
    // Node 1's clock runs SKEW_MS behind node 0's.
    cluster = await Cluster.start(2, { mesh: true, perNode: (i) => ({ env: { [TEST_CLOCK_OFFSET_ENV]: String(i === 1 ? -SKEW_MS : 0) } }) });
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    await a.ok({ operation: 'create_table', database: 'dev', table: 'skew', primary_key: 'id' });
    // Past the initial copies: a transaction inside a copy is applied without a lag sample.
    await waitForStreaming(a, b.host, 'dev');
    await waitForStreaming(b, a.host, 'dev', { copied: true });
  });
  after(async () => cluster?.cleanup());

  test('the node behind reports its negative lags as 0 and counts them', async () => {
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    await writeAndReplicate(a, b, 'skew');
    const socket = await socketOf(b, a.host, 'dev');
    assert.ok(socket.lag_samples >= WRITES);
    assert.equal(socket.lag_clamped, socket.lag_samples, 'every lag read on a clock 5 s behind is negative');
    assert.deepEqual([socket.lag_p50_ms, socket.lag_p99_ms, socket.lag_max_ms], [0, 0, 0]);
  });

  test('the node ahead reports the skew as lag: a figure that shows it, never a negative one', async () => {
    const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
    // b's own versions: its clock, pushed ahead of what it saw from a (the hybrid clock).
    const started = Date.now();
    await b.ok({ operation: 'create_table', database: 'dev', table: 'skew_back', primary_key: 'id' });
    await writeAndReplicate(b, a, 'skew_back');
    const socket = await socketOf(a, b.host, 'dev');
    assert.ok(socket.lag_samples >= WRITES);
    assert.ok(socket.lag_p50_ms !== null && socket.lag_p50_ms >= 0);
    assert.ok(socket.lag_max_ms !== null && socket.lag_max_ms <= SKEW_MS + (Date.now() - started) + 2, `max ${socket.lag_max_ms}`);
  });
});
