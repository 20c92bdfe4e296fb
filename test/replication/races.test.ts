/**
 * Same-key races (SPEC 4.4, 6 "Convergent"): three nodes write the same 20 keys with different
 * values at the same time, round after round (upserts, and deletes racing upserts); once the
 * writes stop every node holds the same winner per key, with the same version and origin.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, tableState, waitForConvergence, waitForLink, waitForVersionsAgree } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

const KEYS = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`);
const ALL_KEYS = KEYS.map((k) => JSON.stringify(k));

/** The keys in a per-writer order, so the nodes collide on different keys at different moments. */
function order(writer: number, round: number): string[] {
  const keys = [...KEYS];
  if ((writer + round) % 3 === 1) keys.reverse();
  if ((writer + round) % 3 === 2) keys.push(...keys.splice(0, 7));
  return keys;
}

async function writeRound(nodes: NodeProcess[], round: number, options: { deleter?: number; chunk: number }): Promise<void> {
  await Promise.all(
    nodes.map(async (node, writer) => {
      const keys = order(writer, round);
      for (let i = 0; i < keys.length; i += options.chunk) {
        const chunk = keys.slice(i, i + options.chunk);
        if (options.deleter === writer && i % (options.chunk * 2) === 0) {
          // Deletes of keys the others are upserting right now (skipped where absent locally).
          await node.ok({ operation: 'delete', database: 'dev', table: 'race', ids: chunk });
        } else {
          await node.ok({
            operation: 'upsert',
            database: 'dev',
            table: 'race',
            records: chunk.map((id) => ({ id, value: `${node.host}/r${round}`, writer: node.host, round, [`seen_by_${writer}`]: round })),
          });
        }
      }
    }),
  );
}

describe('same-key races converge to one winner per key', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start(3, { mesh: true });
    const [a] = cluster.nodes;
    await a!.ok({ operation: 'create_table', database: 'dev', table: 'race', primary_key: 'id' });
    for (const node of cluster.nodes) for (const peer of cluster.nodes) if (peer !== node) await waitForLink(node, peer.host, 'dev');
  });
  after(async () => cluster?.cleanup());

  test('concurrent upserts and deletes of the same keys, several rounds: every node ends with the same records and versions', async () => {
    const nodes = cluster.nodes;
    const hosts = nodes.map((n) => n.host);
    for (let round = 1; round <= 5; round++) {
      await writeRound(nodes, round, { chunk: round % 2 === 0 ? 1 : 4, ...(round === 3 || round === 5 ? { deleter: round % 3 } : {}) });
    }
    const state = await waitForConvergence(nodes, 'dev', 'race');
    await waitForVersionsAgree(nodes, 'dev', 'race');
    // Whatever survived is a record some node really wrote, whole (value, writer and round agree).
    assert.ok(state.size > 0, 'rounds 1, 2 and 4 had no deletes: something survives');
    for (const [key, record] of state) {
      assert.ok(ALL_KEYS.includes(key), `unexpected key ${key}`);
      assert.ok(hosts.includes(record.writer as string), JSON.stringify(record));
      assert.equal(record.value, `${record.writer}/r${record.round}`, JSON.stringify(record));
    }
    // Every node holds exactly the converged winners (not just the same counts).
    for (const node of nodes) assert.deepEqual(await tableState(node, 'dev', 'race'), state);
  });

  test('a final concurrent round after convergence: its writes win every key on every node', async () => {
    const nodes = cluster.nodes;
    const hosts = nodes.map((n) => n.host);
    await waitForConvergence(nodes, 'dev', 'race');
    const final = 9;
    // Two requests per node at once (one per half of the keys), all nodes at once.
    await Promise.all(
      nodes.flatMap((node, writer) =>
        [KEYS.slice(0, 10), KEYS.slice(10)].map((keys) =>
          node.ok({
            operation: 'upsert',
            database: 'dev',
            table: 'race',
            records: (writer % 2 ? [...keys].reverse() : keys).map((id) => ({ id, value: `${node.host}/r${final}`, writer: node.host, round: final })),
          }),
        ),
      ),
    );
    const state = await waitForConvergence(nodes, 'dev', 'race', { expectKeys: ALL_KEYS });
    const digest = await waitForVersionsAgree(nodes, 'dev', 'race');
    assert.match(digest, /^[0-9a-f]{64}$/);
    // Every node observed every earlier version before this round, so only this round can win.
    const winners = new Map<string, string>();
    for (const [key, record] of state) {
      assert.equal(record.round, final, `${key}: ${JSON.stringify(record)}`);
      assert.equal(record.value, `${record.writer}/r${final}`);
      assert.ok(hosts.includes(record.writer as string));
      winners.set(key, record.writer as string);
    }
    assert.deepEqual([...winners.keys()].sort(), ALL_KEYS);
    for (const node of nodes) {
      const local = await tableState(node, 'dev', 'race');
      assert.deepEqual(new Map([...local].map(([k, r]) => [k, r.writer])), winners, `${node.host} disagrees on a winner`);
    }
  });
});
