/**
 * Preload for the sandboxed window: exposes `window.peerdesk` (PeerdeskApi) through contextBridge,
 * one function per IPC channel and nothing else. CommonJS and self-contained because a sandboxed
 * preload can require only 'electron'; the contract is imported for types alone, and the
 * annotations below make the compiler reject any drift from it.
 */
import electron = require('electron');
import type { API_GLOBAL, IPC_CHANNELS, PeerdeskApi } from './ipc/contract.ts';

const apiGlobal: typeof API_GLOBAL = 'peerdesk';
const channels: typeof IPC_CHANNELS = {
  getLocalNode: 'peerdesk:get-local-node',
  appVersion: 'peerdesk:app-version',
};

const api: PeerdeskApi = {
  getLocalNode: () => electron.ipcRenderer.invoke(channels.getLocalNode),
  appVersion: () => electron.ipcRenderer.invoke(channels.appVersion),
};

electron.contextBridge.exposeInMainWorld(apiGlobal, api);
