// Unit tests of electron/profiles.ts (saved connections): validation, secrets encrypted at rest
// with a real AES-GCM cipher (never plaintext in connections.json), summaries without secrets,
// and the password-for-tokens exchange against a real embedded node.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PeerdeskError, type IpcErrorCode } from '../../electron/ipc/contract.ts';
import { NodeLifecycle } from '../../electron/node-lifecycle.ts';
import { postOperation } from '../../electron/ops-http.ts';
import { cipherFromSafeStorage, ConnectionProfiles, exchangePasswordForTokens } from '../../electron/profiles.ts';
import { aesGcmCipher } from '../support/aes-cipher.ts';

const OPERATION_TOKEN = 'op-token-SECRET-aaaaaaaaaaaaaaaa';
const REFRESH_TOKEN = 'refresh-token-SECRET-bbbbbbbbbbbb';
const PASSWORD = 'pass-word-SECRET-cccccccccccc';
const ADMIN_PASSWORD = 'admin-password-SECRET-dddddddd';

let dir: string;
let count = 0;

function store(options: { cipher?: ReturnType<typeof aesGcmCipher> } = {}) {
  const directory = path.join(dir, `profiles-${++count}`);
  const cipher = options.cipher ?? aesGcmCipher();
  return { profiles: new ConnectionProfiles({ directory, cipher }), directory, cipher, file: path.join(directory, 'connections.json') };
}

