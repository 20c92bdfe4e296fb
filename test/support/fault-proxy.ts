/**
 * A TCP proxy (node:net) that replication links between test nodes go through, with faults per
 * direction: pass, blackhole (drop bytes, sockets stay open), reset, delay with jitter, a
 * bandwidth limit and byte corruption. It works below TLS, so ws and wss links pass alike.
 *
 * How links are routed through it without weakening a node: a proxied node keeps its name
 * (the address peers dial and its certificate names) but binds its listeners to a second
 * loopback address; the proxy listens on the name's address and forwards to the bound one,
 * binding its outgoing socket to the dialer's own source address, so the node's peer identity
 * checks (source IP for ws, certificates for wss) see exactly what they would without it.
 */
import net from 'node:net';

export type Direction = 'up' | 'down';

/** What happens to bytes in one direction. `up` = dialer → listener, `down` = listener → dialer. */
export interface Fault {
  /** pass: forward; blackhole: drop every byte, keep the sockets open; reset: destroy connections */
  mode: 'pass' | 'blackhole' | 'reset';
  delayMs?: number;
  /** each chunk waits delayMs + uniform(0, jitterMs); order is kept */
  jitterMs?: number;
  /** bytes per second; unlimited when absent */
  bytesPerSecond?: number;
  /** flip one byte in each of the next `corruptChunks` chunks... */
  corruptChunks?: number;
  /** ...the chunk's first byte (where a WebSocket frame header usually is) or a random one */
  corruptAt?: 'start' | 'random';
}

export const PASS: Fault = { mode: 'pass' };
/** Chunks are cut to this size so a bandwidth limit smooths rather than bursts. */
const MAX_CHUNK_BYTES = 16 * 1024;
/** A direction holding more than this pauses its source (backpressure, bounded memory). */
const QUEUE_HIGH_WATER_BYTES = 1024 * 1024;

/** Deterministic PRNG (mulberry32) so a failing run reproduces from its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One direction of one proxied connection: a queue released in order at computed times. */
class Pipe {
  #queue: Array<{ chunk: Buffer; at: number }> = [];
  #queued = 0;
  #nextFree = 0;
  #timer: NodeJS.Timeout | null = null;
  #ended = false;
  /** bytes this direction dropped (a TCP stream that lost bytes cannot go on: heal resets it) */
  dropped = 0;
  forwarded = 0;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly fault: () => Fault,
    private readonly random: () => number,
    private readonly onCorrupt: () => void,
  ) {
    from.on('data', (data: Buffer) => {
      for (let offset = 0; offset < data.length; offset += MAX_CHUNK_BYTES) this.#take(data.subarray(offset, offset + MAX_CHUNK_BYTES));
    });
    // A clean end passes on once everything queued before it has been delivered.
    from.on('end', () => {
      this.#ended = true;
      this.#endIfDrained();
    });
  }

  #endIfDrained(): void {
    if (this.#ended && this.#queue.length === 0 && !this.to.destroyed) this.to.end();
  }

  #take(chunk: Buffer): void {
    const fault = this.fault();
    if (fault.mode === 'blackhole') {
      this.dropped += chunk.length;
      return;
    }
    if (fault.mode === 'reset') return;
    if ((fault.corruptChunks ?? 0) > 0 && chunk.length > 0) {
      chunk = Buffer.from(chunk);
      const at = fault.corruptAt === 'random' ? Math.floor(this.random() * chunk.length) : 0;
      chunk[at] = chunk[at]! ^ 0xff;
      this.onCorrupt();
    }
    const now = Date.now();
    const delay = (fault.delayMs ?? 0) + (fault.jitterMs ? this.random() * fault.jitterMs : 0);
    let at = now + delay;
    if (fault.bytesPerSecond) {
      this.#nextFree = Math.max(this.#nextFree, now) + (chunk.length * 1000) / fault.bytesPerSecond;
      at = Math.max(at, this.#nextFree);
    }
    const last = this.#queue[this.#queue.length - 1];
    if (last && last.at > at) at = last.at;
    if (at <= now && this.#queue.length === 0) {
      this.#write(chunk);
      return;
    }
    this.#queue.push({ chunk, at });
    this.#queued += chunk.length;
    if (this.#queued > QUEUE_HIGH_WATER_BYTES) this.from.pause();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#queue.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const now = Date.now();
      while (this.#queue.length && this.#queue[0]!.at <= now) {
        const { chunk } = this.#queue.shift()!;
        this.#queued -= chunk.length;
        this.#write(chunk);
      }
      if (this.#queued <= QUEUE_HIGH_WATER_BYTES / 2) this.from.resume();
      this.#schedule();
      this.#endIfDrained();
    }, Math.max(0, this.#queue[0]!.at - Date.now()));
  }

  #write(chunk: Buffer): void {
    if (this.to.destroyed) return;
    this.forwarded += chunk.length;
    this.to.write(chunk);
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue = [];
  }
}

