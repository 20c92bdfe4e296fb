/**
 * Keeps the links this node should have: one per (peer, replicated database). Dials peers with
 * capped exponential backoff and jitter, accepts and admits inbound links (transport identity
 * or one-time credentials from add_node), resolves duplicate links deterministically, and
 * follows hdb_nodes and new databases as they change.
 */
import type http from 'node:http';
import type { WebSocket } from 'ws';
import { bindHost } from '../config/index.ts';
import { OpError } from '../errors.ts';
import type { NodeServices } from '../services.ts';
import type { Database } from '../storage/database.ts';
import { SYSTEM_DATABASE } from '../system/tables.ts';
import { SYNCED_KEY } from './apply.ts';
import { Link, linkKey, type LinkEnvironment } from './link.ts';
import { Membership, NODES_TABLE, type Peer } from './membership.ts';
import { CloseCode, decode, ProtocolError, type Hello } from './protocol.ts';
import { HANDSHAKE_TIMEOUT_MS, type Listener, type ReplicationTransport } from './transport.ts';

export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 30_000;
/** After a refusal (auth, unknown node) a peer is not redialled sooner than this. */
export const REFUSED_MIN_BACKOFF_MS = 1_000;
/** A link that stayed open this long resets its peer's backoff. */
const STABLE_LINK_MS = 5_000;
const JOIN_TIMEOUT_MS = 15_000;

interface DialState {
  attempts: number;
  timer: NodeJS.Timeout | null;
  lastError: string | null;
  lastRefused: boolean;
}

export class ReplicationManager {
  readonly membership: Membership;
  readonly #links = new Map<string, Link>();
  readonly #dials = new Map<string, DialState>();
  readonly #copyClaims = new Map<string, Link>();
  readonly #environment: LinkEnvironment;
  #listener: Listener | null = null;
  #stopped = false;
  #unsubscribers: Array<() => void> = [];
  #reconcileQueued = false;

  /** how peers reach this node; null without a listener (it can still dial out) */
  url: string | null = null;

  constructor(
    private readonly services: NodeServices,
    private readonly transport: ReplicationTransport,
  ) {
    const system = services.storage.requireDatabase(SYSTEM_DATABASE);
    const defaultPort = services.config.replication.port ?? services.config.replication.securePort ?? 9925;
    this.membership = new Membership(services.config, services.nodeName, system, (host, port) => `${transport.scheme}://${host.includes(':') ? `[${host}]` : host}:${port ?? defaultPort}`);
    this.#environment = {
      nodeName: services.nodeName,
      nodeUrl: () => this.url,
      clock: services.clock,
      logger: services.logger,
      policy: (peer, database) => this.membership.policy(peer, database),
      claimCopy: (database, link) => {
        const holder = this.#copyClaims.get(database);
        if (holder && holder !== link && holder.state !== 'closed') return false;
        this.#copyClaims.set(database, link);
        return true;
      },
      releaseCopy: (database, link) => {
        if (this.#copyClaims.get(database) === link) this.#copyClaims.delete(database);
      },
      startTime: (database) => {
        const db = services.storage.database(database);
        const own = db?.getMeta<number>(START_TIME_KEY);
        if (own !== undefined) return own;
        // A database this node did not have when add_node gave a start_time (it arrives with
        // its first link) streams from that time too, unless it has synced since.
        if (database === SYSTEM_DATABASE || db?.getMeta<boolean>(SYNCED_KEY)) return null;
        return services.storage.database(SYSTEM_DATABASE)?.getMeta<number>(JOIN_START_TIME_KEY) ?? null;
      },
    };
  }

