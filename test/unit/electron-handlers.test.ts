// Unit tests of the Electron main-side IPC handlers (sender checks, input validation, the result
// envelope, each channel's work against a real embedded node and real saved connections) and of
// the window policy, all run without Electron through their plain-module interfaces.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  IPC_CHANNELS,
  IPC_EVENTS,
  PeerdeskError,
  unwrapIpc,
  type IpcChannelName,
  type IpcResult,
  type LocalNodeStatus,
  type PemKind,
} from '../../electron/ipc/contract.ts';
import {
  createIpcHandlers,
  registerIpcHandlers,
  sendLocalNodeState,
  senderRefusal,
  type HandlerDeps,
  type IpcHandlers,
  type IpcSenderEvent,
} from '../../electron/ipc/handlers.ts';
import { NodeLifecycle } from '../../electron/node-lifecycle.ts';
import {
  CONTENT_SECURITY_POLICY,
  externalHttpUrl,
  isNavigationAllowed,
  isPermissionAllowed,
  statusPageUrl,
  withContentSecurityPolicy,
} from '../../electron/policy.ts';
import { ConnectionProfiles } from '../../electron/profiles.ts';
import { aesGcmCipher } from '../support/aes-cipher.ts';

const UI = 'http://127.0.0.1:43125';
const ADMIN_PASSWORD = 'handlers-admin-password';
const topFrame = (url: string): IpcSenderEvent => ({ senderFrame: { url, parent: null } });

function assertError(result: IpcResult<unknown>, code: string, pattern?: RegExp): void {
  assert.equal(result.ok, false, `expected an error, got ${JSON.stringify(result)}`);
  if (result.ok) return;
  assert.equal(result.error.code, code, result.error.message);
  if (pattern) assert.match(result.error.message, pattern);
}

describe('IPC sender checks', () => {
  test('the top frame of the UI origin is accepted, on any path', () => {
    assert.equal(senderRefusal(topFrame(`${UI}/`), UI), null);
    assert.equal(senderRefusal(topFrame(`${UI}/index.html#/status`), UI), null);
  });

  const refused: Array<[string, IpcSenderEvent, string | null, RegExp]> = [
    ['a destroyed frame', { senderFrame: null }, UI, /frame is gone/],
    ['a subframe of the UI', { senderFrame: { url: `${UI}/`, parent: {} } }, UI, /not a top-level frame/],
    ['another port', topFrame('http://127.0.0.1:9925/'), UI, /not the Peerdesk UI/],
    ['another loopback host', topFrame('http://127.0.0.2:43125/'), UI, /not the Peerdesk UI/],
    ['localhost instead of 127.0.0.1', topFrame('http://localhost:43125/'), UI, /not the Peerdesk UI/],
    ['https on the same port', topFrame('https://127.0.0.1:43125/'), UI, /not the Peerdesk UI/],
    ['a remote site', topFrame('https://example.com/'), UI, /not the Peerdesk UI/],
    ['a file: page', topFrame('file:///tmp/index.html'), UI, /not the Peerdesk UI/],
    ['about:blank', topFrame('about:blank'), UI, /not the Peerdesk UI/],
    ['a data: URL (the status page)', topFrame('data:text/html,<p>x</p>'), UI, /not the Peerdesk UI/],
    ['an unparseable URL', topFrame('not a url'), UI, /not the Peerdesk UI/],
    ['a userinfo trick', topFrame(`http://127.0.0.1:43125@evil.example/`), UI, /not the Peerdesk UI/],
    ['any frame before the UI is known', topFrame(`${UI}/`), null, /not loaded yet/],
  ];
  for (const [name, event, trusted, why] of refused) {
    test(`refuses ${name}`, () => {
      const refusal = senderRefusal(event, trusted);
      assert.ok(refusal, 'expected a refusal');
      assert.match(refusal, why);
    });
  }
});

