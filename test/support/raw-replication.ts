/**
 * A hand-built replication client for hostile-frame tests: it does the WebSocket upgrade itself
 * over node:net or node:tls and writes frames as raw bytes, so a test controls exactly what
 * arrives in one TCP write (a hello and a garbage frame together, a stray byte after a valid
 * message) — which the `ws` client cannot do. It reads the node's frames back: messages, and the
 * close code and reason (with its byte length, for the 123-byte rule).
 */
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { encode, PROTOCOL_VERSION, SUBPROTOCOL, type Hello } from '../../node-core/replication/protocol.ts';

export interface RawClose {
  /** close code from the node's close frame; 1006 when the TCP connection ended without one */
  code: number;
  reason: string;
  reasonBytes: number;
  /** the reason's bytes are well-formed UTF-8 (a reason cut inside a character is not) */
  reasonWellFormed: boolean;
}

export interface RawPeerOptions {
  /** TLS client certificate (wss); omitted: none presented */
  credentials?: { cert: string; key: string } | undefined;
  headers?: Record<string, string>;
  /** source address to connect from (the insecure transport knows a peer by its IP) */
  localAddress?: string;
  timeoutMs?: number;
}

/** A masked client-to-server WebSocket frame (binary by default). */
export function wsFrame(payload: Buffer, opcode = 0x2): Buffer {
  const mask = crypto.randomBytes(4);
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65_536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

/** A hello as a node sends it, for `node` and `database`, with overrides. */
export function helloFrom(node: string, database = 'system', overrides: Partial<Hello> = {}): Hello {
  return { t: 'hello', protocol: PROTOCOL_VERSION, node, url: null, database, position: 0, synced: true, startTime: Date.now(), tables: [], ca: null, ...overrides };
}

export const encodeHello = (hello: Hello): Buffer => encode(hello);

export class RawPeer {
  readonly messages: Buffer[] = [];
  readonly closed: Promise<RawClose>;
  #buffer = Buffer.alloc(0);
  #close: RawClose | null = null;
  #resolveClosed!: (close: RawClose) => void;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.#resolveClosed(this.#close ?? { code: 1006, reason: '', reasonBytes: 0, reasonWellFormed: true }));
  }

  /** Open a replication WebSocket to `url` (ws:// or wss://) and resolve once upgraded. */
  static async connect(url: string, options: RawPeerOptions = {}): Promise<RawPeer> {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(target.port);
    const socket: net.Socket =
      target.protocol === 'wss:'
        ? tls.connect({ host, port, rejectUnauthorized: false, ...(options.localAddress ? { localAddress: options.localAddress } : {}), ...(options.credentials ?? {}) })
        : net.connect({ host, port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const key = crypto.randomBytes(16).toString('base64');
    const headers = {
      Host: `${target.host}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Protocol': SUBPROTOCOL,
      ...(options.headers ?? {}),
    };
    const request = `GET / HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const rest = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no upgrade from ${url} within ${timeoutMs} ms`))), timeoutMs);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        socket.off('data', onData);
        const status = head.subarray(0, end).toString('latin1').split('\r\n')[0] ?? '';
        if (!/^HTTP\/1\.1 101/.test(status)) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        resolve(head.subarray(end + 4));
      };
      socket.on('data', onData);
      socket.once('error', (error) => (clearTimeout(timer), reject(error)));
      socket.once(target.protocol === 'wss:' ? 'secureConnect' : 'connect', () => socket.write(request));
    });
    const peer = new RawPeer(socket);
    if (rest.length > 0) peer.#read(rest);
    return peer;
  }

  /** Send payloads as binary frames, all in one TCP write. */
  send(...payloads: Buffer[]): void {
    this.socket.write(Buffer.concat(payloads.map((payload) => wsFrame(payload))));
  }

  /** Write raw bytes as they are (already framed, or deliberately not). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves with the close, or null when the link is still open after `ms`. */
  async closedWithin(ms: number): Promise<RawClose | null> {
    let timer: NodeJS.Timeout | undefined;
    const open = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
    const outcome = await Promise.race([this.closed, open]);
    clearTimeout(timer);
    return outcome;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const frame = parseServerFrame(this.#buffer);
      if (!frame) return;
      this.#buffer = this.#buffer.subarray(frame.size);
      if (frame.opcode === 0x8) {
        const reason = frame.payload.subarray(2);
        this.#close ??= {
          code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005,
          reason: reason.toString('utf8'),
          reasonBytes: reason.length,
          reasonWellFormed: wellFormedUtf8(reason),
        };
        this.socket.end();
      } else if (frame.opcode === 0x9) {
        // answer pings so the node's liveness check does not end the link
        this.socket.write(wsFrame(frame.payload, 0xa));
      } else if (frame.opcode === 0x2 || frame.opcode === 0x1) {
        this.messages.push(frame.payload);
      }
    }
  }
}

function wellFormedUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** One unmasked server frame at the start of `buffer`, or null when it is incomplete. */
function parseServerFrame(buffer: Buffer): { opcode: number; payload: Buffer; size: number } | null {
  if (buffer.length < 2) return null;
  const opcode = buffer[0]! & 0x0f;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (buffer.length < offset + length) return null;
  return { opcode, payload: buffer.subarray(offset, offset + length), size: offset + length };
}
