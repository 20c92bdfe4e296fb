/**
 * Attack: a parallel burst of wrong passwords (issue 10 item 4). Checks are counted before they
 * run, so 100 wrong passwords in parallel get at most MAX_LOGIN_FAILURES_PER_USER_SOURCE 401s
 * and 429s with Retry-After for the rest; the burst locks out only (that user, that source):
 * the right password from another source and a valid bearer token from the same source work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_LOGIN_FAILURES_PER_USER_SOURCE } from '../../node-core/security/login-limiter.ts';
import { ADMIN, basicAuth, NodeProcess } from '../support/node-process.ts';
import { post } from './support.ts';

const ATTACKER = '127.0.0.2';
const VICTIM = '127.0.0.3';
const BURST = 100;

describe('login burst from one source', () => {
  let node: NodeProcess;
  let adminToken: string;
  before(async () => {
    node = await NodeProcess.start();
    await node.ok({ operation: 'add_user', username: 'alice', password: 'alice-right', role: 'user', active: true });
    adminToken = (await node.ok<{ operation_token: string }>({ operation: 'create_authentication_tokens' })).operation_token;
  });
  after(async () => node?.cleanup());

  test('a parallel burst of wrong Basic passwords cannot beat the count, and is answered 429 with Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, i) => post(node, { operation: 'user_info' }, basicAuth('alice', `wrong-${i}`), ATTACKER)),
    );
    const statuses = answers.map((a) => a.status);
    const failed = statuses.filter((s) => s === 401).length;
    const limited = answers.filter((a) => a.status === 429);
    assert.ok(failed <= MAX_LOGIN_FAILURES_PER_USER_SOURCE, `${failed} wrong passwords were checked (401), limit ${MAX_LOGIN_FAILURES_PER_USER_SOURCE}`);
    assert.equal(failed + limited.length, BURST, `every answer is 401 or 429: ${JSON.stringify(statuses)}`);
    for (const answer of limited) {
      assert.match(String(answer.headers['retry-after']), /^[1-9]\d*$/, 'Retry-After in whole seconds');
      assert.match(answer.body.error, /Too many failed logins/);
    }
  });

  test('a parallel burst of wrong passwords in token-creation bodies is limited the same way', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(node, { operation: 'create_authentication_tokens', username: 'bob', password: `wrong-${i}` }, null, ATTACKER)),
    );
    const failed = answers.filter((a) => a.status === 401).length;
    assert.ok(failed <= MAX_LOGIN_FAILURES_PER_USER_SOURCE, `${failed} checked`);
    assert.ok(answers.every((a) => a.status === 401 || a.status === 429));
  });

  test('the right password from another source is not locked out', async () => {
    const answer = await post(node, { operation: 'user_info' }, basicAuth('alice', 'alice-right'), VICTIM);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const tokens = await post(node, { operation: 'create_authentication_tokens', username: 'alice', password: 'alice-right' }, null, VICTIM);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  });

  test('a valid bearer token is never blocked, even from the attacking source', async () => {
    const answer = await post(node, { operation: 'user_info' }, `Bearer ${adminToken}`, ATTACKER);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.username, ADMIN.username);
  });

  test('another user from the attacking source still logs in; the locked pair gets 429', async () => {
    assert.equal((await post(node, { operation: 'user_info' }, basicAuth(ADMIN.username, ADMIN.password), ATTACKER)).status, 200);
    const locked = await post(node, { operation: 'user_info' }, basicAuth('alice', 'alice-right'), ATTACKER);
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) >= 1);
  });
});
