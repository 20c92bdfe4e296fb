/**
 * One replication link: a WebSocket between this node and one peer for one database, carrying
 * both directions. As publisher it streams this node's transaction log after the peer's
 * position (or a snapshot copy first), bounded by an ack window; as subscriber it applies what
 * the peer sends, one frame at a time, and acks only after commit. Ping/pong detects a socket
 * that is open but silent.
 */
import type { WebSocket } from 'ws';
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Logger } from '../log/logger.ts';
import { PURGED_THROUGH_KEY, type Database } from '../storage/database.ts';
import type { LogEntry } from '../storage/types.ts';
import { applyCopiedRecords, applyEntries, positionKey, SYNCED_KEY } from './apply.ts';
import {
  CloseCode,
  COPY_BATCH_RECORDS,
  decode,
  encode,
  MAX_ENTRIES_PER_FRAME,
  PROTOCOL_VERSION,
  ProtocolError,
  type CopyMessage,
  type Hello,
  type Message,
  type TableDigest,
  type TableSchema,
} from './protocol.ts';
import { NETWORK_FEATURE, type NetworkMessage } from './network-messages.ts';
import { tableDigest } from './verify.ts';

/** Frames sent but not yet acknowledged before the publisher waits. */
export const MAX_UNACKED_FRAMES = 16;
/** Writes (records) per frame at most; a single larger transaction still goes alone. */
export const MAX_WRITES_PER_FRAME = 5000;
/** Socket send buffer above which the publisher waits for it to drain. */
export const SEND_HIGH_WATER_BYTES = 8 * 1024 * 1024;
/** Initial-copy frames being committed at once on the receiving side. */
export const MAX_COPY_APPLIES_IN_FLIGHT = 3;
/** Received frames queued for apply above which reading from the socket pauses. */
export const MAX_QUEUED_FRAMES = 8;
export const PING_INTERVAL_MS = 2_000;
/** A link with no pong for this long is dead, whatever TCP thinks. */
export const PONG_TIMEOUT_MS = 10_000;
export const VERIFY_TIMEOUT_MS = 30_000;
/**
 * Positions that move without data (everything filtered or duplicate) are sent and persisted
 * at most this often: they only save re-sending duplicates after a reconnect.
 */
export const IDLE_POSITION_INTERVAL_MS = 1_000;

export type LinkDirection = 'outbound' | 'inbound';
export type LinkState = 'handshaking' | 'open' | 'closed';

/** What the link asks of its node; answered live so subscription changes apply at once. */
export interface LinkPolicy {
  /** this node sends writes of `table` to the peer */
  publishes(table: string): boolean;
  /** this node applies writes of `table` from the peer */
  subscribes(table: string): boolean;
}

export interface LinkEnvironment {
  nodeName: string;
  nodeUrl(): string | null;
  clock: HybridLogicalClock;
  logger: Logger;
  policy(peer: string, database: string): LinkPolicy;
  /** true when this link may ask for the initial copy (only one link per database at a time) */
  claimCopy(database: string, link: Link): boolean;
  releaseCopy(database: string, link: Link): void;
  /** resolves when another link's copy of `database` ends; null when none is running */
  copyInProgress(database: string, link: Link): Promise<void> | null;
  /** time to stream from when this database has no position with a peer (add_node start_time) */
  startTime(database: string): number | null;
  /** this node's CA (PEM) to offer peers, if it has one */
  authority(): string | null;
  /** a cluster_network status request or answer from the peer (handled without holding up the link) */
  network(link: Link, message: NetworkMessage): void;
}

/** What admission decides about an inbound peer's hello. */
export type Admission = { refused: string } | { refused?: undefined; certificate?: { certificate: string; ca: string } };

export interface CopyProgress {
  copied: number;
  total: number;
  done: boolean;
}