describe('IPC handlers with a real node and real saved connections', () => {
  let dir: string;
  let lifecycle: NodeLifecycle;
  let profiles: ConnectionProfiles;
  let handlers: IpcHandlers;
  let ui: string;
  let trusted: string | null;
  const opened: string[] = [];
  const picked: PemKind[] = [];
  let fromUi = (): IpcSenderEvent => topFrame(`${ui}/`);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-handlers-'));
    lifecycle = new NodeLifecycle({
      rootPath: path.join(dir, 'node'),
      env: { HDB_ADMIN_USERNAME: 'admin', HDB_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    const status = await lifecycle.start();
    assert.equal(status.state, 'running', JSON.stringify(status.error));
    ui = status.url!;
    trusted = ui;
    fromUi = () => topFrame(`${ui}/`);
    profiles = new ConnectionProfiles({ directory: dir, cipher: aesGcmCipher() });
    const deps: HandlerDeps = {
      trustedOrigin: () => trusted,
      localNode: lifecycle,
      connections: profiles,
      appVersion: '0.1.0',
      pickPemFile: async (kind) => {
        picked.push(kind);
        return kind === 'certificate' ? { path: '/tmp/cert.pem', contents: '-----BEGIN CERTIFICATE-----' } : null;
      },
      openExternal: async (url) => void opened.push(url),
    };
    handlers = createIpcHandlers(deps);
  });

  after(async () => {
    await lifecycle.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every channel refuses an untrusted sender, and does none of its work', async () => {
    const evil = topFrame('https://example.com/');
    for (const name of Object.keys(IPC_CHANNELS) as IpcChannelName[]) {
      const result = await handlers[name](evil, 'anything');
      assertError(result, 'FORBIDDEN_SENDER', new RegExp(`^IPC ${IPC_CHANNELS[name]} refused: frame https://example\\.com/ is not the Peerdesk UI`));
    }
    assert.equal(lifecycle.status().state, 'running', 'localNode.stop from elsewhere stopped nothing');
    assert.deepEqual(opened, []);
    assert.deepEqual(picked, []);
    assert.deepEqual(await profiles.list(), []);
  });

  test('getLocalNode: URL, state and the launch token, which the node accepts', async () => {
    const info = unwrapIpc(await handlers.getLocalNode(fromUi()));
    assert.equal(info.state, 'running');
    assert.equal(info.url, ui);
    assert.equal(info.username, 'admin');
    assert.ok(info.token);
    assert.ok(!JSON.stringify(info).includes(ADMIN_PASSWORD));
    const answer = unwrapIpc(
      await handlers.request(fromUi(), {
        url: ui,
        body: JSON.stringify({ operation: 'system_information', attributes: ['system'] }),
        headers: { Authorization: `Bearer ${info.token}` },
      }),
    );
    assert.equal(answer.status, 200, answer.body);
    assert.equal(JSON.parse(answer.body).system.node_name, '127.0.0.1');
  });

  test('arguments are validated: wrong count, wrong type, unknown fields', async () => {
    assertError(await handlers.getLocalNode(fromUi(), 'extra'), 'INVALID_INPUT', /^IPC peerdesk:local-node:get: expected no arguments, got 1$/);
    assertError(await handlers['connections.remove'](fromUi()), 'INVALID_INPUT', /^IPC peerdesk:connections:remove: expected 1 argument, got 0$/);
    assertError(await handlers['localNode.logs'](fromUi(), { limit: 0 }), 'INVALID_INPUT', /limit/);
    assertError(await handlers['localNode.logs'](fromUi(), { limit: 5, more: 1 }), 'INVALID_INPUT', /more/);
    assertError(await handlers['connections.remove'](fromUi(), 42), 'INVALID_INPUT', /id must be a connection id/);
    assertError(await handlers['connections.save'](fromUi(), { name: 'x', url: 'javascript:alert(1)' }), 'INVALID_INPUT', /javascript: URLs are not supported/);
    assertError(await handlers.pickPemFile(fromUi(), 'password'), 'INVALID_INPUT', /kind must be one of certificate, privateKey, certificateAuthority/);
    assertError(await handlers.request(fromUi(), { url: ui }), 'INVALID_INPUT', /body/);
    assertError(await handlers.request(fromUi(), { url: ui, body: '{}', timeoutMs: 3_600_000 }), 'INVALID_INPUT', /timeoutMs must be at most/);
  });

  test('localNode: logs, restart (same URL) and the status it reports', async () => {
    const lines = unwrapIpc(await handlers['localNode.logs'](fromUi(), { limit: 3 }));
    assert.ok(lines.length >= 1 && lines.length <= 3);
    assert.ok(lines.every((line) => typeof line.message === 'string' && typeof line.timestamp === 'string'));
    assert.ok(unwrapIpc(await handlers['localNode.logs'](fromUi())).some((line) => line.message === 'Node started'));
    const restarted = unwrapIpc(await handlers['localNode.restart'](fromUi()));
    assert.equal(restarted.state, 'running');
    assert.equal(restarted.url, ui);
  });

  test('request: only http(s), only the allowed headers, only to the connection\'s origin', async () => {
    assertError(await handlers.request(fromUi(), { url: 'file:///etc/passwd', body: '{}' }), 'INVALID_INPUT', /file: URLs are not supported/);
    assertError(await handlers.request(fromUi(), { url: ui, body: '{}', headers: { Cookie: 'a=b' } }), 'INVALID_INPUT', /Header "Cookie" may not be set/);
    const saved = unwrapIpc(await handlers['connections.save'](fromUi(), { name: 'Self', url: ui }));
    assertError(
      await handlers.request(fromUi(), { url: 'http://127.0.0.1:1/', body: '{}', connectionId: saved.id }),
      'INVALID_INPUT',
      /is not at the origin of connection 'Self'/,
    );
    const anonymous = unwrapIpc(await handlers.request(fromUi(), { url: `${ui}/`, body: JSON.stringify({ operation: 'describe_all' }), connectionId: saved.id }));
    assert.equal(anonymous.status, 401, 'the answer is returned whatever its status');
    assert.match(JSON.parse(anonymous.body).error, /Must login/);
    const unreachable = await handlers.request(fromUi(), { url: 'http://127.0.0.1:1', body: JSON.stringify({ operation: 'cluster_status' }) });
    assertError(unreachable, 'NETWORK', /cluster_status to http:\/\/127\.0\.0\.1:1 failed/);
    unwrapIpc(await handlers['connections.remove'](fromUi(), saved.id));
  });

  test('connections: save, list without secrets, exchange a password for tokens, credentials, remove', async () => {
    const saved = unwrapIpc(await handlers['connections.save'](fromUi(), { name: 'Local as remote', url: ui, colour: '#ff0000', production: true }));
    assert.deepEqual(saved.auth, { kind: 'none' });
    const wrong = await handlers['connections.exchangePassword'](fromUi(), { id: saved.id, username: 'admin', password: 'nope' });
    assertError(wrong, 'AUTH_FAILED', /Login failed/);
    if (!wrong.ok) assert.equal(wrong.error.status, 401);
    const exchanged = unwrapIpc(await handlers['connections.exchangePassword'](fromUi(), { id: saved.id, username: 'admin', password: ADMIN_PASSWORD }));
    assert.deepEqual(exchanged.auth, { kind: 'token', username: 'admin', hasRefreshToken: true });
    const credentials = unwrapIpc(await handlers['connections.getCredentials'](fromUi(), saved.id));
    assert.equal(credentials.kind, 'token');
    if (credentials.kind !== 'token') return;
    const listed = unwrapIpc(await handlers['connections.list'](fromUi()));
    assert.deepEqual(listed.map((c) => c.id), [saved.id]);
    assert.ok(!JSON.stringify(listed).includes(credentials.operationToken));
    assert.ok(!fs.readFileSync(profiles.file, 'utf8').includes(ADMIN_PASSWORD));
    const whoami = unwrapIpc(
      await handlers.request(fromUi(), {
        url: ui,
        body: JSON.stringify({ operation: 'user_info' }),
        headers: { authorization: `Bearer ${credentials.operationToken}` },
        connectionId: saved.id,
      }),
    );
    assert.equal(JSON.parse(whoami.body).username, 'admin');
    assert.deepEqual(unwrapIpc(await handlers['connections.remove'](fromUi(), saved.id)), { removed: true });
    assertError(await handlers['connections.getCredentials'](fromUi(), saved.id), 'NOT_FOUND');
  });

  test('pickPemFile, openExternal and appVersion', async () => {
    assert.deepEqual(unwrapIpc(await handlers.pickPemFile(fromUi(), 'certificate')), { path: '/tmp/cert.pem', contents: '-----BEGIN CERTIFICATE-----' });
    assert.equal(unwrapIpc(await handlers.pickPemFile(fromUi(), 'privateKey')), null, 'cancelled');
    assert.deepEqual(picked, ['certificate', 'privateKey']);
    assert.equal(unwrapIpc(await handlers.openExternal(fromUi(), 'https://docs.harperdb.io/docs?x=1#y')), null);
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'mailto:a@b.c', '/relative', 'https://user:pw@example.com/']) {
      assertError(await handlers.openExternal(fromUi(), url), 'INVALID_INPUT', /Only http:\/\/ and https:\/\/ links/);
    }
    assert.deepEqual(opened, ['https://docs.harperdb.io/docs?x=1#y']);
    assert.deepEqual(await handlers.appVersion(fromUi()), { ok: true, value: '0.1.0' });
  });

  test('the trusted origin is followed as it changes; before the UI loads nothing is answered', async () => {
    trusted = null;
    assertError(await handlers.appVersion(fromUi()), 'FORBIDDEN_SENDER', /not loaded yet/);
    trusted = 'http://127.0.0.1:50000';
    assertError(await handlers.appVersion(fromUi()), 'FORBIDDEN_SENDER');
    assert.equal(unwrapIpc(await handlers.appVersion(topFrame('http://127.0.0.1:50000/'))), '0.1.0');
    trusted = ui;
  });
});

