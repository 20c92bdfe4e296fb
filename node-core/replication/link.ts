/**
 * One replication link: a WebSocket between this node and one peer for one database, carrying
 * both directions. This module wires the parts together — the lifecycle (link-state.ts), the
 * hello exchange (handshake.ts), publishing (publish.ts), subscribing (subscribe.ts), copies
 * (copy.ts), liveness (liveness.ts) and peer requests (peer-requests.ts) — and owns the socket:
 * every frame is read in order through one queue, listeners are attached when the link is made
 * (nothing a peer sends before the link is ready is lost), and nothing a peer sends can throw
 * out of an event handler: every failure closes the link with a reason (close-reason.ts).
 */
import type { WebSocket } from 'ws';
import type { HybridLogicalClock } from '../clock/hlc.ts';
import type { Logger } from '../log/logger.ts';
import type { Database } from '../storage/database.ts';
import { closeForError, closeSocket, RefusalError } from './close-reason.ts';
import { CopyReceiver, type CopyProgress } from './copy.ts';
import { buildHello, checkPeerHello, needsCopy, waitForCopyTurn } from './handshake.ts';
import { assertInvariant, IllegalTransitionError, LinkInvariantError, LinkState, LinkStateMachine, OPEN_STATES, type LinkStateName } from './link-state.ts';
import { Liveness } from './liveness.ts';
import { checkHorizon } from './horizon.ts';
import { PEER_MESSAGE_CHECKS, PeerRequests, VERIFY, type PeerRequestKind } from './peer-requests.ts';
import { CloseCode, decode, encode, ProtocolError, type DirectMessage, type Hello, type Message, type PeerRequestMessage, type TableDigest } from './protocol.ts';
import type { DirectLink, DirectLinks } from './relay.ts';
import type { SendBudget } from './send-budget.ts';
import type { LagSummary } from './lag-histogram.ts';
import { commitWakeups, filterForPeer, Publisher, SEND_HIGH_WATER_BYTES } from './publish.ts';
import type { NetworkMessage } from './network-messages.ts';
import { Subscriber } from './subscribe.ts';
import { HANDSHAKE_TIMEOUT_MS } from './transport.ts';
import { LARGE_PAYLOAD_BYTES, reclaimer } from '../reclaim.ts';

export { MAX_COPY_APPLIES_IN_FLIGHT, type CopyProgress } from './copy.ts';
export { PING_INTERVAL_MS, PONG_TIMEOUT_MS } from './liveness.ts';
export { IDLE_POSITION_INTERVAL_MS, MAX_UNACKED_FRAMES, SEND_HIGH_WATER_BYTES } from './publish.ts';
export const VERIFY_TIMEOUT_MS = VERIFY.timeoutMs;
/** Received frames queued for handling above which reading from the socket pauses. */
export const MAX_QUEUED_FRAMES = 8;

export type LinkDirection = 'outbound' | 'inbound';
/** Frames a link held at the tombstone horizon ignores (horizon.ts): data, never requests or liveness. */
const HELD_DROPS: ReadonlySet<string> = new Set(['ack', 'txns', 'copy-start', 'copy', 'copy-end', 'resync-request']);

/** The coarse view of the lifecycle others read: hello exchange, established, or done. */
export type LinkStatus = 'handshaking' | 'open' | 'closed';

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
  /** the node-wide budget of large frames in flight (send-budget.ts) */
  budget: SendBudget;
  /** which origins this node streams directly, told to every peer (relay.ts) */
  relay: DirectLinks;
}

/** What admission decides about an inbound peer's hello. */
export type Admission = { refused: string } | { refused?: undefined; certificate?: { certificate: string; ca: string } };

/** States in which the link holds this database's copy claim. */
const CLAIM_STATES: LinkStateName[] = [LinkState.awaitingCopy, LinkState.hello, LinkState.copyingOut, LinkState.streaming];

export class Link implements DirectLink {
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
  lastFrameAt = 0;
  /** frame bytes sent and received on this link since it was made (cluster_status, the sharding bench) */
  bytesSent = 0;
  bytesReceived = 0;
  /** the direct set this node last told the peer (relay.ts); null before its hello */
  advertised: ReadonlySet<string> | null = null;

