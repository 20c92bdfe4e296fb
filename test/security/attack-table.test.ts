/**
 * The attack table (issue 10): many malicious inputs, as an outsider, a non-super_user, a web
 * page and a member would send them, against one node. Every input must be answered 4xx or (on
 * replication) closed with a reason; afterwards the node still serves, the data written before
 * is intact, and its resident memory stayed bounded. Hand-written rows cover each known attack;
 * fast-check adds generated bodies, operation names and header values. The count is printed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { encode, type Message } from '../../node-core/replication/protocol.ts';
import { REPLICATION_PORT, startClusterNode } from '../support/cluster.ts';
import { ADMIN, basicAuth, freshLoopbackAddress, type NodeProcess } from '../support/node-process.ts';
import { helloFor, rawPeer, type PeerOptions } from './peer-support.ts';
import { memoryOf, MiB, nodePid, request, type RequestOptions } from './support.ts';

const RSS_BOUND = 200 * MiB;
const SEED = 20_261_201;

type HttpRow = {
  kind: 'http';
  name: string;
  options: RequestOptions | ((ctx: Context) => RequestOptions);
  /** other answers that are safe for this row (default: only a 4xx with {"error"}) */
  alsoSafe?: (answer: { status: number; text: string }) => boolean;
};
type PeerRow = { kind: 'peer'; name: string; node: string | ((ctx: Context) => string); options: PeerOptions | ((ctx: Context) => PeerOptions) };
type Row = HttpRow | PeerRow;

interface Context {
  user: string;
  member: string;
  token: string;
}

const json = (value: unknown) => JSON.stringify(value);
const body = (value: unknown, auth: string | null = basicAuth(ADMIN.username, ADMIN.password)): RequestOptions => ({ body: typeof value === 'string' ? value : json(value), auth });
const asUser = (value: unknown) => (ctx: Context) => body(value, ctx.user);
const forged = (payload: object, header = { alg: 'HS256', typ: 'JWT' }) =>
  `Bearer ${Buffer.from(json(header)).toString('base64url')}.${Buffer.from(json(payload)).toString('base64url')}.${'A'.repeat(43)}`;
const far = Math.floor(Date.now() / 1000) + 3600;

