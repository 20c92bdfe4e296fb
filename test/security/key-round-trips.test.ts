/**
 * Attack: ids and paths that do not survive a round trip (issue 10 item 10). `-0` beside `0`
 * (two records both shown as 0), a lone surrogate (comes back changed, cannot be deleted),
 * `1e999` (stored as null), bytes that are not UTF-8, and request paths that are not valid
 * percent-encoding or URLs: each is a 400 naming the value, never stored, never a 500.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { NodeProcess } from '../support/node-process.ts';
import { assertError } from '../support/ops.ts';
import { request } from './support.ts';

describe('values JSON cannot round-trip are refused', () => {
  let node: NodeProcess;
  before(async () => {
    node = await NodeProcess.start();
    await node.ok({ operation: 'create_table', database: 'dev', table: 'keys', primary_key: 'id' });
    await node.ok({ operation: 'insert', database: 'dev', table: 'keys', records: [{ id: 0, name: 'zero' }] });
  });
  after(async () => node?.cleanup());

  const insertRaw = (recordsJson: string) => node.raw(`{"operation":"insert","database":"dev","table":"keys","records":${recordsJson}}`);

  test('-0 as an id is refused (it would be a second key shown as 0)', async () => {
    assertError(await insertRaw('[{"id":-0,"name":"minus zero"}]'), 400, "records[0].id is -0");
    assertError(await node.raw('{"operation":"search_by_id","database":"dev","table":"keys","ids":[-0]}'), 400, "ids[0] is -0");
    assertError(await node.raw('{"operation":"delete","database":"dev","table":"keys","ids":[-0.0]}'), 400, '-0');
  });

  test('a lone surrogate in an id, a value or a field name is refused', async () => {
    assertError(await insertRaw('[{"id":"a\\ud800b"}]'), 400, "records[0].id", 'lone UTF-16 surrogate');
    assertError(await insertRaw('[{"id":"ok","name":"\\udfff"}]'), 400, "records[0].name", 'surrogate');
    assertError(await insertRaw('[{"id":"ok2","\\ud83d":"x"}]'), 400, 'field name', 'surrogate');
    // A well-formed pair is fine.
    assert.equal((await insertRaw('[{"id":"\\ud83d\\ude00"}]')).status, 200);
  });

  test('1e999 and other numbers beyond float range are refused', async () => {
    assertError(await insertRaw('[{"id":1e999}]'), 400, "records[0].id must be a finite number");
    assertError(await insertRaw('[{"id":"big","n":-1e400}]'), 400, "records[0].n must be a finite number");
  });

  test('a body that is not UTF-8 is refused, not changed to U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('{"operation":"insert","database":"dev","table":"keys","records":[{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    assertError(await node.raw(bytes), 400, 'not valid UTF-8');
  });

  test('nothing was stored: the table holds only id 0', async () => {
    const rows = await node.ok<Array<{ id: unknown }>>({ operation: 'search_by_value', database: 'dev', table: 'keys', attribute: 'id', value: '*' });
    assert.deepEqual(rows.map((r) => r.id).sort(), [0, '\u{1F600}']);
    assert.ok(rows.every((r) => !Object.is(r.id, -0)));
  });

  for (const path of ['/%E0%A4%A', '/%', '/%ZZ', '/a/%C0%AF', '//', '//x:99999/', '/a%00b', '/x%0d%0aSet-Cookie:y']) {
    test(`GET ${path} answers 400, not 500`, async () => {
      const answer = await request(node, { method: 'GET', path });
      assert.equal(answer.status, 400, `${answer.status} ${answer.text}`);
      assert.match(answer.body.error, /Invalid (percent-encoding in )?request path/);
    });
  }

  test('the node still serves after all of it', async () => {
    assert.equal((await node.ok<unknown[]>({ operation: 'describe_all' })) !== null, true);
  });
});

describe('requests the HTTP parser refuses get a JSON 4xx too', () => {
  let node: NodeProcess;
  before(async () => {
    node = await NodeProcess.start();
  });
  after(async () => node?.cleanup());

  const rawHttp = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const url = new URL(node.url);
      const socket = net.connect(Number(url.port), url.hostname, () => socket.write(text));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });

  for (const [name, text, status] of [
    ['a header name with a space', 'POST / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 400],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400],
    ['a control character in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n', 400],
    ['headers over the limit', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ] as const) {
    test(`${name}: ${status} with {"error"}`, async () => {
      const answer = await rawHttp(text);
      assert.match(answer, new RegExp(`^HTTP/1.1 ${status} `));
      const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
      assert.match(json.error, /Malformed HTTP request \(HPE_/);
    });
  }
});
