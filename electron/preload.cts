/**
 * Preload for the sandboxed window: exposes `window.peerdesk` (PeerdeskApi) through contextBridge,
 * one function per IPC channel plus the node-state subscription, and nothing else (no ipcRenderer,
 * no event objects). CommonJS and self-contained because a sandboxed preload can require only
 * 'electron'; the contract is imported for types alone, and the annotations below make the
 * compiler reject any drift from it.
 */
import electron = require('electron');
import type { API_GLOBAL, IPC_CHANNELS, IPC_EVENTS, LocalNodeStatus, PeerdeskApi } from './ipc/contract.ts';

const apiGlobal: typeof API_GLOBAL = 'peerdesk';
const channels: typeof IPC_CHANNELS = {
  getLocalNode: 'peerdesk:local-node:get',
  'localNode.start': 'peerdesk:local-node:start',
  'localNode.stop': 'peerdesk:local-node:stop',
  'localNode.restart': 'peerdesk:local-node:restart',
  'localNode.logs': 'peerdesk:local-node:logs',
  'connections.list': 'peerdesk:connections:list',
  'connections.save': 'peerdesk:connections:save',
  'connections.remove': 'peerdesk:connections:remove',
  'connections.getCredentials': 'peerdesk:connections:get-credentials',
  'connections.exchangePassword': 'peerdesk:connections:exchange-password',
  request: 'peerdesk:ops:request',
  pickPemFile: 'peerdesk:pick-pem-file',
  appVersion: 'peerdesk:app-version',
  openExternal: 'peerdesk:open-external',
};
const events: typeof IPC_EVENTS = {
  localNodeState: 'peerdesk:local-node:state',
};

const invoke = (channel: string, ...args: unknown[]) => electron.ipcRenderer.invoke(channel, ...args);

const api: PeerdeskApi = {
  getLocalNode: () => invoke(channels.getLocalNode),
  localNode: {
    start: () => invoke(channels['localNode.start']),
    stop: () => invoke(channels['localNode.stop']),
    restart: () => invoke(channels['localNode.restart']),
    logs: (options) => invoke(channels['localNode.logs'], options),
    onState: (listener) => {
      const forward = (_event: unknown, status: LocalNodeStatus) => listener(status);
      electron.ipcRenderer.on(events.localNodeState, forward);
      return () => {
        electron.ipcRenderer.removeListener(events.localNodeState, forward);
      };
    },
  },
  connections: {
    list: () => invoke(channels['connections.list']),
    save: (input) => invoke(channels['connections.save'], input),
    remove: (id) => invoke(channels['connections.remove'], id),
    getCredentials: (id) => invoke(channels['connections.getCredentials'], id),
    exchangePassword: (input) => invoke(channels['connections.exchangePassword'], input),
  },
  request: (request) => invoke(channels.request, request),
  pickPemFile: (kind) => invoke(channels.pickPemFile, kind),
  appVersion: () => invoke(channels.appVersion),
  openExternal: (url) => invoke(channels.openExternal, url),
};

electron.contextBridge.exposeInMainWorld(apiGlobal, api);