describe('IPC envelope, registration and events', () => {
  const stubNode = {
    localNode: () => {
      throw new Error('disk on fire');
    },
    start: () => Promise.reject(new PeerdeskError('NOT_RUNNING', 'not now')),
    stop: () => Promise.reject(new Error('x')),
    restart: () => Promise.reject(new Error('x')),
    logs: () => [],
  };
  const deps = (): HandlerDeps => ({
    trustedOrigin: () => UI,
    localNode: stubNode,
    connections: new ConnectionProfiles({ directory: path.join(os.tmpdir(), 'peerdesk-never-written'), cipher: aesGcmCipher() }),
    appVersion: '0.1.0',
    pickPemFile: async () => null,
    openExternal: async () => undefined,
  });

  test('a PeerdeskError keeps its code; anything else is INTERNAL naming the channel', async () => {
    const handlers = createIpcHandlers(deps());
    assertError(await handlers['localNode.start'](topFrame(`${UI}/`)), 'NOT_RUNNING', /^not now$/);
    const originalError = console.error;
    console.error = () => undefined;
    try {
      assertError(await handlers.getLocalNode(topFrame(`${UI}/`)), 'INTERNAL', /^IPC peerdesk:local-node:get failed: disk on fire$/);
    } finally {
      console.error = originalError;
    }
  });

  test('registration covers exactly the contract channels and can be undone', async () => {
    const registered = new Map<string, (event: IpcSenderEvent, ...args: unknown[]) => unknown>();
    const ipcMain = {
      handle: (channel: string, listener: (event: IpcSenderEvent, ...args: unknown[]) => unknown) => void registered.set(channel, listener),
      removeHandler: (channel: string) => void registered.delete(channel),
    };
    const unregister = registerIpcHandlers(ipcMain, createIpcHandlers(deps()));
    assert.deepEqual([...registered.keys()].sort(), Object.values(IPC_CHANNELS).sort());
    assert.deepEqual(await registered.get(IPC_CHANNELS.appVersion)?.(topFrame(`${UI}/`)), { ok: true, value: '0.1.0' });
    assertError((await registered.get(IPC_CHANNELS.appVersion)?.(topFrame('file:///x'))) as IpcResult<unknown>, 'FORBIDDEN_SENDER');
    unregister();
    assert.equal(registered.size, 0);
  });

  test('node state events go only to a window that shows the trusted UI', () => {
    const status: LocalNodeStatus = { state: 'stopped', url: null, replicationUrl: null, nodeName: null, rootPath: '/x', error: null, since: 1 };
    const sent: Array<[string, unknown]> = [];
    const target = (url: string, destroyed = false) => ({
      isDestroyed: () => destroyed,
      getURL: () => url,
      send: (channel: string, payload: unknown) => void sent.push([channel, payload]),
    });
    assert.equal(sendLocalNodeState(target(`${UI}/#/local`), UI, status), true);
    assert.deepEqual(sent, [[IPC_EVENTS.localNodeState, status]]);
    assert.equal(sendLocalNodeState(target(statusPageUrl('Starting', '')), UI, status), false);
    assert.equal(sendLocalNodeState(target('https://example.com/'), UI, status), false);
    assert.equal(sendLocalNodeState(target(`${UI}/`, true), UI, status), false);
    assert.equal(sendLocalNodeState(target(`${UI}/`), null, status), false);
    assert.equal(sent.length, 1);
  });
});