function httpRows(): HttpRow[] {
  const rows: HttpRow[] = [];
  const add = (name: string, options: HttpRow['options']) => rows.push({ kind: 'http', name, options });
  // outsider: credentials
  for (const auth of ['Basic', 'Basic !!!', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Bearer', 'Bearer x.y.z', 'Digest abc', 'admin:test-password', 'Basic ' + Buffer.from('admin:wrong').toString('base64'), 'Basic ' + Buffer.from('nobody:x').toString('base64'), 'Bearer ' + 'a'.repeat(5000)]) {
    add(`auth header ${auth.slice(0, 20)}`, body({ operation: 'describe_all' }, auth));
  }
  add('forged token: alg none', body({ operation: 'describe_all' }, forged({ sub: 'admin', kind: 'operation', exp: far, gen: '' }, { alg: 'none', typ: 'JWT' })));
  add('forged token: bad signature', body({ operation: 'describe_all' }, forged({ sub: 'admin', kind: 'operation', exp: far, gen: '' })));
  add('forged token: process kid', body({ operation: 'describe_all' }, forged({ sub: 'admin', kind: 'operation', exp: far }, { alg: 'HS256', typ: 'JWT', kid: 'process' } as never)));
  add('no credentials: describe_all', body({ operation: 'describe_all' }, null));
  add('no credentials: add_user', body({ operation: 'add_user', username: 'evil', password: 'x', role: 'super_user' }, null));
  add('no credentials: unknown operation', body({ operation: 'nope' }, null));
  add('no credentials: 10 MiB body', { body: '{"operation":"describe_all","x":"' + 'x'.repeat(10 * MiB) + '"}', auth: null });
  add('no credentials: refresh with a forged token', body({ operation: 'refresh_operation_token', refresh_token: 'a.b.c' }, null));
  add('no credentials: token creation with wrong password', body({ operation: 'create_authentication_tokens', username: 'admin', password: 'guess' }, null));
  // malformed bodies
  for (const text of ['', '{', '[]', 'null', '"x"', '{"operation":5}', '{"operation":"describe_all"', '{"operation":"insert","records":[{"id":-0}]}', '{"operation":"insert","database":"dev","table":"dog","records":[{"id":1e999}]}', '{"operation":"insert","database":"dev","table":"dog","records":[{"id":"\\ud800"}]}']) {
    add(`body ${text.slice(0, 30)}`, body(text));
  }
  add('body nested 5000 deep', body('{"operation":"insert","x":' + '['.repeat(5000) + ']'.repeat(5000) + '}'));
  add('body not UTF-8', { body: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), auth: basicAuth(ADMIN.username, ADMIN.password) });
  add('body over maxBodySize', { body: 'x'.repeat(10 * MiB + 10), auth: basicAuth(ADMIN.username, ADMIN.password) });
  // names: traversal, markup, prototype keys
  for (const name of ['../../x', '..', 'a/b', '<script>alert(1)</script>', '__proto__', 'x'.repeat(300), '', 'system']) {
    add(`create_table ${name.slice(0, 20)}`, body({ operation: 'create_table', database: name === 'system' ? 'system' : 'dev', table: name || ' ', primary_key: 'id' }));
    add(`create_database ${name.slice(0, 20)}`, body({ operation: 'create_database', database: name === 'system' ? 'system' : name }));
  }
  add('insert __proto__ record', body('{"operation":"insert","database":"dev","table":"dog","records":[{"id":"p","__proto__":{"admin":true}}],"__proto__":{"x":1}}'));
  add('insert a record that is an array', body({ operation: 'insert', database: 'dev', table: 'dog', records: [[1, 2]] }));
  add('insert into a missing table', body({ operation: 'insert', database: 'dev', table: 'nope', records: [{ id: 1 }] }));
  add('search hdb_user by password', body({ operation: 'search_by_value', database: 'system', table: 'hdb_user', attribute: 'password', value: '*' }));
  add('drop the system database', body({ operation: 'drop_database', database: 'system' }));
  add('peer-only operation from a user', body({ operation: 'add_node_back', hostname: 'x' }));
  add('add_node with a url carrying credentials', body({ operation: 'add_node', url: 'ws://admin:pw@127.0.0.99:9930' }));
  add('add_node with markup hostname', body({ operation: 'add_node', hostname: '<img src=x>' }));
  add('remove_node of nobody', body({ operation: 'remove_node', hostname: 'nobody.example' }));
  // non-super_user
  for (const op of [
    { operation: 'system_information' },
    { operation: 'describe_database', database: 'system' },
    { operation: 'describe_table', database: 'system', table: 'hdb_user' },
    { operation: 'search_by_value', database: 'system', table: 'hdb_user', attribute: 'username', value: '*' },
    { operation: 'add_user', username: 'evil', password: 'x', role: 'super_user' },
    { operation: 'alter_user', username: 'admin', password: 'taken' },
    { operation: 'list_users' },
    { operation: 'add_node', hostname: '127.0.0.99' },
    { operation: 'cluster_status' },
    { operation: 'read_log' },
    { operation: 'get_configuration' },
    { operation: 'list_certificates' },
    { operation: 'create_table', database: 'dev', table: 'mine', primary_key: 'id' },
    { operation: 'drop_table', database: 'dev', table: 'dog' },
  ]) {
    add(`user: ${op.operation}`, asUser(op));
  }
  // a web page: cross-origin preflight from a page not in the access list is still only CORS; paths and methods
  for (const path of ['/%E0%A4%A', '/%', '//', '//x:99999/', '/../../etc/passwd%00', '/a%0d%0aSet-Cookie:x']) {
    add(`GET ${path}`, { method: 'GET', path });
  }
  // Dot segments are resolved by URL parsing before any file is looked up: what comes back is
  // the UI's page (an app route) or 404, never a file outside the UI's directory.
  const servesNoOutsideFile = (answer: { status: number; text: string }) => answer.status === 200 && !answer.text.includes('root:') && /<!doctype html>|Peerdesk node/i.test(answer.text);
  for (const path of ['/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/assets/../../../../etc/passwd']) {
    rows.push({ kind: 'http', name: `GET ${path}`, options: { method: 'GET', path }, alsoSafe: servesNoOutsideFile });
  }
  for (const method of ['PUT', 'DELETE', 'PATCH', 'TRACE']) add(`method ${method}`, { method, auth: basicAuth(ADMIN.username, ADMIN.password) });
  return rows;
}

