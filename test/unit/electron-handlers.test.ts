// Unit tests of the Electron main-side IPC handlers (sender checks) and the window policy,
// run without Electron through their plain-module interfaces.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IPC_CHANNELS } from '../../electron/ipc/contract.ts';
import {
  createIpcHandlers,
  registerIpcHandlers,
  senderRefusal,
  type HandlerDeps,
  type IpcSenderEvent,
} from '../../electron/ipc/handlers.ts';
import {
  CONTENT_SECURITY_POLICY,
  isNavigationAllowed,
  isPermissionAllowed,
  withContentSecurityPolicy,
} from '../../electron/policy.ts';

const UI = 'http://127.0.0.1:43125';
const topFrame = (url: string): IpcSenderEvent => ({ senderFrame: { url, parent: null } });

function deps(overrides: Partial<HandlerDeps> = {}): HandlerDeps {
  return {
    trustedOrigin: () => UI,
    localNode: () => ({ url: `${UI}/` }),
    appVersion: '0.1.0',
    ...overrides,
  };
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
    ['a data: URL', topFrame('data:text/html,<p>x</p>'), UI, /not the Peerdesk UI/],
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

describe('IPC handlers', () => {
  test('answer the trusted UI', async () => {
    const handlers = createIpcHandlers(deps());
    assert.deepEqual(await handlers.getLocalNode(topFrame(`${UI}/`)), { url: `${UI}/` });
    assert.equal(await handlers.appVersion(topFrame(`${UI}/`)), '0.1.0');
  });

  test('reject an untrusted sender, naming the channel and the frame', async () => {
    const handlers = createIpcHandlers(deps());
    await assert.rejects(handlers.getLocalNode(topFrame('https://example.com/')), (error: Error) => {
      assert.match(error.message, new RegExp(`^IPC ${IPC_CHANNELS.getLocalNode} refused: `));
      assert.match(error.message, /https:\/\/example\.com\//);
      return true;
    });
    await assert.rejects(handlers.appVersion({ senderFrame: null }), /IPC peerdesk:app-version refused/);
  });

  test('getLocalNode says so when the embedded node is not running', async () => {
    const handlers = createIpcHandlers(deps({ localNode: () => null }));
    await assert.rejects(handlers.getLocalNode(topFrame(`${UI}/`)), /embedded node is not running/);
  });

  test('follow the trusted origin as it changes (node restarted on another port)', async () => {
    let origin = UI;
    const handlers = createIpcHandlers(deps({ trustedOrigin: () => origin }));
    origin = 'http://127.0.0.1:50000';
    await assert.rejects(handlers.appVersion(topFrame(`${UI}/`)), /not the Peerdesk UI/);
    assert.equal(await handlers.appVersion(topFrame('http://127.0.0.1:50000/')), '0.1.0');
  });

  test('registration covers exactly the contract channels and can be undone', async () => {
    const registered = new Map<string, (event: IpcSenderEvent) => unknown>();
    const ipcMain = {
      handle: (channel: string, listener: (event: IpcSenderEvent) => unknown) => void registered.set(channel, listener),
      removeHandler: (channel: string) => void registered.delete(channel),
    };
    const unregister = registerIpcHandlers(ipcMain, createIpcHandlers(deps()));
    assert.deepEqual([...registered.keys()].sort(), Object.values(IPC_CHANNELS).sort());
    assert.equal(await registered.get(IPC_CHANNELS.appVersion)?.(topFrame(`${UI}/`)), '0.1.0');
    await assert.rejects(
      Promise.resolve(registered.get(IPC_CHANNELS.appVersion)?.(topFrame('file:///x'))),
      /refused/,
    );
    unregister();
    assert.equal(registered.size, 0);
  });
});

describe('window policy', () => {
  test('navigation stays on the UI origin', () => {
    assert.equal(isNavigationAllowed(`${UI}/other`, UI), true);
    assert.equal(isNavigationAllowed('https://example.com/', UI), false);
    assert.equal(isNavigationAllowed('file:///etc/passwd', UI), false);
    assert.equal(isNavigationAllowed(`${UI}/`, null), false);
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

  test('the CSP allows no inline or remote script, no plugins, no framing', () => {
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|\*/);
    assert.match(CONTENT_SECURITY_POLICY, /object-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  });
});
