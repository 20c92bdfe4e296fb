// Unit tests of the renderer's API layer without a browser: OpsClient over a fake transport
// (auth headers, token renewal, every failure as an OpsError) and errorText's sentences.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PeerdeskError } from '../../electron/ipc/contract.ts';
import { errorText, OpsError } from '../../renderer/api/errors.ts';
import { OpsClient, tokenExpiry } from '../../renderer/api/ops-client.ts';
import { TransportError, type Transport, type TransportRequest, type TransportResponse } from '../../renderer/api/transport.ts';

/** A transport answering from a function, recording every request. */
function fakeTransport(answer: (request: TransportRequest, body: Record<string, unknown>) => TransportResponse | Error): Transport & { sent: TransportRequest[] } {
  const sent: TransportRequest[] = [];
  return {
    kind: 'fetch',
    sent,
    async send(request) {
      sent.push(request);
      const result = answer(request, JSON.parse(request.body) as Record<string, unknown>);
      if (result instanceof Error) throw result;
      return result;
    },
  };
}

const json = (status: number, value: unknown): TransportResponse => ({ status, text: JSON.stringify(value) });
const NODE = 'Staging (http://db:9925)';

function jwt(expSeconds: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ sub: 'admin', exp: expSeconds })}.sig`;
}

describe('OpsClient', () => {
  test('POSTs {operation, ...fields} with Basic or Bearer auth and returns the JSON', async () => {
    const transport = fakeTransport(() => json(200, { ok: true }));
    const basic = new OpsClient({ connectionId: 'c', nodeLabel: NODE, baseUrl: 'http://db:9925/', auth: { kind: 'basic', username: 'ädmin', password: 'p:w' }, transport });
    assert.deepEqual(await basic.call('describe_all'), { ok: true });
    const [request] = transport.sent;
    assert.equal(request!.url, 'http://db:9925/');
    assert.equal(request!.headers.Authorization, `Basic ${Buffer.from('ädmin:p:w').toString('base64')}`);
    assert.deepEqual(JSON.parse(request!.body), { operation: 'describe_all' });

    const bearer = new OpsClient({ connectionId: 'c', nodeLabel: NODE, baseUrl: '', auth: { kind: 'token', operationToken: 'tok' }, transport });
    await bearer.call('search_by_id', { database: 'data', table: 'dog', ids: [1] });
    assert.equal(transport.sent[1]!.url, '/');
    assert.equal(transport.sent[1]!.headers.Authorization, 'Bearer tok');
    assert.deepEqual(JSON.parse(transport.sent[1]!.body), { database: 'data', table: 'dog', ids: [1], operation: 'search_by_id' });
  });

  test('an expired operation token is renewed once with the refresh token, then the request is retried', async () => {
    let current = 'old';
    const transport = fakeTransport((request, body) => {
      if (body.operation === 'refresh_operation_token') {
        assert.equal(request.headers.Authorization, undefined);
        assert.equal(body.refresh_token, 'refresh');
        current = 'new';
        return json(200, { operation_token: 'new' });
      }
      return request.headers.Authorization === `Bearer ${current}` && current === 'new' ? json(200, ['ok']) : json(401, { error: 'Login failed: invalid or expired operation token' });
    });
    const renewed: string[] = [];
    const client = new OpsClient({ connectionId: 'c', nodeLabel: NODE, baseUrl: '', auth: { kind: 'token', operationToken: 'old', refreshToken: 'refresh' }, transport, onTokens: (t) => renewed.push(t.operationToken) });
    assert.deepEqual(await Promise.all([client.call('describe_all'), client.call('user_info')]), [['ok'], ['ok']]);
    assert.deepEqual(renewed, ['new'], 'one renewal for concurrent callers');
    assert.equal(transport.sent.filter((r) => r.body.includes('refresh_operation_token')).length, 1);
  });

  test('a token past its exp is renewed before the request; a refused renewal ends the session with 401', async () => {
    const transport = fakeTransport((_request, body) => (body.operation === 'refresh_operation_token' ? json(401, { error: 'Invalid or expired refresh token' }) : json(200, {})));
    const expired = jwt(Math.floor(Date.now() / 1000) - 10);
    assert.ok(tokenExpiry(expired)! < Date.now());
    const client = new OpsClient({ connectionId: 'c', nodeLabel: NODE, baseUrl: '', auth: { kind: 'token', operationToken: expired, refreshToken: 'r' }, transport });
    await assert.rejects(client.call('cluster_status'), (error: unknown) => {
      assert.ok(error instanceof OpsError);
      assert.equal(error.operation, 'cluster_status');
      assert.equal(error.status, 401);
      assert.match(errorText(error), /^Reading the cluster status on Staging \(http:\/\/db:9925\) failed: the session expired and could not be renewed \(HTTP 401\)\. Log in again/);
      return true;
    });
    assert.equal(transport.sent.length, 1, 'only the renewal was sent');
  });

  test('renews through a custom renew function (the desktop app’s local node) when given', async () => {
    let token = 'launch-1';
    const transport = fakeTransport((request) => (request.headers.Authorization === 'Bearer launch-2' ? json(200, 'ok') : json(401, { error: 'Login failed' })));
    const client = new OpsClient({ connectionId: 'local', nodeLabel: NODE, baseUrl: '', auth: { kind: 'token', operationToken: token }, transport, renew: async () => ({ operationToken: (token = 'launch-2') }) });
    assert.equal(await client.call('user_info'), 'ok');
  });

  test('every failure is an OpsError naming the operation and node', async () => {
    const cases: Array<[TransportResponse | Error, Partial<OpsError>]> = [
      [new TransportError('network', 'Failed to fetch'), { failure: 'network', serverMessage: 'Failed to fetch' }],
      [new TransportError('timeout', 'no answer within 15 s'), { failure: 'timeout' }],
      [json(400, { error: "search_by_value: 'value' is required" }), { failure: 'http', status: 400, serverMessage: "search_by_value: 'value' is required" }],
      [json(500, { error: { code: 'E1', message: 'nested' } }), { failure: 'http', status: 500, serverMessage: '{"code":"E1","message":"nested"}' }],
      [{ status: 502, text: '<html>Bad gateway</html>' }, { failure: 'http', status: 502, serverMessage: '<html>Bad gateway</html>' }],
      [{ status: 200, text: '<!doctype html><p>a web page' }, { failure: 'bad-json', status: 200 }],
    ];
    for (const [answer, expected] of cases) {
      const client = new OpsClient({ connectionId: 'c', nodeLabel: NODE, baseUrl: '', auth: { kind: 'none' }, transport: fakeTransport(() => answer) });
      await assert.rejects(client.call('search_by_value'), (error: unknown) => {
        assert.ok(error instanceof OpsError, String(error));
        assert.equal(error.operation, 'search_by_value');
        assert.equal(error.node, NODE);
        for (const [key, value] of Object.entries(expected)) assert.equal(error[key as keyof OpsError], value, key);
        assert.doesNotMatch(errorText(error), /\[object Object\]|undefined/);
        return true;
      });
    }
  });
});

describe('errorText', () => {
  test('says what failed, on which node, what the node said and what to do next', () => {
    assert.equal(
      errorText(new OpsError('create_authentication_tokens', NODE, 'http', 'Login failed', 401)),
      'Logging in to Staging (http://db:9925) failed: Login failed (HTTP 401). Check the user name and password.',
    );
    assert.equal(
      errorText(new OpsError('cluster_status', NODE, 'http', "Operation 'cluster_status' requires the super_user role", 403)),
      "Reading the cluster status on Staging (http://db:9925) failed: Operation 'cluster_status' requires the super_user role (HTTP 403). Log in as a user with the super_user role for this.",
    );
    assert.match(errorText(new OpsError('describe_table', NODE, 'http', "Table 'data.x' does not exist", 404)), /Refresh the list/);
    assert.match(errorText(new OpsError('insert', NODE, 'http', 'Internal error (request id 1)', 500)), /Look in the node's log/);
    assert.match(errorText(new OpsError('describe_all', NODE, 'network', 'Failed to fetch')), /could not be reached \(Failed to fetch\)\. Check that the node is running/);
    assert.match(errorText(new OpsError('describe_all', NODE, 'timeout', 'no answer within 15 s')), /did not answer: no answer within 15 s\./);
    assert.match(errorText(new OpsError('describe_all', NODE, 'bad-json', '<html>', 200)), /not JSON .*operations API/);
    assert.match(errorText(new OpsError('some_new_op', NODE, 'http', 'nope', 400)), /^The some new op operation on/);
  });

  test('anything else thrown still reads as a sentence, never [object Object]', () => {
    assert.match(errorText(new PeerdeskError('ENCRYPTION_UNAVAILABLE', 'safeStorage is not available')), /^The desktop app could not do that: safeStorage is not available\. This system offers no secret storage/);
    assert.equal(errorText({ error: 'plain object' }), 'Something went wrong in the app: plain object. Reload the page if it persists.');
    assert.equal(errorText({ weird: 1 }), 'Something went wrong in the app: {"weird":1}. Reload the page if it persists.');
    assert.equal(errorText(new TypeError('x is undefined')), 'Something went wrong in the app: x is undefined. Reload the page if it persists.');
    assert.doesNotMatch(errorText({ toString: null }), /\[object Object\]/);
    assert.equal(errorText(undefined), 'Something went wrong in the app. Reload the page if it persists.');
  });
});