/** Generated rows: arbitrary JSON bodies, operation names and Authorization values (seeded). */
function generatedRows(): HttpRow[] {
  const rows: HttpRow[] = [];
  const notAnOperation = fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v) || !('operation' in v));
  for (const value of fc.sample(notAnOperation, { numRuns: 60, seed: SEED })) rows.push({ kind: 'http', name: `generated body ${json(value).slice(0, 30)}`, options: body(value) });
  const names = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/^[a-z_]+$/.test(s));
  for (const name of fc.sample(names, { numRuns: 40, seed: SEED })) rows.push({ kind: 'http', name: `generated operation ${json(name)}`, options: body({ operation: name }) });
  const headers = fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 60 }).filter((s) => /^[\x21-\x7e][\x20-\x7e]*[\x21-\x7e]$/.test(s));
  for (const header of fc.sample(headers, { numRuns: 40, seed: SEED })) rows.push({ kind: 'http', name: `generated Authorization ${json(header)}`, options: body({ operation: 'describe_all' }, header) });
  return rows;
}

function peerRows(): PeerRow[] {
  const rows: PeerRow[] = [];
  const add = (name: string, node: PeerRow['node'], options: PeerRow['options']) => rows.push({ kind: 'peer', name, node, options });
  const asMember = (options: PeerOptions) => (ctx: Context): PeerOptions => ({ localAddress: ctx.member, ...options });
  const member = (ctx: Context) => ctx.member;
  const txns = (writes: unknown[], schema: unknown[] = []): Message => ({ t: 'txns', entries: [[1, { v: Date.now(), o: 'm', u: null, w: writes, ...(schema.length ? { s: schema } : {}) }]], through: 1 }) as never;
  for (const headers of [{ Origin: 'http://evil.example' }, { Origin: 'null' }, { 'Sec-Fetch-Mode': 'websocket' }] as Array<Record<string, string>>) add(`browser upgrade ${json(headers)}`, member, asMember({ headers }));
  add('stranger hello', 'stranger.example', {});
  add('hello claiming a member from another address', member, {});
  add('50 MB hello', 'stranger.example', { rawHello: encode({ ...helloFor('stranger.example'), pad: 'x'.repeat(50 * MiB) } as never) });
  add('garbage bytes', 'x', { rawHello: Buffer.from('not msgpack at all \u0000\u0001') });
  add('hello with markup node name', '<b>x</b>', { hello: { node: '<b>x</b>' } });
  add('hello with a javascript: url', member, asMember({ hello: { url: 'javascript:alert(1)' } }));
  add('member hello: 1100 tables', member, asMember({ hello: { database: 'wide', tables: Array.from({ length: 1100 }, (_, i) => ({ name: `t${i}`, primaryKey: 'id', attributes: [], replicate: true })) } }));
  add('member hello: table ../../x', member, asMember({ hello: { database: 'dev', tables: [{ name: '../../x', primaryKey: 'id', attributes: [], replicate: true }] } }));
  add('member: create_table ../../x', member, asMember({ hello: { database: 'dev' }, after: [txns([], [{ kind: 'create_table', table: '../../x', primaryKey: 'id', attributes: [], replicate: true }])] }));
  add('member: record 42', member, asMember({ hello: { database: 'dev' }, after: [txns([{ t: 'dog', k: 9, r: 42 }])] }));
  add('member: empty key', member, asMember({ hello: { database: 'dev' }, after: [txns([{ t: 'dog', k: '', r: { id: '' } }])] }));
  add('member: key 1e999', member, asMember({ hello: { database: 'dev' }, after: [txns([{ t: 'dog', k: Infinity, r: { id: 1 } }])] }));
  add('member: hdb_nodes row with markup', member, asMember({ after: [txns([{ t: 'hdb_nodes', k: '<svg onload=x>', r: { name: '<svg onload=x>' } }])] }));
  add('member: hdb_user row with a bad role', member, asMember({ after: [txns([{ t: 'hdb_user', k: 'evil', r: { username: 'evil', role: 'god', password: 'x' } }])] }));
  add('member: unknown frame type', member, asMember({ after: [{ t: 'drop-everything' } as never] }));
  return rows;
}

