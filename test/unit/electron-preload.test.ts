// Unit test of electron/preload.cts without Electron: the preload is loaded with a stand-in for
// the 'electron' module that records what it exposes and invokes, to check that `window.peerdesk`
// is exactly the contract's API, that each method invokes its own channel with its arguments,
// and that onState subscribes and unsubscribes without handing out the IPC event.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { API_GLOBAL, IPC_CHANNELS, IPC_EVENTS, type PeerdeskApi } from '../../electron/ipc/contract.ts';

const require = createRequire(import.meta.url);

interface Recorded {
  exposed: Array<[string, unknown]>;
  invoked: Array<[string, unknown[]]>;
  listeners: Map<string, Set<(...args: unknown[]) => void>>;
}

function loadPreload(): { api: PeerdeskApi; recorded: Recorded } {
  const recorded: Recorded = { exposed: [], invoked: [], listeners: new Map() };
  const electronStandIn = {
    contextBridge: { exposeInMainWorld: (name: string, value: unknown) => void recorded.exposed.push([name, value]) },
    ipcRenderer: {
      invoke: (channel: string, ...args: unknown[]) => {
        recorded.invoked.push([channel, args]);
        return Promise.resolve({ ok: true, value: channel });
      },
      on: (channel: string, listener: (...args: unknown[]) => void) => {
        if (!recorded.listeners.has(channel)) recorded.listeners.set(channel, new Set());
        recorded.listeners.get(channel)!.add(listener);
      },
      removeListener: (channel: string, listener: (...args: unknown[]) => void) => void recorded.listeners.get(channel)?.delete(listener),
    },
  };
  const electronPath = require.resolve('electron');
  const preloadPath = require.resolve('../../electron/preload.cts');
  const saved = require.cache[electronPath];
  require.cache[electronPath] = { id: electronPath, filename: electronPath, loaded: true, exports: electronStandIn } as NodeJS.Module;
  delete require.cache[preloadPath];
  try {
    require(preloadPath);
  } finally {
    if (saved) require.cache[electronPath] = saved;
    else delete require.cache[electronPath];
  }
  assert.equal(recorded.exposed.length, 1, 'exactly one global is exposed');
  const [name, api] = recorded.exposed[0]!;
  assert.equal(name, API_GLOBAL);
  return { api: api as PeerdeskApi, recorded };
}

test('window.peerdesk is exactly the contract API, each method on its own channel', async () => {
  const { api, recorded } = loadPreload();
  assert.deepEqual(Object.keys(api).sort(), ['appVersion', 'connections', 'getLocalNode', 'localNode', 'openExternal', 'pickPemFile', 'request']);
  assert.deepEqual(Object.keys(api.localNode).sort(), ['logs', 'onState', 'restart', 'start', 'stop']);
  assert.deepEqual(Object.keys(api.connections).sort(), ['exchangePassword', 'getCredentials', 'list', 'remove', 'save']);

  const id = '00000000-0000-4000-8000-000000000000';
  const calls: Array<[keyof typeof IPC_CHANNELS, () => Promise<unknown>, unknown[]]> = [
    ['getLocalNode', () => api.getLocalNode(), []],
    ['localNode.start', () => api.localNode.start(), []],
    ['localNode.stop', () => api.localNode.stop(), []],
    ['localNode.restart', () => api.localNode.restart(), []],
    ['localNode.logs', () => api.localNode.logs({ limit: 5 }), [{ limit: 5 }]],
    ['connections.list', () => api.connections.list(), []],
    ['connections.save', () => api.connections.save({ name: 'n', url: 'http://x:1' }), [{ name: 'n', url: 'http://x:1' }]],
    ['connections.remove', () => api.connections.remove(id), [id]],
    ['connections.getCredentials', () => api.connections.getCredentials(id), [id]],
    ['connections.exchangePassword', () => api.connections.exchangePassword({ id, username: 'u', password: 'p' }), [{ id, username: 'u', password: 'p' }]],
    ['request', () => api.request({ url: 'http://x:1', body: '{}' }), [{ url: 'http://x:1', body: '{}' }]],
    ['pickPemFile', () => api.pickPemFile('privateKey'), ['privateKey']],
    ['appVersion', () => api.appVersion(), []],
    ['openExternal', () => api.openExternal('https://example.com/'), ['https://example.com/']],
  ];
  assert.deepEqual(calls.map(([name]) => name).sort(), Object.keys(IPC_CHANNELS).sort(), 'the test covers every channel');
  for (const [name, call, args] of calls) {
    recorded.invoked.length = 0;
    assert.deepEqual(await call(), { ok: true, value: IPC_CHANNELS[name] }, name);
    assert.deepEqual(recorded.invoked, [[IPC_CHANNELS[name], args]], name);
  }
});

test('onState forwards only the status (not the IPC event) and unsubscribes', () => {
  const { api, recorded } = loadPreload();
  const seen: unknown[] = [];
  const unsubscribe = api.localNode.onState((status) => seen.push(status));
  const listeners = recorded.listeners.get(IPC_EVENTS.localNodeState);
  assert.equal(listeners?.size, 1);
  const status = { state: 'running' };
  for (const listener of listeners!) listener({ sender: 'the IPC event' }, status);
  assert.deepEqual(seen, [status]);
  unsubscribe();
  assert.equal(listeners!.size, 0);
  assert.deepEqual([...recorded.listeners.keys()], [IPC_EVENTS.localNodeState], 'no other channel is listened to');
});