export class Link {
  state: LinkState = 'handshaking';
  /** set at construction for outbound links, from the peer's hello for inbound ones */
  peer: string;
  peerUrl: string | null = null;
  /** the CA the peer sent in its hello */
  peerCa: string | null = null;
  closeReason = '';
  /** the WebSocket close code sent or received (0 while not closed; 1006 for a dropped socket) */
  closeCode = 0;
  /** code of the socket error that ended the link, if any (e.g. a TLS verification code) */
  errorCode: string | null = null;
  /** serial (upper-case hex) of the certificate the peer presented over TLS, when known */
  peerCertificateSerial: string | null = null;
  readonly openedAt = Date.now();

  // subscriber side
  #peerHello: Hello | null = null;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #paused = false;
  #copy: CopyProgress | null = null;
  /** copy frames being applied (committed in order by lmdb-js) */
  readonly #copyApplies: Array<Promise<void>> = [];
  #copyClaimed = false;
  lastReceivedVersion = 0;
  lastReceivedLocalTime = 0;
  lastAppliedLag = 0;
  lastFrameAt = 0;

  // publisher side
  #sentThrough = 0;
  #ackedThrough = 0;
  #inFlight: number[] = [];
  #publishing = false;
  #pumping = false;
  #pumpAgain = false;
  #sendingCopy = false;
  /** #sentThrough is a position the peer has (not a start_time or nothing): a purge past it is a gap */
  #sentIsPosition = false;
  lastAckAt = 0;
  lastSentVersion = 0;
  #idlePositionTimer: NodeJS.Timeout | null = null;
  /** last sequence of the peer's log applied here (persisted at once with data, lazily without) */
  #appliedThrough: number | null = null;
  #positionPersistTimer: NodeJS.Timeout | null = null;

  // liveness
  latencyMs: number | null = null;
  #pingSentAt = 0;
  #lastPongAt = Date.now();
  #pingTimer: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;
  readonly #closedListeners: Array<(link: Link) => void> = [];
  readonly #verifications = new Map<number, { resolve: (results: TableDigest[]) => void; reject: (error: Error) => void }>();
  #nextVerifyId = 1;

