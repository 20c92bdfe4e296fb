/**
 * How an operation reaches a node: `fetch` in a browser, the preload bridge in Electron. A
 * transport only moves bytes; it reports failures to reach the node as TransportError and
 * leaves HTTP statuses and JSON to OpsClient.
 */
import type { PeerdeskApi } from '../../electron/ipc/contract.ts';
import { bridge, isPeerdeskError, viaBridge } from './bridge.ts';

export interface TransportRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** a saved connection whose TLS trust applies (IPC transport only) */
  connectionId?: string | undefined;
}

export interface TransportResponse {
  status: number;
  text: string;
}

export interface Transport {
  readonly kind: 'fetch' | 'ipc';
  send(request: TransportRequest): Promise<TransportResponse>;
}

export type TransportFailure = 'network' | 'timeout' | 'aborted';

/** The node could not be asked: unreachable, too slow, or the caller gave up. */
export class TransportError extends Error {
  constructor(
    readonly failure: TransportFailure,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'TransportError';
  }
}

export const fetchTransport: Transport = {
  kind: 'fetch',
  async send({ url, headers, body, timeoutMs, signal }) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await fetch(url, { method: 'POST', headers, body, signal: combined, credentials: 'omit' });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      if (signal?.aborted) throw new TransportError('aborted', 'the request was cancelled');
      if (timeout.aborted) throw new TransportError('timeout', `no answer within ${Math.round(timeoutMs / 1000)} s`);
      throw new TransportError('network', (error as Error)?.message || String(error));
    }
  },
};

/** Sends through the desktop app's bridge (main does the HTTP: no CORS, the connection's CA). */
export function ipcTransport(api: PeerdeskApi): Transport {
  return {
    kind: 'ipc',
    send({ url, headers, body, timeoutMs, signal, connectionId }) {
      return new Promise<TransportResponse>((resolve, reject) => {
        if (signal?.aborted) return reject(new TransportError('aborted', 'the request was cancelled'));
        // The bridge cannot cancel a request in flight; the caller stops waiting for it.
        const onAbort = () => reject(new TransportError('aborted', 'the request was cancelled'));
        signal?.addEventListener('abort', onAbort, { once: true });
        viaBridge(api.request({ url, headers, body, timeoutMs, ...(connectionId ? { connectionId } : {}) }))
          .then(
            (response) => resolve({ status: response.status, text: response.body }),
            (error: unknown) => {
              const code = isPeerdeskError(error) ? error.code : 'NETWORK';
              const message = (error as Error)?.message || String(error);
              reject(new TransportError(code === 'TIMEOUT' ? 'timeout' : 'network', code === 'NETWORK' || code === 'TIMEOUT' ? message : `${message} (${code})`));
            },
          )
          .finally(() => signal?.removeEventListener('abort', onAbort));
      });
    },
  };
}

/** The bridge's transport in the desktop app, else fetch. */
export function defaultTransport(): Transport {
  const api = bridge();
  return api ? ipcTransport(api) : fetchTransport;
}