  readonly #machine: LinkStateMachine;
  readonly #publisher: Publisher;
  readonly #subscriber: Subscriber;
  readonly #copyIn: CopyReceiver;
  readonly #liveness: Liveness;
  readonly #requests: PeerRequests;
  #peerHello: Hello | null = null;
  /** held at the tombstone horizon (horizon.ts): open for requests only, no data sent or applied */
  #held = false;
  /** a hello was received (it may still be being admitted) */
  #helloSeen = false;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #paused = false;
  readonly #closedListeners: Array<(link: Link) => void> = [];

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
    this.#machine = new LinkStateMachine(direction === 'outbound' ? LinkState.connecting : LinkState.hello);
    const port = this.#port();
    this.#publisher = new Publisher(port);
    this.#subscriber = new Subscriber(port);
    this.#copyIn = new CopyReceiver(port, (error) => this.#fail(error));
    this.#liveness = new Liveness(socket, this.#machine, (reason) => (this.closeReason ||= reason));
    this.#requests = new PeerRequests(port, (message) => this.#send(message));
    // The node's direct sets follow this link's life (relay.ts).
    this.#machine.onOpen(() => env.relay.changed(database.name));
    this.#machine.onClosed(() => env.relay.changed(database.name));
    socket.binaryType = 'nodebuffer';
    socket.on('message', (data: Buffer) => this.#guard(() => this.#receive(data)));
    socket.on('close', (code, reason) => this.#guard(() => this.#closed(code, reason.toString())));
    socket.on('error', (error) => {
      this.closeReason ||= error.message;
      this.errorCode ||= (error as NodeJS.ErrnoException).code ?? null;
      env.logger.debug('Replication socket error', { peer: this.peer, database: database.name, error: error.message });
    });
    if (socket.readyState === socket.CLOSING || socket.readyState === socket.CLOSED) {
      // Its close event is past: end the link on the next turn, after the caller has registered it.
      setImmediate(() => this.#guard(() => this.#closed(1006, 'socket closed before the link was made')));
    } else if (direction === 'outbound') {
      if (socket.readyState === socket.OPEN) this.#guard(() => this.#beginOutbound());
      else socket.once('open', () => this.#guard(() => this.#beginOutbound()));
    } else {
      this.#armHandshakeTimer();
      this.#liveness.start();
    }
  }

  /**
   * An inbound peer whose hello is not admitted in time is dropped (owned by 'hello'). Outbound
   * links have none: the peer may rightly wait its copy turn before answering; liveness (ping)
   * covers a dead one.
   */
  #armHandshakeTimer(): void {
    const timer = setTimeout(() => this.close(CloseCode.protocolError, `hello exchange not finished within ${HANDSHAKE_TIMEOUT_MS} ms`), HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    this.#machine.own('handshake-timer', () => clearTimeout(timer), [LinkState.hello]);
  }

  get key(): string {
    return linkKey(this.peer, this.database.name);
  }

  /** The lifecycle state (link-state.ts). */
  get phase(): LinkStateName {
    return this.#machine.state;
  }

  get state(): LinkStatus {
    if (this.#machine.isEnding) return 'closed';
    return this.#machine.isOpen ? 'open' : 'handshaking';
  }

  get copyProgress(): CopyProgress | null {
    return this.#copyIn.progress;
  }

  get ackedThrough(): number {
    return this.#publisher.ackedThrough;
  }

  get lastAckAt(): number {
    return this.#publisher.lastAckAt;
  }

  get lastSentVersion(): number {
    return this.#publisher.lastSentVersion;
  }

  get lastReceivedVersion(): number {
    return this.#subscriber.lastReceivedVersion;
  }

  get lastReceivedLocalTime(): number {
    return this.#subscriber.lastReceivedLocalTime;
  }

  get lastAppliedLag(): number {
    return this.#subscriber.lastAppliedLag;
  }

  /** This node streams from the peer now: open, past the hello exchange, not held (relay.ts). */
  get streamsFromPeer(): boolean {
    return this.#machine.isOpen && this.#peerHello !== null && !this.#held;
  }

  /** Entries received in txns frames and in catch-ups; the origins the peer streams directly. */
  get relayCounters(): { entriesReceived: number; catchupEntriesReceived: number; peerDirect: string[] } {
    return { entriesReceived: this.#subscriber.entriesReceived, catchupEntriesReceived: this.#subscriber.catchupEntriesReceived, peerDirect: this.#publisher.relay.direct };
  }

  sendDirect(message: DirectMessage): void {
    this.#send(message);
  }

  /** lag percentiles of what this link applied, over lag-histogram.ts's window */
  lagSummary(nowMs: number): LagSummary {
    return this.#subscriber.lag.summary(nowMs);
  }

  get latencyMs(): number | null {
    return this.#liveness.latencyMs;
  }

  get backPressurePercent(): number {
    return Math.min(100, Math.round((this.socket.bufferedAmount / SEND_HIGH_WATER_BYTES) * 100));
  }

  /** Names of the timers and listeners the link holds now (none once closed). */
  resources(): string[] {
    return this.#machine.resources();
  }

  /** Log entries this node still has to get confirmed by the peer. */
  pendingTransactions(): number {
    const policy = this.env.policy(this.peer, this.database.name);
    // Only what this peer still needs: not its own writes coming back, not filtered tables.
    return this.#publisher.pending((entry) => filterForPeer(this.database, this.peer, entry, (t) => policy.publishes(t)));
  }

  /** `listener` runs when the link is established (at once if it is). */
  onOpen(listener: (link: Link) => void): void {
    this.#machine.onOpen(() => listener(this));
  }

  onClosed(listener: (link: Link) => void): void {
    if (this.#machine.state === LinkState.closed) listener(this);
    else this.#closedListeners.push(listener);
  }

  /** Close with `code` and `reason` (cut to fit); the link is closed once the socket is. */
  close(code: number, reason: string): void {
    if (this.#machine.isEnding) return;
    this.closeReason = reason;
    this.closeCode = code;
    this.#machine.transition(LinkState.closing);
    closeSocket(this.socket, code, reason);
    // The link's own state does not wait for the close handshake: its resources are gone now.
    this.#finish();
  }

  /** Ask the peer something from the peer-request table (peer-requests.ts). */
  request<Request extends object, Response extends object>(kind: PeerRequestKind<Request, Response>, request: Request): Promise<Response> {
    if (!this.#machine.isOpen) return Promise.reject(new Error(`link to '${this.peer}' is not open`));
    return this.#requests.ask(kind, request);
  }

  /** The peer's digests of `tables` (cluster_verify). */
  async verify(tables: string[]): Promise<TableDigest[]> {
    return (await this.request(VERIFY, { tables })).results;
  }

  /** Exchange full copies with the peer, each side merging the other's (cluster_verify repair). */
  repair(): void {
    this.#send({ t: 'resync-request' });
    void this.#publisher.resync().catch((error: unknown) => this.#fail(error));
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
    this.#publisher.wake();
  }

  /** Hand the link a frame read before it existed (the inbound hello, read to pick the database). */
  deliver(data: Buffer): void {
    this.#guard(() => this.#receive(data));
  }

  // ---- handshake ----

  async #beginOutbound(): Promise<void> {
    this.#machine.transition(LinkState.awaitingCopy);
    this.#liveness.start();
    if (!(await this.#waitForCopyTurn())) return;
    this.#machine.transition(LinkState.hello);
    this.#sendHello();
  }

  #waitForCopyTurn(): Promise<boolean> {
    return waitForCopyTurn(this.env, this.database, () => this.env.copyInProgress(this.database.name, this), () => this.#machine.isEnding);
  }

  #sendHello(): void {
    // Only one link per database copies; the others stream as if synced meanwhile.
    const wantsCopy = needsCopy(this.env, this.database) && this.env.claimCopy(this.database.name, this);
    if (wantsCopy) this.#machine.own('copy-claim', () => this.env.releaseCopy(this.database.name, this), CLAIM_STATES);
    const { advert, direct } = this.env.relay.helloAdvert(this.database, this.peer);
    this.advertised = direct;
    this.#send(buildHello(this.env, this.database, this.peer, wantsCopy, advert, this.direction === 'outbound' ? this.signing?.csr : undefined));
  }

  async #onHello(hello: Hello): Promise<void> {
    checkPeerHello(hello, this.database, this.direction === 'outbound' ? this.peer : null);
    let admission: Admission = {};
    if (this.direction === 'inbound') {
      this.peer = hello.node;
      admission = await this.admit(this, hello);
      if (this.#machine.isEnding) return;
      if (admission.refused !== undefined) throw new RefusalError(admission.refused);
    }
    this.peerUrl = hello.url;
    this.peerCa = hello.ca ?? null;
    this.#peerHello = hello;
    // Its features are known now: tell it of changes to the direct set since this node's hello.
    this.env.relay.sync(this);
    await this.database.ensureTables(hello.tables.filter((t) => t.replicate));
    // The socket may have closed while storage was awaited: a closed link stays closed.
    if (this.#machine.isEnding) return;
    // Past a tombstone horizon (either way) the link opens held: no data either way (horizon.ts).
    this.#held = (await checkHorizon(this, hello)) !== null;
    if (this.#machine.isEnding) return;
    if (this.direction === 'inbound') {
      this.#machine.transition(LinkState.awaitingCopy);
      if (!(await this.#waitForCopyTurn())) return;
      this.#sendHello();
      if (admission.certificate) this.#send({ t: 'certificate', ...admission.certificate });
    }
    this.#open(hello);
  }

  #open(hello: Hello): void {
    if (this.#held) {
      this.#machine.transition(LinkState.streaming);
      this.env.logger.warn('Replication held at the tombstone horizon', { peer: this.peer, database: this.database.name });
      return;
    }
    // Publishing moves the link to copying-out or streaming before its first await.
    const publishing = this.#publisher.start(hello, (listener) => commitWakeups(this.database, listener));
    publishing.catch((error: unknown) => this.#fail(error));
    if (this.#machine.isEnding) return;
    assertInvariant(this.#machine.holds('ping-timer'), 'an open link pings its peer');
    this.env.logger.info('Replication link open', { peer: this.peer, database: this.database.name, direction: this.direction });
  }

  // ---- receiving ----

  #receive(data: Buffer): void {
    const bytes = data.length;
    this.bytesReceived += bytes;
    if (this.#machine.isEnding) return;
    let message: Message | null = null;
    let undecodable: unknown = null;
    try {
      message = decode(data, PEER_MESSAGE_CHECKS);
    } catch (error) {
      undecodable = error;
    }
    // Acks bypass the queue once publishing: they must not wait behind applies.
    if (message?.t === 'ack' && this.#publisher.started) {
      this.#publisher.onAck((message as { seq: number }).seq);
      return;
    }
    this.#queued += 1;
    if (this.#queued > MAX_QUEUED_FRAMES && !this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
    this.#queue = this.#queue
      .then(() => {
        if (this.#machine.isEnding) return undefined;
        if (undecodable !== null) throw undecodable;
        return this.#handle(message!);
      })
      .catch((error: unknown) => this.#fail(error))
      .finally(() => {
        reclaimer.done(bytes);
        this.#queued -= 1;
        if (this.#paused && this.#queued <= MAX_QUEUED_FRAMES / 2) {
          this.#paused = false;
          this.#guard(() => this.socket.resume());
        }
      });
  }

  async #handle(message: Message): Promise<void> {
    if (message.t === 'hello') {
      if (this.#peerHello || this.#helloSeen) throw new ProtocolError('second hello on one link');
      this.#helloSeen = true;
      return this.#onHello(message as Hello);
    }
    if (!this.#peerHello) throw new ProtocolError(`'${message.t}' before hello`);
    if (this.#held && HELD_DROPS.has(message.t)) return;
    this.lastFrameAt = Date.now();
    switch (message.t) {
      case 'ack':
        return this.#publisher.onAck((message as { seq: number }).seq);
      case 'txns': {
        const { entries, through, catchup } = message as Extract<Message, { t: 'txns' }>;
        return catchup ? this.#subscriber.onCatchup(entries) : this.#subscriber.onTxns(entries, through);
      }
      case 'direct':
        return this.#publisher.onDirect(message as DirectMessage);
      case 'copy-start':
        return this.#copyIn.start(message as Extract<Message, { t: 'copy-start' }>);
      case 'copy':
        return this.#copyIn.records(message as Extract<Message, { t: 'copy' }>);
      case 'copy-end': {
        const position = await this.#copyIn.end(message as Extract<Message, { t: 'copy-end' }>);
        this.#subscriber.copied(position);
        this.#machine.release('copy-claim');
        return;
      }
      case 'certificate': {
        const { certificate, ca } = message as Extract<Message, { t: 'certificate' }>;
        if (!this.signing) throw new ProtocolError('certificate sent without a signing request');
        await this.signing.onCertificate(certificate, ca);
        return;
      }
      case 'resync-request':
        return this.#publisher.resync();
      case 'status-request':
      case 'status-result':
        return this.env.network(this, message as NetworkMessage);
      default:
        if (this.#requests.handles(message.t)) return this.#requests.receive(message as PeerRequestMessage);
        throw new ProtocolError(`unexpected '${message.t}'`);
    }
  }

  // ---- plumbing ----

  #port() {
    const link = this;
    return {
      get peer() {
        return link.peer;
      },
      database: this.database,
      logger: this.env.logger,
      clock: this.env.clock,
      nodeName: this.env.nodeName,
      budget: this.env.budget,
      get machine() {
        return link.#machine;
      },
      publishes: (table: string) => this.env.policy(this.peer, this.database.name).publishes(table),
      subscribes: (table: string) => this.env.policy(this.peer, this.database.name).subscribes(table),
      send: (message: Message) => this.#send(message),
      sendFrame: (frame: Buffer) => this.#sendBytes(frame),
      sendFrameThen: (frame: Buffer, written: () => void) => this.#sendBytes(frame, written),
      drained: () => this.#drained(),
      ending: () => this.#machine.isEnding,
      copyResume: () => this.#peerHello?.copyResume ?? null,
      bufferedAmount: () => this.socket.bufferedAmount,
      fail: (error: unknown) => this.#fail(error),
      positionEstablished: () => this.env.relay.changed(this.database.name),
    };
  }

  #send(message: Message | PeerRequestMessage): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.#sendBytes(encode(message as Message));
  }

  /** Send `frame`; `written` runs once: when the socket wrote it, failed to, or never took it. */
  #sendBytes(frame: Buffer, written?: () => void): void {
    const bytes = frame.length;
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      reclaimer.done(bytes);
      written?.();
    };
    if (this.socket.readyState !== this.socket.OPEN) return once();
    try {
      // ws calls back on error and on close as well as once written.
      this.socket.send(frame, bytes >= LARGE_PAYLOAD_BYTES || written ? once : undefined);
      this.bytesSent += bytes;
    } catch (error) {
      once();
      this.#fail(error);
    }
  }

  /** Wait until the socket's send buffer is below the high-water mark (or the link ends). */
  async #drained(): Promise<void> {
    while (!this.#machine.isEnding && this.socket.bufferedAmount > SEND_HIGH_WATER_BYTES) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Run `work` (sync or async) so that nothing it throws escapes an event handler. */
  #guard(work: () => unknown): void {
    try {
      const result = work();
      if (result instanceof Promise) result.catch((error: unknown) => this.#fail(error));
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    try {
      const { code, reason } = closeForError(error);
      const bug = error instanceof IllegalTransitionError || error instanceof LinkInvariantError;
      if (!(error instanceof RefusalError)) {
        this.env.logger.error(bug ? 'Replication link bug' : 'Replication link failed', { peer: this.peer, database: this.database.name, reason, state: this.#machine.state });
      }
      this.close(code, reason);
    } catch (nested) {
      // Closing must end the link even if something above threw again.
      this.env.logger.error('Replication link failed to close cleanly', { peer: this.peer, error: String(nested) });
      closeSocket(this.socket, CloseCode.internal, 'internal error');
      this.#finish();
    }
  }

  #closed(code: number, reason: string): void {
    if (this.#machine.state === LinkState.closed) return;
    this.closeReason ||= reason || `closed (${code})`;
    this.closeCode ||= code;
    this.#finish();
  }

  /** Enter `closed`: resources disposed, pending requests rejected, listeners told. */
  #finish(): void {
    if (this.#machine.state === LinkState.closed) return;
    this.#machine.transition(LinkState.closed);
    this.#requests.rejectAll(`link to '${this.peer}' closed: ${this.closeReason}`);
    for (const listener of this.#closedListeners.splice(0)) {
      try {
        listener(this);
      } catch (error) {
        this.env.logger.error('Replication link close listener failed', { peer: this.peer, error: String(error) });
      }
    }
  }
}

export function linkKey(peer: string, database: string): string {
  return `${peer}\u0000${database}`;
}

export { OPEN_STATES };
