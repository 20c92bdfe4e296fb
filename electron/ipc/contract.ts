/**
 * The IPC contract between the sandboxed renderer and the Electron main process: channel names
 * and the typed API the preload exposes as `window.peerdesk`. Shared by preload, main and renderer.
 */

/** Name of the global the preload installs with contextBridge. */
export const API_GLOBAL = 'peerdesk';

/** Every channel the renderer may invoke; main registers a handler for each, nothing else. */
export const IPC_CHANNELS = {
  getLocalNode: 'peerdesk:get-local-node',
  appVersion: 'peerdesk:app-version',
} as const;

export type IpcChannelName = keyof typeof IPC_CHANNELS;

/** Where the embedded node's operations API listens. */
export interface LocalNodeInfo {
  url: string;
}

/** What `window.peerdesk` offers; each method maps 1:1 to the channel of the same key. */
export interface PeerdeskApi {
  getLocalNode(): Promise<LocalNodeInfo>;
  appVersion(): Promise<string>;
}
