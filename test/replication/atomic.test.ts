/**
 * Atomic replication (SPEC 4.4, 6 "Atomic"): a transaction is seen whole or not at all on
 * every replica. The operations API writes one table per request, so the replicated unit here
 * is a 500-record batch (one insert / upsert / delete request = one transaction): readers
 * polling the replicas while batches stream must never see part of one. (A transaction over
 * two tables is covered at the apply level in test/unit/replication-apply.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

const BATCH = 500;
const BATCHES = 8;

type Row = { id: string; batch: number; gen: number; payload: string };

const batchRecords = (batch: number, gen: number): Row[] =>
  Array.from({ length: BATCH }, (_, i) => ({ id: `b${batch}-${String(i).padStart(3, '0')}`, batch, gen, payload: `batch ${batch} gen ${gen} `.repeat(4) }));

interface Observation {
  polls: number;
  violations: string[];
  /** (batch, gen) pairs ever seen complete */
  seenComplete: Set<string>;
}

/** Poll `node` until `stop()`, checking that every batch is present whole (one gen) or absent. */
async function watch(node: NodeProcess, stop: () => boolean): Promise<Observation> {
  const observation: Observation = { polls: 0, violations: [], seenComplete: new Set() };
  let round = 0;
  while (!stop()) {
    round++;
    // Alternate a full read (all batches in one search) with a per-batch indexed read.
    if (round % 2 === 0) {
      const response = await node.op<Row[]>({ operation: 'search_by_value', database: 'dev', table: 'item', attribute: 'id', value: '*', get_attributes: ['id', 'batch', 'gen'] });
      if (response.status !== 200) {
        observation.violations.push(`full read ${response.status} ${JSON.stringify(response.body)}`);
        continue;
      }
      const counts = new Map<string, number>();
      for (const row of response.body) counts.set(`${row.batch}/${row.gen}`, (counts.get(`${row.batch}/${row.gen}`) ?? 0) + 1);
      const batchesSeen = new Map<number, string[]>();
      for (const [pair, count] of counts) {
        const batch = Number(pair.split('/')[0]);
        batchesSeen.set(batch, [...(batchesSeen.get(batch) ?? []), `${pair}:${count}`]);
        if (count === BATCH) observation.seenComplete.add(pair);
      }
      for (const [batch, parts] of batchesSeen) {
        if (parts.length !== 1 || !parts[0]!.endsWith(`:${BATCH}`)) observation.violations.push(`${node.host} batch ${batch} partially visible: ${parts.join(', ')}`);
      }
    } else {
      const batch = round % BATCHES;
      const response = await node.op<Row[]>({ operation: 'search_by_value', database: 'dev', table: 'item', attribute: 'batch', value: batch, get_attributes: ['id', 'gen'] });
      if (response.status !== 200) {
        observation.violations.push(`batch read ${response.status} ${JSON.stringify(response.body)}`);
        continue;
      }
      const gens = new Set(response.body.map((r) => r.gen));
      if (!(response.body.length === 0 || (response.body.length === BATCH && gens.size === 1))) {
        observation.violations.push(`${node.host} batch ${batch}: ${response.body.length} records, gens ${[...gens].join(',')}`);
      }
    }
    observation.polls++;
  }
  return observation;
}

describe('a transaction is seen whole or not at all on every replica', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start(3, { mesh: true });
    const [a, b, c] = cluster.nodes;
    await a!.ok({ operation: 'create_table', database: 'dev', table: 'item', primary_key: 'id' });
    for (const [node, peer] of [[a, b], [a, c], [b, a], [c, a], [b, c], [c, b]] as const) await waitForLink(node!, peer!.host, 'dev');
    // The replicas are past their initial copy before the batches start (a copy is not a transaction).
    await a!.ok({ operation: 'insert', database: 'dev', table: 'item', records: [{ id: 'warmup', batch: -1, gen: 0, payload: '' }] });
    await waitForConvergence(cluster.nodes, 'dev', 'item', { expectKeys: ['"warmup"'] });
    await a!.ok({ operation: 'delete', database: 'dev', table: 'item', ids: ['warmup'] });
    await waitForConvergence(cluster.nodes, 'dev', 'item', { expectKeys: [] });
  });
  after(async () => cluster?.cleanup());

  test('inserts, whole-batch updates and whole-batch deletes of 500 records are never seen partially', async () => {
    const [a, b, c] = cluster.nodes;
    let done = false;
    const watchers = [watch(b!, () => done), watch(c!, () => done)];
    try {
      // Writes on A and on B, so both directions of the links carry batches.
      for (let batch = 0; batch < BATCHES; batch++) {
        const writer = batch % 2 === 0 ? a! : b!;
        const body = await writer.ok({ operation: 'insert', database: 'dev', table: 'item', records: batchRecords(batch, 1) });
        assert.equal(body.inserted_hashes.length, BATCH);
      }
      for (let batch = 0; batch < BATCHES; batch++) {
        const writer = batch % 2 === 0 ? b! : a!;
        const body = await writer.ok({ operation: 'upsert', database: 'dev', table: 'item', records: batchRecords(batch, 2) });
        assert.equal(body.upserted_hashes.length, BATCH);
      }
      for (const batch of [1, 4, 6]) {
        const body = await a!.ok({ operation: 'delete', database: 'dev', table: 'item', ids: batchRecords(batch, 0).map((r) => r.id) });
        assert.equal(body.deleted_hashes.length, BATCH);
      }
      const survivors = [0, 2, 3, 5, 7];
      const expectKeys = survivors.flatMap((batch) => batchRecords(batch, 0).map((r) => JSON.stringify(r.id)));
      const state = await waitForConvergence(cluster.nodes, 'dev', 'item', { expectKeys, timeoutMs: 40_000 });
      for (const record of state.values()) assert.equal(record.gen, 2, JSON.stringify(record));
      assert.deepEqual([...new Set([...state.values()].map((r) => r.batch as number))].sort(), survivors);
      await waitForVersionsAgree(cluster.nodes, 'dev', 'item');
    } finally {
      done = true;
    }
    const observations = await Promise.all(watchers);
    for (const [i, observation] of observations.entries()) {
      assert.deepEqual(observation.violations, [], `reader ${i} saw partial transactions`);
      // The readers really read while the batches were streaming.
      assert.ok(observation.polls >= 10, `reader ${i} polled only ${observation.polls} times`);
      assert.ok(observation.seenComplete.size >= 4, `reader ${i} saw only ${[...observation.seenComplete].join(", ")} complete`);
    }
    // Nothing else than whole batches on A either.
    const last = await watch(a!, (() => { let n = 0; return () => n++ >= 2; })());
    assert.deepEqual(last.violations, []);
  });
});
