// Unit tests of main's credential rule (electron/ipc/credential-origins.ts): an Authorization
// header goes to a saved connection's origin, the local node, or the origin that issued the
// token (create_authentication_tokens or refresh_operation_token through the same channel).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerdeskError } from '../../electron/ipc/contract.ts';
import { CredentialOrigins, ISSUED_TOKENS_MAX } from '../../electron/ipc/credential-origins.ts';

const node = 'https://db-1.example.com:9925';
const other = 'http://127.0.0.9:9925';
const refused = (fn: () => void) => assert.throws(fn, (e: unknown) => e instanceof PeerdeskError && e.code === 'CREDENTIAL_REFUSED');
const issue = (rule: CredentialOrigins, url: string, operation: string, token: string) =>
  rule.observe({ url, body: JSON.stringify({ operation }) }, { status: 200, body: JSON.stringify({ operation_token: token, refresh_token: 'r' }) });

test('no credential: anything goes; a saved connection or the local node: allowed', () => {
  const rule = new CredentialOrigins(() => 'http://127.0.0.1:43125');
  rule.check({ url: other, body: '{}', savedConnection: false });
  rule.check({ url: other, body: '{}', headers: { Authorization: 'Bearer x' }, savedConnection: true });
  rule.check({ url: 'http://127.0.0.1:43125/', body: '{}', headers: { authorization: 'Bearer x' }, savedConnection: false });
});

test('a token goes back only to the origin that issued it; a Basic password never without a saved connection', () => {
  const rule = new CredentialOrigins(() => null);
  refused(() => rule.check({ url: node, body: '{}', headers: { Authorization: 'Bearer t1' }, savedConnection: false }));
  issue(rule, `${node}/`, 'create_authentication_tokens', 't1');
  rule.check({ url: node, body: '{}', headers: { Authorization: 'Bearer t1' }, savedConnection: false });
  refused(() => rule.check({ url: other, body: '{}', headers: { Authorization: 'Bearer t1' }, savedConnection: false }));
  refused(() => rule.check({ url: node, body: '{}', headers: { Authorization: 'Basic YWRtaW46cHc=' }, savedConnection: false }));
  // A renewed token is the issuer's too; an error answer or another operation issues nothing.
  issue(rule, node, 'refresh_operation_token', 't2');
  rule.check({ url: node, body: '{}', headers: { Authorization: 'Bearer t2' }, savedConnection: false });
  issue(rule, other, 'describe_all', 't3');
  rule.observe({ url: other, body: JSON.stringify({ operation: 'create_authentication_tokens' }) }, { status: 401, body: JSON.stringify({ operation_token: 't4' }) });
  refused(() => rule.check({ url: other, body: '{}', headers: { Authorization: 'Bearer t3' }, savedConnection: false }));
  refused(() => rule.check({ url: other, body: '{}', headers: { Authorization: 'Bearer t4' }, savedConnection: false }));
});

test('the memory of issued tokens is bounded: the oldest is forgotten first', () => {
  const rule = new CredentialOrigins(() => null);
  for (let i = 0; i <= ISSUED_TOKENS_MAX; i++) issue(rule, node, 'create_authentication_tokens', `t${i}`);
  refused(() => rule.check({ url: node, body: '{}', headers: { Authorization: 'Bearer t0' }, savedConnection: false }));
  rule.check({ url: node, body: '{}', headers: { Authorization: `Bearer t${ISSUED_TOKENS_MAX}` }, savedConnection: false });
});