describe('attack table', () => {
  let node: NodeProcess;
  let ctx: Context;
  let pid: number;
  let rssBefore = 0;
  const seed = [{ id: 1, name: 'Rex' }, { id: 'two', name: 'Fido', tags: ['a', 'b'] }];
  before(async () => {
    node = await startClusterNode({});
    await node.ok({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
    await node.ok({ operation: 'insert', database: 'dev', table: 'dog', records: seed });
    await node.ok({ operation: 'add_user', username: 'plain', password: 'plain-password', role: 'user', active: true });
    const member = freshLoopbackAddress();
    await node.ok({ operation: 'add_node', hostname: member });
    const token = (await node.ok<{ operation_token: string }>({ operation: 'create_authentication_tokens' })).operation_token;
    ctx = { user: basicAuth('plain', 'plain-password'), member, token };
    pid = nodePid(node);
    rssBefore = memoryOf(pid).rss;
  });
  after(async () => node?.cleanup());

  test('every input is answered 4xx or closed with a reason; the node serves, data intact, memory bounded', async () => {
    const rows: Row[] = [...httpRows(), ...generatedRows(), ...peerRows()];
    const failures: string[] = [];
    let answered = 0;
    for (const row of rows) {
      if (row.kind === 'http') {
        const options = typeof row.options === 'function' ? row.options(ctx) : row.options;
        // Each from its own source address, so the login limit of one row does not shape the next.
        const answer = await request(node, { localAddress: freshLoopbackAddress(), ...options });
        if ((answer.status >= 400 && answer.status < 500 && typeof answer.body?.error === 'string') || row.alsoSafe?.(answer)) answered++;
        else failures.push(`${row.name}: ${answer.status} ${answer.text.slice(0, 160)}`);
      } else {
        const name = typeof row.node === 'function' ? row.node(ctx) : row.node;
        const options = typeof row.options === 'function' ? row.options(ctx) : row.options;
        const outcome = await rawPeer(`ws://${node.host}:${REPLICATION_PORT}`, name, { timeoutMs: 15_000, ...options }).catch((error: Error) => error);
        if (outcome instanceof Error) {
          failures.push(`${row.name}: ${outcome.message.slice(0, 200)}`);
          continue;
        }
        const refusedUpgrade = outcome.upgradeStatus !== null && outcome.upgradeStatus >= 400 && outcome.upgradeStatus < 500;
        const closedWithReason = outcome.code !== null && outcome.code >= 4000 && outcome.reason.length > 0;
        if (refusedUpgrade || closedWithReason) answered++;
        else failures.push(`${row.name}: upgrade ${outcome.upgradeStatus}, admitted ${outcome.admitted}, close ${outcome.code} ${outcome.reason}`);
      }
    }
    const peak = memoryOf(pid).peak;
    console.log(`attack table: ${rows.length} inputs, ${answered} answered 4xx or closed with a reason; RSS ${Math.round(rssBefore / MiB)} MiB before, peak ${Math.round(peak / MiB)} MiB`);
    assert.deepEqual(failures, [], `${failures.length} of ${rows.length} inputs were not refused properly`);
    // Still serving; the data written before is as it was; memory bounded.
    const dogs = await node.ok<Array<Record<string, unknown>>>({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'id', value: '*' });
    assert.deepEqual(
      dogs.map(({ __createdtime__, __updatedtime__, ...rest }) => rest).sort((a, b) => String(a.id).localeCompare(String(b.id))),
      [...seed].sort((a, b) => String(a.id).localeCompare(String(b.id))),
    );
    assert.deepEqual((await node.ok<Array<{ username: string }>>({ operation: 'list_users' })).map((u) => u.username).sort(), ['admin', 'plain']);
    const tables = Object.keys((await node.ok<Record<string, Record<string, unknown>>>({ operation: 'describe_all' })).dev ?? {});
    assert.deepEqual(tables, ['dog']);
    assert.ok(peak - rssBefore < RSS_BOUND, `peak RSS grew ${Math.round((peak - rssBefore) / MiB)} MiB (bound ${RSS_BOUND / MiB} MiB)`);
    assert.doesNotMatch(node.stderr, /Internal error in operation/);
  });
});