interface Connection {
  source: string;
  client: net.Socket;
  server: net.Socket;
  up: Pipe;
  down: Pipe;
}

export interface FaultProxyOptions {
  /** address and port to listen on (a fresh loopback address of its own) */
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
  /** bind the outgoing socket to the incoming one's source address (default true) */
  preserveSource?: boolean;
  seed?: number;
}

/**
 * One listening proxy. Faults are set per source address (the dialing node's IP) or for every
 * source ('*'), per direction.
 */
export class FaultProxy {
  readonly #faults = new Map<string, { up: Fault; down: Fault }>();
  readonly #connections = new Set<Connection>();
  readonly #random: () => number;
  #server: net.Server | null = null;
  /** connections accepted so far (reconnect attempts through this proxy) */
  accepted = 0;

  private constructor(readonly options: FaultProxyOptions) {
    this.#random = seededRandom(options.seed ?? 1);
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    const server = net.createServer({ allowHalfOpen: true }, (client) => proxy.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listenPort, options.listenHost, () => resolve());
    });
    proxy.#server = server;
    return proxy;
  }

  /** The fault for bytes from/to `source` in `direction` ('*' rules apply when none is set for the source). */
  faultFor(source: string, direction: Direction): Fault {
    return (this.#faults.get(source) ?? this.#faults.get('*'))?.[direction] ?? PASS;
  }

  /** Set the fault for connections from `source` ('*' = any) in one direction or both. */
  set(source: string, direction: Direction | 'both', fault: Fault): void {
    const current = this.#faults.get(source) ?? { up: PASS, down: PASS };
    const next = { up: direction === 'down' ? current.up : { ...fault }, down: direction === 'up' ? current.down : { ...fault } };
    this.#faults.set(source, next);
    if (fault.mode === 'reset') for (const connection of this.#connections) if (source === '*' || connection.source === source) this.#destroy(connection);
  }

  /**
   * Back to pass for `source` ('*' = every rule). Connections that lost bytes to a blackhole are
   * reset (as TCP would after its retransmissions gave up): their byte stream has a hole.
   */
  heal(source = '*'): void {
    if (source === '*') this.#faults.clear();
    else this.#faults.delete(source);
    for (const connection of this.#connections) {
      if ((source === '*' || connection.source === source) && (connection.up.dropped > 0 || connection.down.dropped > 0)) this.#destroy(connection);
    }
  }

  /** Destroy open connections (from `source`, or all) without changing the faults. */
  resetConnections(source = '*'): void {
    for (const connection of this.#connections) if (source === '*' || connection.source === source) this.#destroy(connection);
  }

  get openConnections(): number {
    return this.#connections.size;
  }

  async close(): Promise<void> {
    for (const connection of this.#connections) this.#destroy(connection);
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.accepted += 1;
    const source = normalize(client.remoteAddress ?? '');
    if (this.faultFor(source, 'up').mode === 'reset' || this.faultFor(source, 'down').mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const server = net.connect({
      allowHalfOpen: true,
      host: this.options.targetHost,
      port: this.options.targetPort,
      ...(this.options.preserveSource !== false && net.isIP(source) ? { localAddress: source } : {}),
    });
    const corrupted = (direction: Direction) => () => {
      const fault = this.#faults.get(source) ?? this.#faults.get('*');
      const entry = fault?.[direction];
      if (entry?.corruptChunks) entry.corruptChunks -= 1;
    };
    const connection: Connection = {
      source,
      client,
      server,
      up: new Pipe(client, server, () => this.faultFor(source, 'up'), this.#random, corrupted('up')),
      down: new Pipe(server, client, () => this.faultFor(source, 'down'), this.#random, corrupted('down')),
    };
    this.#connections.add(connection);
    const fail = () => this.#destroy(connection);
    let closed = 0;
    for (const socket of [client, server]) {
      socket.setNoDelay(true);
      socket.on('error', fail);
      socket.on('close', () => {
        closed += 1;
        // One side gone for good: the other cannot be answered any more either.
        if (closed === 2 || socket.destroyed) this.#destroy(connection);
      });
    }
  }

  #destroy(connection: Connection): void {
    if (!this.#connections.delete(connection)) return;
    connection.up.stop();
    connection.down.stop();
    for (const socket of [connection.client, connection.server]) {
      if (socket.destroyed) continue;
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy();
      }
    }
  }
}

function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