describe('window policy', () => {
  test('navigation stays on the UI origin', () => {
    assert.equal(isNavigationAllowed(`${UI}/other`, UI), true);
    assert.equal(isNavigationAllowed('https://example.com/', UI), false);
    assert.equal(isNavigationAllowed('file:///etc/passwd', UI), false);
    assert.equal(isNavigationAllowed(`${UI}/`, null), false);
  });

  test('only absolute http(s) links without credentials open externally', () => {
    assert.equal(externalHttpUrl('https://example.com/a?b#c'), 'https://example.com/a?b#c');
    assert.equal(externalHttpUrl('http://EXAMPLE.com'), 'http://example.com/');
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,x', 'peerdesk://x', '/relative', '', 'https://u:p@example.com/', 'smb://host/share']) {
      assert.equal(externalHttpUrl(url), null, url);
    }
  });

  test('permissions are denied unless allowed and asked by the UI itself', () => {
    assert.equal(isPermissionAllowed('clipboard-sanitized-write', `${UI}/`, UI), true);
    assert.equal(isPermissionAllowed('clipboard-sanitized-write', 'https://example.com/', UI), false);
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'unknown']) {
      assert.equal(isPermissionAllowed(permission, `${UI}/`, UI), false, permission);
    }
  });

  test('the CSP header is added, and a policy the server sent is kept beside it', () => {
    assert.deepEqual(withContentSecurityPolicy(undefined), { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    const headers = withContentSecurityPolicy({
      'content-type': ['text/html'],
      'content-security-policy': ["default-src 'none'"],
    });
    assert.deepEqual(headers['content-security-policy'], ["default-src 'none'", CONTENT_SECURITY_POLICY]);
    assert.deepEqual(headers['content-type'], ['text/html']);
    assert.equal(Object.keys(headers).length, 2);
  });

  test('the CSP allows no inline or remote script, no plugins, no framing, and fetches only from the UI origin', () => {
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.match(CONTENT_SECURITY_POLICY, /connect-src 'self'(;|$)/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|\*/);
    assert.match(CONTENT_SECURITY_POLICY, /object-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  });

  test('the status page has no script, its own CSP, and escapes what it shows', () => {
    const html = decodeURIComponent(statusPageUrl('Starting <b>', 'logging.level = "loud" & <script>alert(1)</script>').slice('data:text/html;charset=utf-8,'.length));
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/);
    assert.match(html, /Starting &lt;b&gt;/);
    assert.match(html, /&quot;loud&quot; &amp; &lt;script&gt;/);
  });
});
