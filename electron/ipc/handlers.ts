/**
 * Main-process IPC handlers: each call is answered only when it comes from the top frame of the
 * Peerdesk UI (the embedded node's origin). Plain functions over structural types, so tests run
 * them without Electron.
 */
import { IPC_CHANNELS, type IpcChannelName, type LocalNodeInfo, type PeerdeskApi } from './contract.ts';

/** The parts of Electron's IpcMainInvokeEvent the checks read. */
export interface IpcSenderEvent {
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** The part of Electron's ipcMain that registration needs. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcSenderEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface HandlerDeps {
  /** Origin of the UI allowed to call, e.g. `http://127.0.0.1:43125`; null while the node starts. */
  trustedOrigin(): string | null;
  /** The embedded node, or null when it is not running. */
  localNode(): LocalNodeInfo | null;
  appVersion: string;
}

export type IpcHandlers = {
  [K in IpcChannelName]: (event: IpcSenderEvent) => ReturnType<PeerdeskApi[K]>;
};

/** Origin of a URL, or null for anything unparseable or opaque (file:, data:, about:blank). */
function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** Why a sender is refused, or null when it is the top frame of the trusted origin. */
export function senderRefusal(event: IpcSenderEvent, trustedOrigin: string | null): string | null {
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent) return `frame ${frame.url} is not a top-level frame`;
  if (!trustedOrigin) return 'the Peerdesk UI is not loaded yet';
  const origin = originOf(frame.url);
  if (origin !== originOf(trustedOrigin)) return `frame ${frame.url} is not the Peerdesk UI (${trustedOrigin})`;
  return null;
}

function assertTrustedSender(channel: string, event: IpcSenderEvent, trustedOrigin: string | null): void {
  const refusal = senderRefusal(event, trustedOrigin);
  if (refusal) throw new Error(`IPC ${channel} refused: ${refusal}`);
}

export function createIpcHandlers(deps: HandlerDeps): IpcHandlers {
  return {
    async getLocalNode(event) {
      assertTrustedSender(IPC_CHANNELS.getLocalNode, event, deps.trustedOrigin());
      const node = deps.localNode();
      if (!node) throw new Error(`IPC ${IPC_CHANNELS.getLocalNode}: the embedded node is not running`);
      return { url: node.url };
    },
    async appVersion(event) {
      assertTrustedSender(IPC_CHANNELS.appVersion, event, deps.trustedOrigin());
      return deps.appVersion;
    },
  };
}

/** Registers every handler on its channel; returns a function that removes them again. */
export function registerIpcHandlers(ipcMain: IpcMainLike, handlers: IpcHandlers): () => void {
  const names = Object.keys(IPC_CHANNELS) as IpcChannelName[];
  for (const name of names) ipcMain.handle(IPC_CHANNELS[name], (event) => handlers[name](event));
  return () => {
    for (const name of names) ipcMain.removeHandler(IPC_CHANNELS[name]);
  };
}