  async start(): Promise<void> {
    const { port } = this.services.config.replication;
    if (port !== null) {
      this.#listener = await this.transport.listen(bindHost(this.services.config), port, (socket, request) => this.#accept(socket, request));
      const host = this.services.nodeName.includes(':') ? `[${this.services.nodeName}]` : this.services.nodeName;
      // Port 0 means any free port: advertise the one actually bound.
      this.url = `${this.transport.scheme}://${host}:${this.#listener.port}`;
    }
    if (this.url) await this.#ensureSelfRecord();
    const system = this.services.storage.requireDatabase(SYSTEM_DATABASE);
    this.#unsubscribers.push(
      system.onCommit((event) => {
        if (event.entry.w.some((w) => w.t === NODES_TABLE)) this.reconcileSoon();
      }),
      this.services.storage.onDatabaseCreated(() => this.reconcileSoon()),
    );
    this.reconcile();
  }

  get listenPort(): number | null {
    return this.#listener?.port ?? null;
  }

  links(): Link[] {
    return [...this.#links.values()];
  }

  dialState(peer: string, database: string): { lastError: string | null; attempts: number } | undefined {
    return this.#dials.get(linkKey(peer, database));
  }

  replicatedDatabases(): Database[] {
    return this.services.storage.databases().filter((db) => db.name === SYSTEM_DATABASE || this.membership.replicates(db.name));
  }

  reconcileSoon(): void {
    if (this.#reconcileQueued || this.#stopped) return;
    this.#reconcileQueued = true;
    setImmediate(() => {
      this.#reconcileQueued = false;
      this.reconcile();
    });
  }

  /** Close links nobody wants any more; dial the ones missing. */
  reconcile(): void {
    if (this.#stopped) return;
    const peers = this.membership.peers();
    const databases = this.replicatedDatabases();
    const wanted = new Set<string>();
    for (const peer of peers.values()) for (const db of databases) wanted.add(linkKey(peer.name, db.name));
    for (const link of this.#links.values()) {
      if (!wanted.has(link.key)) link.close(CloseCode.removed, `node '${this.services.nodeName}' no longer replicates ${link.database.name} with '${link.peer}'`);
    }
    for (const [key, dial] of this.#dials) {
      if (!wanted.has(key)) {
        if (dial.timer) clearTimeout(dial.timer);
        this.#dials.delete(key);
      }
    }
    for (const peer of peers.values()) {
      if (!peer.url) continue;
      for (const db of databases) {
        const key = linkKey(peer.name, db.name);
        if (this.#links.has(key)) continue;
        const dial = this.#dialStateFor(key);
        if (!dial.timer) this.#scheduleDial(peer, db, dial);
      }
    }
  }

  /**
   * add_node with credentials: dial the target's system link presenting them once, so the
   * target records this node; resolves when the link is open, rejects with the target's reason.
   */
  async join(name: string, url: string, authorization: string): Promise<void> {
    const system = this.services.storage.requireDatabase(SYSTEM_DATABASE);
    const existing = this.#links.get(linkKey(name, SYSTEM_DATABASE));
    if (existing?.state === 'open') return;
    existing?.close(CloseCode.normal, 'replaced by add_node');
    let socket: WebSocket;
    try {
      socket = this.transport.dial(url, { Authorization: authorization });
    } catch (error) {
      throw new OpError(400, `Cannot connect to '${url}': ${(error as Error).message}`);
    }
    const link = new Link(socket, system, 'outbound', this.#environment, name);
    this.#register(link);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        link.close(CloseCode.normal, 'add_node timed out');
        reject(new OpError(504, `Node '${name}' at ${url} did not complete the handshake within ${JOIN_TIMEOUT_MS} ms`));
      }, JOIN_TIMEOUT_MS);
      const poll = setInterval(() => {
        if (link.state === 'open') {
          clearTimeout(timer);
          clearInterval(poll);
          resolve();
        }
      }, 10);
      link.onClosed(() => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new OpError(502, `Node '${name}' at ${url} refused the connection: ${link.closeReason || 'closed'}`));
      });
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const unsubscribe of this.#unsubscribers) unsubscribe();
    for (const dial of this.#dials.values()) if (dial.timer) clearTimeout(dial.timer);
    for (const link of this.#links.values()) link.close(CloseCode.goingAway, 'node shutting down');
    await this.#listener?.close();
  }

  // ---- dialing ----

  #dialStateFor(key: string): DialState {
    let dial = this.#dials.get(key);
    if (!dial) {
      dial = { attempts: 0, timer: null, lastError: null, lastRefused: false };
      this.#dials.set(key, dial);
    }
    return dial;
  }

  #scheduleDial(peer: Peer, db: Database, dial: DialState): void {
    const exponential = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** dial.attempts);
    let delay = dial.attempts === 0 ? 0 : exponential * (0.5 + Math.random() * 0.5);
    if (dial.lastRefused) delay = Math.max(delay, REFUSED_MIN_BACKOFF_MS);
    dial.timer = setTimeout(() => {
      dial.timer = null;
      if (this.#stopped || this.#links.has(linkKey(peer.name, db.name))) return;
      dial.attempts += 1;
      this.#dial(peer, db);
    }, delay);
    dial.timer.unref();
  }

  #dial(peer: Peer, db: Database): void {
    let socket: WebSocket;
    try {
      socket = this.transport.dial(peer.url!);
    } catch (error) {
      const dial = this.#dialStateFor(linkKey(peer.name, db.name));
      dial.lastError = (error as Error).message;
      this.reconcileSoon();
      return;
    }
    this.#register(new Link(socket, db, 'outbound', this.#environment, peer.name));
  }

  #register(link: Link): void {
    this.#links.set(link.key, link);
    link.onClosed(() => {
      if (this.#links.get(link.key) === link) this.#links.delete(link.key);
      const dial = this.#dialStateFor(link.key);
      dial.lastError = link.closeReason || null;
      dial.lastRefused = /refused|Login failed|not a known|4003/.test(link.closeReason);
      if (link.state === 'closed' && Date.now() - link.openedAt > STABLE_LINK_MS && !dial.lastRefused) dial.attempts = 0;
      this.reconcileSoon();
    });
  }

  // ---- accepting ----

  #accept(socket: WebSocket, request: http.IncomingMessage): void {
    const timer = setTimeout(() => socket.close(CloseCode.protocolError, 'no hello within the handshake timeout'), HANDSHAKE_TIMEOUT_MS);
    socket.once('message', (data: Buffer) => {
      clearTimeout(timer);
      void this.#acceptHello(socket, request, data).catch((error: unknown) => {
        const reason = error instanceof ProtocolError ? `protocol error: ${error.message}` : String((error as Error)?.message ?? error);
        socket.close(error instanceof ProtocolError ? CloseCode.protocolError : CloseCode.refused, reason.slice(0, 120));
      });
    });
    socket.on('error', () => undefined);
  }

  async #acceptHello(socket: WebSocket, request: http.IncomingMessage, data: Buffer): Promise<void> {
    const hello = decode(data);
    if (hello.t !== 'hello') throw new ProtocolError(`expected hello, got '${hello.t}'`);
    if (this.#stopped) throw new Error('node is shutting down');
    const credentialed = await this.#checkCredentials(request);
    let db = this.services.storage.database(hello.database);
    if (hello.database !== SYSTEM_DATABASE && !this.membership.replicates(hello.database)) {
      throw new Error(`database '${hello.database}' is not replicated by node '${this.services.nodeName}'`);
    }
    db ??= this.services.storage.createDatabase(hello.database);
    const link = new Link(socket, db, 'inbound', this.#environment, hello.node, (l, h) => this.#admit(l, h, request, credentialed));
    link.deliver(data);
  }

  /** undefined: no credentials presented; otherwise they were valid for a super_user. */
  async #checkCredentials(request: http.IncomingMessage): Promise<true | undefined> {
    const header = request.headers.authorization;
    if (!header) return undefined;
    const user = await this.services.auth.authenticate(header, request.socket.remoteAddress ?? 'unknown').catch(() => undefined);
    if (!user) throw new Error('Login failed: the credentials given to add_node were not accepted');
    if (user.role !== 'super_user') throw new Error(`user '${user.username}' may not add nodes (needs super_user)`);
    return true;
  }

  async #admit(link: Link, hello: Hello, request: http.IncomingMessage, credentialed: true | undefined): Promise<string | null> {
    if (hello.node === this.services.nodeName) return 'a node cannot link to itself';
    if (credentialed) {
      if (!this.membership.node(hello.node) && hello.url) await this.membership.upsertNode({ name: hello.node, url: hello.url }, null);
    } else {
      const refusal = await this.transport.verifyPeer(request, hello.node, (name) => this.membership.isKnown(name));
      if (refusal) return refusal;
    }
    const existing = this.#links.get(link.key);
    if (existing && existing !== link && existing.state !== 'closed') {
      if (existing.direction === 'outbound' && this.services.nodeName < hello.node) {
        return `duplicate link: '${this.services.nodeName}' keeps the link it dialed`;
      }
      existing.close(CloseCode.duplicate, `duplicate link: replaced by the one '${hello.node}' dialed`);
    }
    this.#register(link);
    return null;
  }

  async #ensureSelfRecord(): Promise<void> {
    const self = this.membership.node(this.services.nodeName);
    if (self?.url === this.url) return;
    await this.membership.upsertNode({ name: this.services.nodeName, url: this.url }, null);
  }
}

/** Meta key of a database: stream from this time on links without a position (add_node start_time). */
export const START_TIME_KEY = ['startTime'];
/** Meta key of the system database: the add_node start_time for databases that did not exist yet. */
export const JOIN_START_TIME_KEY = ['joinStartTime'];