  constructor(
    readonly socket: WebSocket,
    readonly database: Database,
    readonly direction: LinkDirection,
    private readonly env: LinkEnvironment,
    expectedPeer: string,
    /** inbound: decides whether the peer's hello is accepted (null) or refused (reason) */
    private readonly admit: (link: Link, hello: Hello) => Promise<Admission> = async () => ({}),
    /** outbound add_node over wss: a signing request for the peer's CA, and where the answer goes */
    private readonly signing?: { csr: string; onCertificate: (certificate: string, ca: string) => Promise<void> },
  ) {
    this.peer = expectedPeer;
    socket.binaryType = 'nodebuffer';
    socket.on('message', (data: Buffer) => this.#receive(data));
    socket.on('pong', () => {
      this.#lastPongAt = Date.now();
      this.latencyMs = this.#lastPongAt - this.#pingSentAt;
    });
    socket.on('close', (code, reason) => this.#closed(code, reason.toString()));
    socket.on('error', (error) => {
      this.closeReason ||= error.message;
      this.errorCode ||= (error as NodeJS.ErrnoException).code ?? null;
      env.logger.debug('Replication socket error', { peer: this.peer, database: database.name, error: error.message });
    });
    if (direction === 'outbound') {
      if (socket.readyState === socket.OPEN) void this.#sendHelloWhenReady();
      else socket.once('open', () => void this.#sendHelloWhenReady());
    }
  }

  get key(): string {
    return linkKey(this.peer, this.database.name);
  }

  get copyProgress(): CopyProgress | null {
    return this.#copy;
  }

  get ackedThrough(): number {
    return this.#ackedThrough;
  }

  get backPressurePercent(): number {
    return Math.min(100, Math.round((this.socket.bufferedAmount / SEND_HIGH_WATER_BYTES) * 100));
  }

  /** Log entries this node still has to get confirmed by the peer. */
  pendingTransactions(): number {
    if (this.state !== 'open' || !this.#publishing) return 0;
    const policy = this.env.policy(this.peer, this.database.name);
    let count = 0;
    // Only what this peer still needs: not its own writes coming back, not filtered tables.
    for (const { entry } of this.database.readLog(this.#ackedThrough, 100_000)) if (this.#filterForPeer(entry, policy)) count++;
    return count;
  }

  onClosed(listener: (link: Link) => void): void {
    this.#closedListeners.push(listener);
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.closeReason = reason;
    this.closeCode = code;
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    this.socket.close(code, Buffer.from(reason).subarray(0, 123).toString());
    // A peer that never answers the close handshake must not keep the link half-open.
    setTimeout(() => this.socket.terminate(), 2_000).unref();
    this.#closed(code, reason);
  }

  /** The peer's digests of `tables` (cluster_verify). */
  verify(tables: string[]): Promise<TableDigest[]> {
    if (this.state !== 'open') return Promise.reject(new Error(`link to '${this.peer}' is not open`));
    const id = this.#nextVerifyId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#verifications.delete(id);
        reject(new Error(`'${this.peer}' did not answer within ${VERIFY_TIMEOUT_MS} ms`));
      }, VERIFY_TIMEOUT_MS);
      this.#verifications.set(id, {
        resolve: (results) => (clearTimeout(timer), resolve(results)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.#send({ t: 'verify', id, tables });
    });
  }

  /** Exchange full copies with the peer, each side merging the other's (cluster_verify repair). */
  repair(): void {
    this.#send({ t: 'resync-request' });
    if (!this.#sendingCopy && this.#publishing) {
      void this.#sendCopy('resync')
        .then(() => this.#pump())
        .catch((error: unknown) => this.#fail(error));
    }
  }

  /** Whether the peer said it understands `feature` (a peer of an older version understands none). */
  peerHas(feature: string): boolean {
    return this.#peerHello?.features?.includes(feature) ?? false;
  }

  /** Send a cluster_network message to the peer (dropped when the socket is not open). */
  sendNetwork(message: NetworkMessage): void {
    this.#send(message);
  }

  /** New local commits: stream them if publishing. */
  wake(): void {
    void this.#pump();
  }

  // ---- handshake ----

  /**
   * While another link copies this database, wait: streaming a peer's whole log into a database
   * still being copied would apply most records twice, and log them.
   */
  async #sendHelloWhenReady(): Promise<void> {
    for (;;) {
      const synced = this.database.getMeta<boolean>(SYNCED_KEY) === true;
      const copying = synced || this.env.startTime(this.database.name) !== null ? null : this.env.copyInProgress(this.database.name, this);
      if (!copying) break;
      await copying;
      if (this.state === 'closed') return;
    }
    this.#sendHello();
  }

  #sendHello(): void {
    const synced = this.database.getMeta<boolean>(SYNCED_KEY) === true;
    // Only one link per database copies; the others stream as if synced meanwhile.
    const wantsCopy = !synced && this.env.startTime(this.database.name) === null && this.env.claimCopy(this.database.name, this);
    this.#copyClaimed = wantsCopy;
    const position = this.database.getMeta<number>(positionKey(this.peer)) ?? 0;
    const hello: Hello = {
      t: 'hello',
      protocol: PROTOCOL_VERSION,
      node: this.env.nodeName,
      url: this.env.nodeUrl(),
      database: this.database.name,
      position,
      synced: !wantsCopy,
      startTime: position === 0 ? this.env.startTime(this.database.name) : null,
      tables: this.database.tables().map(
        (t): TableSchema => ({ name: t.name, primaryKey: t.primaryKey, attributes: [...t.definition.attributes], replicate: t.definition.replicate }),
      ),
      ca: this.env.authority(),
      features: [NETWORK_FEATURE],
    };
    if (this.signing && this.direction === 'outbound') hello.csr = this.signing.csr;
    this.#send(hello);
  }

  async #onHello(hello: Hello): Promise<void> {
    if (hello.protocol !== PROTOCOL_VERSION) throw new ProtocolError(`protocol version ${hello.protocol} is not ${PROTOCOL_VERSION}`);
    if (hello.database !== this.database.name) throw new ProtocolError(`hello for database '${hello.database}' on the link for '${this.database.name}'`);
    if (this.direction === 'outbound' && hello.node !== this.peer) {
      throw new ProtocolError(`expected node '${this.peer}' but '${hello.node}' answered`);
    }
    let admission: Admission = {};
    if (this.direction === 'inbound') {
      this.peer = hello.node;
      admission = await this.admit(this, hello);
      if (admission.refused !== undefined) {
        this.close(CloseCode.refused, admission.refused);
        return;
      }
    }
    this.peerUrl = hello.url;
    this.peerCa = hello.ca ?? null;
    this.#peerHello = hello;
    await this.database.ensureTables(hello.tables.filter((t) => t.replicate));
    if (this.direction === 'inbound') {
      await this.#sendHelloWhenReady();
      if (this.state === 'closed') return;
      if (admission.certificate) this.#send({ t: 'certificate', ...admission.certificate });
    }
    this.state = 'open';
    this.#startPing();
    this.env.logger.info('Replication link open', { peer: this.peer, database: this.database.name, direction: this.direction });
    await this.#startPublishing(hello);
  }

  // ---- publisher ----

  async #startPublishing(hello: Hello): Promise<void> {
    const purgedThrough = this.database.getMeta<number>(PURGED_THROUGH_KEY) ?? 0;
    const missedPurged = hello.position > 0 && hello.position < purgedThrough;
    if ((!hello.synced && hello.startTime === null) || missedPurged) {
      await this.#sendCopy(missedPurged ? 'resync' : 'initial');
    } else {
      this.#sentThrough = hello.position > 0 ? hello.position : (hello.startTime ?? 0);
      this.#sentIsPosition = hello.position > 0;
    }
    this.#ackedThrough = this.#sentThrough;
    this.#publishing = true;
    this.#unsubscribe = this.database.onCommit(() => this.wake());
    await this.#pump();
  }

  /** Send a consistent snapshot of every published table, then stream from its position. */
  async #sendCopy(kind: 'initial' | 'resync'): Promise<void> {
    this.#sendingCopy = true;
    const snapshot = this.database.openSnapshot();
    try {
      const policy = this.env.policy(this.peer, this.database.name);
      const tables = this.database.tables().filter((t) => t.definition.replicate && policy.publishes(t.name));
      const total = tables.reduce((sum, t) => sum + snapshot.count(t), 0);
      this.env.logger.info('Sending database copy', { peer: this.peer, database: this.database.name, kind, total });
      // Tables created after the hello but before the snapshot are in neither the hello nor
      // the log streamed after the snapshot: name them here.
      const schemas = tables.map((t): TableSchema => ({ name: t.name, primaryKey: t.primaryKey, attributes: [...t.definition.attributes], replicate: t.definition.replicate }));
      this.#send({ t: 'copy-start', total, sequence: snapshot.sequence, tables: schemas });
      for (const table of tables) {
        let batch: CopyMessage['records'] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          this.#send({ t: 'copy', table: table.name, records: batch });
          batch = [];
          await this.#drained();
        };
        for (const { key, stored } of snapshot.records(table)) {
          batch.push([key, stored.v, stored.o, stored.r]);
          if (batch.length >= COPY_BATCH_RECORDS) await flush();
          if (this.state === 'closed') return;
        }
        for (const { key, tombstone } of snapshot.tombstones(table)) {
          batch.push([key, tombstone.v, tombstone.o, null]);
          if (batch.length >= COPY_BATCH_RECORDS) await flush();
        }
        await flush();
      }
      this.#send({ t: 'copy-end', sequence: snapshot.sequence });
      this.#sentThrough = Math.max(this.#sentThrough, snapshot.sequence);
      this.#sentIsPosition = true;
    } finally {
      snapshot.release();
      this.#sendingCopy = false;
    }
  }

  /** Wait until the socket's send buffer is below the high-water mark (or the link closed). */
  async #drained(): Promise<void> {
    while (this.state !== 'closed' && this.socket.bufferedAmount > SEND_HIGH_WATER_BYTES) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async #pump(): Promise<void> {
    if (!this.#publishing || this.#sendingCopy || this.state !== 'open') return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        if (this.#purgedPastSent()) {
          // The peer fell behind by more than the log retention while linked (slow or stalled):
          // what it has not been sent is gone from the log, so it gets a snapshot to merge.
          this.env.logger.warn('Peer is behind the purged log: resyncing it', { peer: this.peer, database: this.database.name });
          await this.#sendCopy('resync');
        }
        while (this.state === 'open' && this.#inFlight.length < MAX_UNACKED_FRAMES && this.socket.bufferedAmount < SEND_HIGH_WATER_BYTES) {
          if (this.#purgedPastSent()) {
            this.#pumpAgain = true;
            break;
          }
          if (!this.#sendNextFrame()) break;
        }
      } while (this.#pumpAgain && this.state === 'open');
    } finally {
      this.#pumping = false;
    }
  }

  #purgedPastSent(): boolean {
    return this.#sentIsPosition && (this.database.getMeta<number>(PURGED_THROUGH_KEY) ?? 0) > this.#sentThrough;
  }

  /** Read the log after what was sent, filter for this peer, send one frame. False when nothing new. */
  #sendNextFrame(): boolean {
    const policy = this.env.policy(this.peer, this.database.name);
    const entries: Array<[number, LogEntry]> = [];
    let through = this.#sentThrough;
    let writes = 0;
    for (const { sequence, entry } of this.database.readLog(this.#sentThrough, MAX_ENTRIES_PER_FRAME)) {
      if (writes > 0 && writes + entry.w.length > MAX_WRITES_PER_FRAME) break;
      through = sequence;
      const filtered = this.#filterForPeer(entry, policy);
      if (!filtered) continue;
      entries.push([sequence, filtered]);
      writes += filtered.w.length;
      this.lastSentVersion = entry.v;
    }
    if (through === this.#sentThrough) return false;
    this.#sentThrough = through;
    this.#sentIsPosition = true;
    if (entries.length === 0) {
      this.#scheduleIdlePosition();
      return true;
    }
    this.#send({ t: 'txns', entries, through });
    this.#inFlight.push(through);
    return true;
  }

  /** Tell the peer, a little later, that it is past entries it did not need. */
  #scheduleIdlePosition(): void {
    if (this.#idlePositionTimer) return;
    this.#idlePositionTimer = setTimeout(() => {
      this.#idlePositionTimer = null;
      if (this.state !== 'open') return;
      // A frame sent since carried a later position already.
      if (this.#inFlight.length > 0 && this.#inFlight[this.#inFlight.length - 1]! >= this.#sentThrough) return;
      if (this.#sentThrough <= this.#ackedThrough) return;
      this.#send({ t: 'txns', entries: [], through: this.#sentThrough });
      this.#inFlight.push(this.#sentThrough);
    }, IDLE_POSITION_INTERVAL_MS);
    this.#idlePositionTimer.unref();
  }

  /** The part of an entry this peer should get, or null for none of it. */
  #filterForPeer(entry: LogEntry, policy: LinkPolicy): LogEntry | null {
    // The peer wrote it (or already relayed it to us): it has it.
    if (entry.o === this.peer) return null;
    const sendable = (table: string) => this.database.table(table)?.definition.replicate !== false && policy.publishes(table);
    const writes = entry.w.filter((w) => sendable(w.t));
    const schema = entry.s?.filter((c) => sendable(c.table) && (c.kind !== 'create_table' || c.replicate));
    if (writes.length === 0 && !schema?.length) return null;
    if (writes.length === entry.w.length && schema?.length === entry.s?.length) return entry;
    const out: LogEntry = { v: entry.v, o: entry.o, u: entry.u, w: writes };
    if (schema?.length) out.s = schema;
    return out;
  }

  #onAck(seq: number): void {
    this.#ackedThrough = Math.max(this.#ackedThrough, seq);
    this.lastAckAt = Date.now();
    while (this.#inFlight.length > 0 && this.#inFlight[0]! <= seq) this.#inFlight.shift();
    void this.#pump();
  }

  // ---- subscriber ----

  /** Hand the link a frame read before it existed (the inbound hello, read to pick the database). */
  deliver(data: Buffer): void {
    this.#receive(data);
  }

  #receive(data: Buffer): void {
    let message: Message;
    try {
      message = decode(data);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (message.t === 'ack') {
      this.#onAck(message.seq);
      return;
    }
    this.#queued += 1;
    if (this.#queued > MAX_QUEUED_FRAMES && !this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
    this.#queue = this.#queue
      .then(() => (this.state === 'closed' ? undefined : this.#handle(message)))
      .catch((error: unknown) => this.#fail(error))
      .finally(() => {
        this.#queued -= 1;
        if (this.#paused && this.#queued <= MAX_QUEUED_FRAMES / 2) {
          this.#paused = false;
          this.socket.resume();
        }
      });
  }

  async #handle(message: Message): Promise<void> {
    if (message.t === 'hello') {
      if (this.#peerHello) throw new ProtocolError('second hello on one link');
      return this.#onHello(message);
    }
    if (!this.#peerHello) throw new ProtocolError(`'${message.t}' before hello`);
    this.lastFrameAt = Date.now();
    switch (message.t) {
      case 'txns':
        return this.#onTxns(message.entries, message.through);
      case 'copy-start':
        await this.database.ensureTables((message.tables ?? []).filter((t) => t.replicate));
        this.#copy = { copied: 0, total: message.total, done: false };
        this.env.logger.info('Receiving database copy', { peer: this.peer, database: this.database.name, total: message.total });
        return;
      case 'copy': {
        const copy = this.#copy;
        if (!copy) throw new ProtocolError('copy frame outside a copy');
        // Decode the next frame while this one commits: a few applies in flight, in order.
        const applying = applyCopiedRecords(this.database, this.env.clock, message.table, message.records).then(() => {
          copy.copied += message.records.length;
        });
        // A failure closes the link at once, even if nothing awaits this apply any more.
        applying.catch((error: unknown) => this.#fail(error));
        this.#copyApplies.push(applying);
        if (this.#copyApplies.length >= MAX_COPY_APPLIES_IN_FLIGHT) await this.#copyApplies.shift();
        return;
      }
      case 'copy-end':
        if (!this.#copy) throw new ProtocolError('copy-end outside a copy');
        await Promise.all(this.#copyApplies.splice(0));
        this.#appliedThrough = Math.max(message.sequence, this.database.getMeta<number>(positionKey(this.peer)) ?? 0);
        await this.database.setMeta([
          [positionKey(this.peer), this.#appliedThrough],
          [SYNCED_KEY, true],
        ]);
        this.#copy.done = true;
        this.#releaseCopy();
        this.env.logger.info('Database copy complete', { peer: this.peer, database: this.database.name, records: this.#copy.copied });
        return;
      case 'verify': {
        const results = message.tables.flatMap((name) => {
          const table = this.database.table(name);
          return table ? [tableDigest(table)] : [];
        });
        this.#send({ t: 'verify-result', id: message.id, results });
        return;
      }
      case 'verify-result':
        this.#verifications.get(message.id)?.resolve(message.results);
        this.#verifications.delete(message.id);
        return;
      case 'certificate':
        if (!this.signing) throw new ProtocolError('certificate sent without a signing request');
        await this.signing.onCertificate(message.certificate, message.ca);
        return;
      case 'status-request':
      case 'status-result':
        return this.env.network(this, message);
      case 'resync-request':
        if (this.#sendingCopy) return;
        await this.#sendCopy('resync');
        void this.#pump();
        return;
      default:
        throw new ProtocolError(`unexpected '${message.t}'`);
    }
  }

  async #onTxns(entries: Array<[number, LogEntry]>, through: number): Promise<void> {
    const position = (this.#appliedThrough ??= this.database.getMeta<number>(positionKey(this.peer)) ?? 0);
    if (through <= position) {
      this.#send({ t: 'ack', seq: through });
      return;
    }
    const fresh = entries.filter(([sequence]) => sequence > position);
    const policy = this.env.policy(this.peer, this.database.name);
    const outcome = await applyEntries(this.database, this.env.clock, this.peer, fresh, through, { accepts: (table) => policy.subscribes(table) });
    this.#appliedThrough = through;
    if (!outcome.committed) this.#schedulePositionPersist();
    const now = Date.now();
    const last = fresh[fresh.length - 1]?.[1];
    if (last) {
      this.lastReceivedVersion = last.v;
      this.lastReceivedLocalTime = now;
      this.lastAppliedLag = Math.max(0, now - last.v);
    }
    this.#send({ t: 'ack', seq: through });
  }

  /** Persist a position that advanced without data, a little later (see IDLE_POSITION_INTERVAL_MS). */
  #schedulePositionPersist(): void {
    if (this.#positionPersistTimer) return;
    this.#positionPersistTimer = setTimeout(() => {
      this.#positionPersistTimer = null;
      void this.#persistPosition();
    }, IDLE_POSITION_INTERVAL_MS);
    this.#positionPersistTimer.unref();
  }

  async #persistPosition(): Promise<void> {
    const through = this.#appliedThrough;
    if (through === null || this.database.closed) return;
    const stored = this.database.getMeta<number>(positionKey(this.peer)) ?? 0;
    if (through > stored) await this.database.setMeta([[positionKey(this.peer), through]]).catch(() => undefined);
  }

  #releaseCopy(): void {
    if (!this.#copyClaimed) return;
    this.#copyClaimed = false;
    this.env.releaseCopy(this.database.name, this);
  }

  // ---- plumbing ----

  #send(message: Message): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(encode(message));
  }

  #fail(error: unknown): void {
    const protocol = error instanceof ProtocolError;
    const reason = protocol ? `protocol error: ${(error as Error).message}` : `internal error: ${(error as Error)?.message ?? String(error)}`;
    this.env.logger.error('Replication link failed', { peer: this.peer, database: this.database.name, reason });
    this.close(protocol ? CloseCode.protocolError : CloseCode.internal, reason);
  }

  #startPing(): void {
    this.#lastPongAt = Date.now();
    this.#pingTimer = setInterval(() => {
      if (Date.now() - this.#lastPongAt > PONG_TIMEOUT_MS) {
        this.closeReason = `no pong for ${PONG_TIMEOUT_MS} ms`;
        this.socket.terminate();
        return;
      }
      this.#pingSentAt = Date.now();
      this.socket.ping();
    }, PING_INTERVAL_MS);
    this.#pingTimer.unref();
  }

  #closed(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason ||= reason || `closed (${code})`;
    this.closeCode ||= code;
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    if (this.#idlePositionTimer) clearTimeout(this.#idlePositionTimer);
    if (this.#positionPersistTimer) {
      clearTimeout(this.#positionPersistTimer);
      void this.#persistPosition();
    }
    this.#unsubscribe?.();
    this.#releaseCopy();
    for (const pending of this.#verifications.values()) pending.reject(new Error(`link to '${this.peer}' closed: ${this.closeReason}`));
    this.#verifications.clear();
    for (const listener of this.#closedListeners) listener(this);
  }
}

export function linkKey(peer: string, database: string): string {
  return `${peer}\u0000${database}`;
}