function rejectsWith(code: IpcErrorCode, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof PeerdeskError, `expected a PeerdeskError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-profiles-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('saved connections', () => {
  test('a new connection is validated, normalised and saved; list shows it after a reload', async () => {
    const { profiles, directory, cipher, file } = store();
    assert.deepEqual(await profiles.list(), []);
    assert.equal(fs.existsSync(file), false, 'nothing is written until something is saved');
    const saved = await profiles.save({ name: '  Staging ', url: 'https://db.example.com:9925/', colour: '#AABBCC', production: true });
    assert.match(saved.id, /^[0-9a-f-]{36}$/);
    assert.equal(saved.name, 'Staging');
    assert.equal(saved.url, 'https://db.example.com:9925');
    assert.equal(saved.colour, '#aabbcc');
    assert.equal(saved.production, true);
    assert.equal(saved.caCertificate, null);
    assert.deepEqual(saved.auth, { kind: 'none' });
    assert.equal(saved.createdAt, saved.updatedAt);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);

    const reloaded = new ConnectionProfiles({ directory, cipher });
    assert.deepEqual(await reloaded.list(), [saved]);
    const defaults = await profiles.save({ name: 'Plain', url: 'http://10.0.0.5:9925' });
    assert.equal(defaults.colour, '#6b7280');
    assert.equal(defaults.production, false);
    assert.deepEqual((await profiles.list()).map((c) => c.name), ['Staging', 'Plain']);
  });

  test('secrets never reach the disk in plaintext, nor the list; getCredentials returns them', async () => {
    const { profiles, file } = store();
    const tokens = await profiles.save({
      name: 'Tokens',
      url: 'http://127.0.0.1:9925',
      auth: { kind: 'token', operationToken: OPERATION_TOKEN, refreshToken: REFRESH_TOKEN, username: 'alice' },
    });
    const basic = await profiles.save({ name: 'Basic', url: 'http://127.0.0.2:9925', auth: { kind: 'basic', username: 'bob', password: PASSWORD } });
    const onDisk = fs.readFileSync(file, 'utf8');
    for (const secret of [OPERATION_TOKEN, REFRESH_TOKEN, PASSWORD, 'SECRET']) assert.ok(!onDisk.includes(secret), `${secret} is on disk`);
    assert.ok(onDisk.includes('alice') && onDisk.includes('bob'), 'usernames are kept for display');

    const listed = JSON.stringify(await profiles.list());
    assert.ok(!listed.includes('SECRET'), 'list returns no secrets');
    assert.deepEqual(tokens.auth, { kind: 'token', username: 'alice', hasRefreshToken: true });
    assert.deepEqual(basic.auth, { kind: 'basic', username: 'bob' });

    assert.deepEqual(await profiles.getCredentials(tokens.id), {
      kind: 'token',
      operationToken: OPERATION_TOKEN,
      refreshToken: REFRESH_TOKEN,
      username: 'alice',
    });
    assert.deepEqual(await profiles.getCredentials(basic.id), { kind: 'basic', username: 'bob', password: PASSWORD });
  });

  test('an update changes only what it is given; new tokens replace old ones; moving the URL drops credentials', async () => {
    const { profiles, file } = store();
    const saved = await profiles.save({
      name: 'A',
      url: 'http://127.0.0.1:9925',
      auth: { kind: 'token', operationToken: OPERATION_TOKEN, refreshToken: REFRESH_TOKEN },
    });
    const renamed = await profiles.save({ id: saved.id, name: 'B', colour: '#112233' });
    assert.equal(renamed.name, 'B');
    assert.equal(renamed.url, saved.url);
    assert.equal(renamed.createdAt, saved.createdAt);
    assert.deepEqual((await profiles.getCredentials(saved.id)) as unknown, {
      kind: 'token',
      operationToken: OPERATION_TOKEN,
      refreshToken: REFRESH_TOKEN,
      username: null,
    });

    // A renewed operation token (the renderer's client refreshed it) is kept like this.
    await profiles.save({ id: saved.id, auth: { kind: 'token', operationToken: 'renewed-SECRET', refreshToken: REFRESH_TOKEN } });
    assert.equal(((await profiles.getCredentials(saved.id)) as { operationToken: string }).operationToken, 'renewed-SECRET');
    assert.ok(!fs.readFileSync(file, 'utf8').includes('renewed-SECRET'));

    const moved = await profiles.save({ id: saved.id, url: 'http://127.0.0.9:9925' });
    assert.deepEqual(moved.auth, { kind: 'none' }, 'credentials were for the old node');
    assert.deepEqual(await profiles.getCredentials(saved.id), { kind: 'none' });
  });

  test('bad input is refused with a message naming the field', async () => {
    const { profiles } = store();
    const cases: Array<[unknown, RegExp]> = [
      [{ url: 'http://x:1' }, /name is required/],
      [{ name: 'x' }, /url is required/],
      [{ name: '', url: 'http://x:1' }, /name must not be empty/],
      [{ name: 'x', url: 'ftp://x:1' }, /ftp: URLs are not supported/],
      [{ name: 'x', url: 'not a url' }, /is not a URL/],
      [{ name: 'x', url: 'http://user:pw@x:1' }, /credentials .* not in its URL/],
      [{ name: 'x', url: 'http://x:1/?a=b' }, /no \?query/],
      [{ name: 'x', url: 'http://x:1', colour: 'red' }, /colour must be #rrggbb/],
      [{ name: 'x', url: 'http://x:1', production: 'yes' }, /production must be true or false/],
      [{ name: 'x', url: 'http://x:1', caCertificate: 'hello' }, /BEGIN CERTIFICATE/],
      [{ name: 'x', url: 'http://x:1', auth: { kind: 'oauth' } }, /auth.kind must be/],
      [{ name: 'x', url: 'http://x:1', auth: { kind: 'basic', username: 'u' } }, /password/],
      [{ name: 'x', url: 'http://x:1', extra: 1 }, /extra/],
      [{ id: 'nope', name: 'x' }, /id must be a connection id/],
    ];
    for (const [input, pattern] of cases) {
      await assert.rejects(profiles.save(input as never), rejectsWith('INVALID_INPUT', pattern), JSON.stringify(input));
    }
    await assert.rejects(profiles.save({ id: '00000000-0000-4000-8000-000000000000', name: 'x' }), rejectsWith('NOT_FOUND', /No saved connection/));
    assert.deepEqual(await profiles.list(), []);
  });

  test('remove, unknown ids and many saves at once', async () => {
    const { profiles, directory, cipher } = store();
    const saved = await Promise.all(Array.from({ length: 20 }, (_, i) => profiles.save({ name: `n${i}`, url: `http://127.0.0.1:${9000 + i}` })));
    assert.equal(new Set(saved.map((c) => c.id)).size, 20);
    assert.equal((await new ConnectionProfiles({ directory, cipher }).list()).length, 20, 'every concurrent save reached the file');
    assert.deepEqual(await profiles.remove(saved[0]!.id), { removed: true });
    assert.deepEqual(await profiles.remove(saved[0]!.id), { removed: false });
    await assert.rejects(profiles.getCredentials(saved[0]!.id), rejectsWith('NOT_FOUND'));
    await assert.rejects(profiles.remove('x'), rejectsWith('INVALID_INPUT'));
    assert.equal((await profiles.list()).length, 19);
  });

  test('without secret storage, connections save but credentials are refused', async () => {
    const { profiles } = store({ cipher: aesGcmCipher(undefined, false) });
    const saved = await profiles.save({ name: 'No keyring', url: 'http://127.0.0.1:9925' });
    await assert.rejects(
      profiles.save({ id: saved.id, auth: { kind: 'basic', username: 'u', password: PASSWORD } }),
      rejectsWith('ENCRYPTION_UNAVAILABLE', /no secret storage/),
    );
    await assert.rejects(profiles.exchangePassword({ id: saved.id, username: 'u', password: 'p' }), rejectsWith('ENCRYPTION_UNAVAILABLE'));
    assert.deepEqual((await profiles.get(saved.id)).auth, { kind: 'none' });
  });

  test('credentials from another key (keyring changed) say so instead of failing obscurely', async () => {
    const { profiles, directory } = store();
    const saved = await profiles.save({ name: 'K', url: 'http://127.0.0.1:9925', auth: { kind: 'basic', username: 'u', password: PASSWORD } });
    const otherKey = new ConnectionProfiles({ directory, cipher: aesGcmCipher() });
    await assert.rejects(otherKey.getCredentials(saved.id), rejectsWith('ENCRYPTION_UNAVAILABLE', /cannot be decrypted.*log in to it again/));
    assert.equal((await otherKey.list()).length, 1, 'the list still works');
  });

  test('a damaged connections.json is reported with its path and left as it is', async () => {
    const { profiles, directory, file } = store();
    fs.mkdirSync(directory, { recursive: true });
    fs.writeFileSync(file, '{"version": 1, "connections": [{"id": 3}]}');
    await assert.rejects(profiles.list(), rejectsWith('STORAGE', /connections\.json is not a Peerdesk connections file \(connections\.0\.id/));
    await assert.rejects(profiles.save({ name: 'x', url: 'http://x:1' }), rejectsWith('STORAGE'));
    assert.equal(fs.readFileSync(file, 'utf8'), '{"version": 1, "connections": [{"id": 3}]}');
    fs.writeFileSync(file, 'not json');
    await assert.rejects(new ConnectionProfiles({ directory, cipher: aesGcmCipher() }).list(), rejectsWith('STORAGE', /is not valid JSON/));
  });

  test('safeStorage on Linux with the basic_text backend counts as unavailable', async () => {
    const safeStorage = (backend: string) => ({
      isAsyncEncryptionAvailable: async () => true,
      encryptStringAsync: async (text: string) => Buffer.from(text),
      decryptStringAsync: async (data: Buffer) => ({ result: data.toString() }),
      getSelectedStorageBackend: () => backend,
    });
    assert.equal(await cipherFromSafeStorage(safeStorage('basic_text'), 'linux').isAvailable(), false);
    assert.equal(await cipherFromSafeStorage(safeStorage('gnome_libsecret'), 'linux').isAvailable(), true);
    assert.equal(await cipherFromSafeStorage(safeStorage('unknown'), 'darwin').isAvailable(), true);
  });
});

