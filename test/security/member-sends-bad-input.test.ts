/**
 * Attack: a member sends what the operations API would refuse (issue 10 item 9): a hello with
 * 1,100 tables (once left the database at MDB_DBS_FULL, create_table a 500 ever after), a table
 * named `../../x` (created, and then could not be dropped), records that are not objects, and
 * hdb_nodes rows named with markup (which remove_node then refused). Each frame is refused
 * whole: the link closes with a reason naming the rule, nothing of it is stored, and the node
 * keeps serving with its data intact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Message } from '../../node-core/replication/protocol.ts';
import { MAX_TABLES_PER_DATABASE } from '../../node-core/security/table-limit.ts';
import { REPLICATION_PORT, startClusterNode, tableState } from '../support/cluster.ts';
import { freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { rawPeer, type PeerOutcome } from './peer-support.ts';

const table = (name: string) => ({ name, primaryKey: 'id', attributes: ['id'], replicate: true });

describe('a member is held to the operations API rules', () => {
  let node: NodeProcess;
  const member = freshLoopbackAddress();
  let url: string;
  let nodesBefore: string[];
  before(async () => {
    node = await startClusterNode({});
    url = `ws://${node.host}:${REPLICATION_PORT}`;
    await node.ok({ operation: 'add_node', hostname: member });
    await node.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await node.ok({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Rex' }] });
    nodesBefore = [...(await tableState(node, 'system', 'hdb_nodes', 'name')).keys()].sort();
  });
  after(async () => node?.cleanup());

  const asMember = (options: Parameters<typeof rawPeer>[2]) => rawPeer(url, member, { localAddress: member, ...options });

  function assertRefused(outcome: PeerOutcome, pattern: RegExp): void {
    assert.equal(outcome.code, 4002, JSON.stringify({ code: outcome.code, reason: outcome.reason }));
    assert.match(outcome.reason, pattern);
  }

  const txns = (database: string, writes: unknown[], schema: unknown[] = []): Message =>
    ({ t: 'txns', entries: [[1, { v: Date.now(), o: member, u: null, w: writes, ...(schema.length ? { s: schema } : {}) }]], through: 1 }) as never;

  test(`a hello with ${MAX_TABLES_PER_DATABASE + 200} tables is refused, naming the limit`, async () => {
    const tables = Array.from({ length: MAX_TABLES_PER_DATABASE + 200 }, (_, i) => table(`t${i}`));
    assertRefused(await asMember({ hello: { database: 'wide', tables } }), new RegExp(`at most ${MAX_TABLES_PER_DATABASE} fit in one database`));
    // create_table still works, and no database 'wide' was left behind.
    await node.ok({ operation: 'create_table', database: 'dev', table: 'after_wide', primary_key: 'id' });
    assert.ok(!('wide' in (await node.ok<Record<string, unknown>>({ operation: 'describe_all' }))));
  });

  test('a hello with a table named ../../x or with markup is refused', async () => {
    assertRefused(await asMember({ hello: { database: 'dev', tables: [table('../../x')] } }), /invalid table name "\.\.\/\.\.\/x"/);
    assertRefused(await asMember({ hello: { database: 'dev', tables: [table('<img src=x onerror=alert(1)>')] } }), /invalid table name/);
    assertRefused(await asMember({ hello: { database: '../etc' } }), /invalid database name/);
  });

  test('a create_table of ../../x in a transaction is refused', async () => {
    const outcome = await asMember({
      hello: { database: 'dev' },
      after: [txns('dev', [{ t: '../../x', k: 1, r: { id: 1 } }], [{ kind: 'create_table', table: '../../x', primaryKey: 'id', attributes: ['id'], replicate: true }])],
    });
    assertRefused(outcome, /invalid table name "\.\.\/\.\.\/x"/);
  });

  for (const [what, record] of [['a number', 42], ['an array', [1, 2]], ['a string', 'x'], ['null', null]] as const) {
    test(`a record that is ${what} is refused`, async () => {
      assertRefused(await asMember({ hello: { database: 'dev' }, after: [txns('dev', [{ t: 'dog', k: 7, r: record }])] }), /not an object/);
    });
  }

  test('a copy frame with a non-object record or a bad key is refused', async () => {
    const copy = (records: unknown[]): Message => ({ t: 'copy', table: 'dog', records }) as never;
    assertRefused(await asMember({ hello: { database: 'dev' }, after: [{ t: 'copy-start', total: 1, sequence: 1 } as never, copy([[8, Date.now(), member, 'text']])] }), /not an object/);
    assertRefused(await asMember({ hello: { database: 'dev' }, after: [{ t: 'copy-start', total: 1, sequence: 1 } as never, copy([['', Date.now(), member, { id: '' }]])] }), /primary key/);
  });

  test('an hdb_nodes row named with markup is refused', async () => {
    const name = '<img src=x onerror=alert(1)>';
    assertRefused(await asMember({ after: [txns('system', [{ t: 'hdb_nodes', k: name, r: { name, url: 'ws://evil:9930' } }])] }), /hdb_nodes row .* not a host name/);
    assertRefused(await asMember({ after: [txns('system', [{ t: 'hdb_nodes', k: 'fine.example', r: { name: 'other.example' } }])] }), /is not its key/);
  });

  test('nothing of it was stored: tables, nodes and records as before', async () => {
    const described = await node.ok<Record<string, Record<string, unknown>>>({ operation: 'describe_all' });
    assert.deepEqual(Object.keys(described.dev ?? {}).sort(), ['after_wide', 'dog']);
    assert.deepEqual([...(await tableState(node, 'system', 'hdb_nodes', 'name')).keys()].sort(), nodesBefore);
    const dogs = await node.ok<Array<Record<string, unknown>>>({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'id', value: '*' });
    assert.deepEqual(dogs.map((d) => [d.id, d.name]), [[1, 'Rex']]);
  });
});
