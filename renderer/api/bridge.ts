/**
 * The renderer's one view of the Electron preload bridge (`window.peerdesk`, PeerdeskApi from
 * electron/ipc/contract.ts). Absent in a plain browser. Every bridge call answers with an
 * IpcResult; `viaBridge` unwraps it into the value or a thrown PeerdeskError.
 */
import { PeerdeskError, unwrapIpc, type IpcErrorCode, type IpcResult, type PeerdeskApi } from '../../electron/ipc/contract.ts';

declare global {
  interface Window {
    peerdesk?: PeerdeskApi;
  }
}

export { PeerdeskError };
export type { LocalNodeState, LocalNodeStatus } from '../../electron/ipc/contract.ts';

/** The bridge when running in the desktop app, else undefined. */
export function bridge(): PeerdeskApi | undefined {
  return typeof window === 'undefined' ? undefined : window.peerdesk;
}

/** The value of a bridge call, or its error thrown as a PeerdeskError. */
export async function viaBridge<T>(call: Promise<IpcResult<T>>): Promise<T> {
  return unwrapIpc(await call);
}

export function isPeerdeskError(error: unknown): error is PeerdeskError {
  return error instanceof PeerdeskError || (error instanceof Error && error.name === 'PeerdeskError' && 'code' in error);
}

/** What to do about a desktop-app error, by its code. */
export function bridgeNextStep(code: IpcErrorCode): string {
  switch (code) {
    case 'ENCRYPTION_UNAVAILABLE':
      return 'This system offers no secret storage (on Linux, a keyring), so sessions cannot be saved; install or unlock one and try again.';
    case 'STORAGE':
      return "Check that the app's data folder is writable and has space.";
    case 'NOT_RUNNING':
      return 'Start the local node from the Node view.';
    case 'NO_ADMIN':
      return 'The local node has no active super_user; log in with a user name and password instead.';
    case 'NOT_FOUND':
      return 'The saved connection is gone; add it again.';
    case 'INVALID_INPUT':
    case 'INVALID_FILE':
      return 'Correct the input and try again.';
    case 'CREDENTIAL_REFUSED':
      return 'Save a connection for that node (or log in to it) so its own login is used.';
    case 'FORBIDDEN_SENDER':
      return 'Reload the window.';
    default:
      return 'Try again; if it persists, restart the app.';
  }
}