describe('password for tokens, against a real node', () => {
  let node: NodeLifecycle;
  let url: string;
  let html: http.Server;
  let htmlUrl: string;

  before(async () => {
    node = new NodeLifecycle({ rootPath: path.join(dir, 'remote-node'), env: { HDB_ADMIN_USERNAME: 'admin', HDB_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    const status = await node.start();
    assert.equal(status.state, 'running', JSON.stringify(status.error));
    url = status.url!;
    html = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'));
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    htmlUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
  });

  after(async () => {
    await node.stop();
    html.close();
  });

  test('exchangePassword stores only the tokens, and they work on the node', async () => {
    const { profiles, file } = store();
    const saved = await profiles.save({ name: 'Remote', url });
    const exchanged = await profiles.exchangePassword({ id: saved.id, username: 'admin', password: ADMIN_PASSWORD });
    assert.deepEqual(exchanged.auth, { kind: 'token', username: 'admin', hasRefreshToken: true });
    const onDisk = fs.readFileSync(file, 'utf8');
    assert.ok(!onDisk.includes(ADMIN_PASSWORD), 'the password is not stored');
    const credentials = await profiles.getCredentials(saved.id);
    assert.equal(credentials.kind, 'token');
    if (credentials.kind !== 'token') return;
    assert.ok(!onDisk.includes(credentials.operationToken) && !onDisk.includes(credentials.refreshToken!), 'the tokens are encrypted');
    assert.ok(!JSON.stringify(await profiles.list()).includes(credentials.operationToken));

    const info = await postOperation(url, JSON.stringify({ operation: 'user_info' }), { headers: { authorization: `Bearer ${credentials.operationToken}` } });
    assert.equal(info.status, 200, info.body);
    assert.equal(JSON.parse(info.body).username, 'admin');
    const refreshed = await postOperation(url, JSON.stringify({ operation: 'refresh_operation_token', refresh_token: credentials.refreshToken }));
    assert.equal(refreshed.status, 200, refreshed.body);
  });

  test('a wrong password is AUTH_FAILED with the node\'s words, and the stored credentials stay', async () => {
    const { profiles } = store();
    const saved = await profiles.save({ name: 'Remote', url, auth: { kind: 'basic', username: 'admin', password: PASSWORD } });
    await assert.rejects(profiles.exchangePassword({ id: saved.id, username: 'admin', password: 'wrong' }), (error: PeerdeskError) => {
      assert.equal(error.code, 'AUTH_FAILED');
      assert.equal(error.status, 401);
      assert.match(error.message, /Logging in as 'admin' at http:\/\/127\.0\.0\.1:\d+ failed: Login failed/);
      return true;
    });
    assert.deepEqual(await profiles.getCredentials(saved.id), { kind: 'basic', username: 'admin', password: PASSWORD });
  });

  test('an unreachable node and a server that is no operations API are told apart', async () => {
    const closed = `http://127.0.0.1:${(await freePort())}`;
    await assert.rejects(exchangePasswordForTokens(closed, 'admin', 'x'), rejectsWith('NETWORK', /create_authentication_tokens to http:\/\/127\.0\.0\.1:\d+ failed: connect ECONNREFUSED/));
    await assert.rejects(exchangePasswordForTokens(htmlUrl, 'admin', 'x'), rejectsWith('REMOTE_ERROR', /not JSON; is it a Peerdesk or HarperDB operations API/));
  });
});

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
