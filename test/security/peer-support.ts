/**
 * A raw replication peer for the security tests: dials a node's ws or wss listener with any
 * headers, source address and certificate, sends a hello (any fields, or raw bytes), then any
 * frames, and reports what happened: refused at the upgrade (HTTP status and body), admitted
 * (the node's hello), the frames the node sent, and the close code and reason.
 */
import { WebSocket } from 'ws';
import { decode, encode, PROTOCOL_VERSION, SUBPROTOCOL, type Hello, type Message } from '../../node-core/replication/protocol.ts';

export interface PeerOutcome {
  /** HTTP status when the upgrade itself was refused */
  upgradeStatus: number | null;
  upgradeBody: string;
  /** the node answered with its hello */
  admitted: boolean;
  received: Message[];
  code: number | null;
  reason: string;
}

export interface PeerOptions {
  headers?: Record<string, string>;
  localAddress?: string;
  credentials?: { cert: string; key: string };
  hello?: Partial<Hello> & Record<string, unknown>;
  /** bytes sent instead of the encoded hello */
  rawHello?: Buffer;
  /** frames sent once admitted */
  after?: Message[] | ((received: Message[]) => Message[]);
  /** resolve once this returns true for what was received (then close normally) */
  until?: (received: Message[]) => boolean;
  timeoutMs?: number;
}

export function helloFor(node: string, overrides: Partial<Hello> & Record<string, unknown> = {}): Hello {
  return {
    t: 'hello',
    protocol: PROTOCOL_VERSION,
    node,
    url: null,
    database: 'system',
    position: 0,
    synced: true,
    startTime: Date.now(),
    tables: [],
    ca: null,
    ...overrides,
  } as Hello;
}

export function rawPeer(url: string, node: string, options: PeerOptions = {}): Promise<PeerOutcome> {
  const socket = new WebSocket(url, SUBPROTOCOL, {
    rejectUnauthorized: false,
    perMessageDeflate: false,
    handshakeTimeout: 10_000,
    maxPayload: 256 * 1024 * 1024,
    headers: options.headers ?? {},
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    ...(options.credentials ?? {}),
  });
  socket.binaryType = 'nodebuffer';
  const outcome: PeerOutcome = { upgradeStatus: null, upgradeBody: '', admitted: false, received: [], code: null, reason: '' };
  return new Promise<PeerOutcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no outcome from ${url} within ${options.timeoutMs ?? 20_000} ms: ${JSON.stringify(outcome).slice(0, 300)}`));
    }, options.timeoutMs ?? 20_000);
    const done = () => {
      clearTimeout(timer);
      resolve(outcome);
    };
    socket.once('unexpected-response', (_req, res) => {
      outcome.upgradeStatus = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (outcome.upgradeBody += chunk));
      res.on('end', done);
      res.on('error', done);
    });
    socket.once('open', () => socket.send(options.rawHello ?? encode(helloFor(node, options.hello))));
    socket.on('message', (data: Buffer) => {
      let message: Message;
      try {
        message = decode(data);
      } catch {
        return;
      }
      outcome.received.push(message);
      if (message.t === 'hello' && !outcome.admitted) {
        outcome.admitted = true;
        const frames = typeof options.after === 'function' ? options.after(outcome.received) : (options.after ?? []);
        for (const frame of frames) socket.send(encode(frame));
      }
      if (options.until?.(outcome.received)) socket.close(1000, 'raw peer done');
    });
    socket.on('error', (error) => {
      if (outcome.upgradeStatus !== null) return;
      if (/Unexpected server response/.test(error.message)) return;
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', (code, reason) => {
      outcome.code = code;
      outcome.reason = reason.toString();
      if (outcome.upgradeStatus === null) done();
    });
  });
}
