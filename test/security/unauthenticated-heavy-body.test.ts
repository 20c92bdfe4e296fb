/**
 * Attack: heavy work before authentication (issue 10 item 5, operations API). A 10 MiB body
 * without credentials is refused from its headers, unread and unparsed: the node's resident
 * memory (peak, from /proc) grows by less than RSS_BOUND. Authentication comes from the headers
 * first: wrong credentials are refused before the body is read. And the body bytes of all
 * requests in flight are bounded (MAX_IN_FLIGHT_BODY_BYTES): past it a request gets 429 with
 * Retry-After, decided from its Content-Length alone while the others are still being sent.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { MAX_IN_FLIGHT_BODY_BYTES, MAX_UNAUTHENTICATED_BODY_BYTES } from '../../node-core/security/request-limits.ts';
import { basicAuth, NodeProcess, waitFor } from '../support/node-process.ts';
import { memoryOf, MiB, nodePid, post, request } from './support.ts';

const RSS_BOUND = 48 * MiB;

/** A JSON body of about `bytes` that is expensive to parse: millions of empty arrays. */
function heavyBody(bytes: number): string {
  const head = '{"operation":"create_authentication_tokens","x":[';
  const count = Math.floor((bytes - head.length - 2) / 3);
  return head + '[],'.repeat(count - 1) + '[]]}';
}

describe('nothing heavy before authentication', () => {
  let node: NodeProcess;
  let pid: number;
  let token: string;
  before(async () => {
    node = await NodeProcess.start();
    pid = nodePid(node);
    token = (await node.ok<{ operation_token: string }>({ operation: 'create_authentication_tokens' })).operation_token;
  });
  after(async () => node?.cleanup());

  test('an unauthenticated 10 MiB body is refused unread; memory stays bounded', async () => {
    const body = heavyBody(10 * MiB - 1024);
    const before = memoryOf(pid);
    const answer = await request(node, { body });
    const afterwards = memoryOf(pid);
    assert.equal(answer.status, 413, answer.text);
    assert.match(answer.body.error, new RegExp(`over the limit of ${MAX_UNAUTHENTICATED_BODY_BYTES} bytes`));
    const growth = afterwards.peak - before.rss;
    console.log(`unauthenticated 10 MiB body: RSS ${Math.round(before.rss / MiB)} MiB before, peak ${Math.round(afterwards.peak / MiB)} MiB after`);
    assert.ok(growth < RSS_BOUND, `peak RSS grew ${Math.round(growth / MiB)} MiB (bound ${RSS_BOUND / MiB} MiB)`);
  });

  test('the same body sent chunked (no Content-Length) is cut off at the unauthenticated limit', async () => {
    const before = memoryOf(pid);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(node.url);
      const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/', agent: false, headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', (error) => setTimeout(() => reject(error), 2_000));
      const chunk = '[],'.repeat(20_000);
      const writeMore = (left: number): void => {
        if (left === 0 || req.destroyed) return void req.end();
        if (req.write(chunk)) setImmediate(() => writeMore(left - 1));
        else req.once('drain', () => writeMore(left - 1));
      };
      req.write('{"operation":"x","x":[');
      writeMore(170);
    });
    assert.equal(answer.status, 413, answer.text);
    assert.ok(memoryOf(pid).peak - before.rss < RSS_BOUND);
  });

  test('wrong credentials are refused from the headers, before the body is read', async () => {
    const before = memoryOf(pid);
    const answer = await request(node, { body: heavyBody(9 * MiB), auth: basicAuth('admin', 'wrong') });
    assert.equal(answer.status, 401, answer.text);
    assert.ok(memoryOf(pid).peak - before.rss < RSS_BOUND);
  });

  test('body bytes in flight are bounded: past the budget a request gets 429 with Retry-After', async () => {
    const size = 9 * MiB;
    const held = Math.floor(MAX_IN_FLIGHT_BODY_BYTES / size);
    const url = new URL(node.url);
    // Requests that declare a large body and send none of it yet: each holds its bytes.
    const pending = Array.from({ length: held }, () => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(size), Authorization: `Bearer ${token}` },
      });
      req.on('error', () => undefined);
      req.flushHeaders();
      return req;
    });
    try {
      const answer = await waitFor('a request past the in-flight budget to be refused', async () => {
        const next = await request(node, { body: ' '.repeat(size), auth: `Bearer ${token}` });
        return next.status === 429 ? next : undefined;
      }, 20_000, 100);
      assert.match(String(answer.headers['retry-after']), /^[1-9]\d*$/);
      assert.match(answer.body.error, /in flight/);
    } finally {
      for (const req of pending) req.destroy();
    }
    // Once those are gone, a large authenticated body is read again.
    await waitFor('the budget to be free again', async () => (await post(node, { operation: 'user_info', pad: 'x'.repeat(MiB) }, `Bearer ${token}`)).status === 200);
  });
});
