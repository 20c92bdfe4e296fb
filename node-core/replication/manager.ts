/**
 * Keeps the links this node should have: one per (peer, replicated database). Dials peers with
 * capped exponential backoff and jitter, accepts and admits inbound links (transport identity
 * or one-time credentials from add_node), resolves duplicate links deterministically, and
 * follows hdb_nodes and new databases as they change.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import type { WebSocket } from 'ws';
import { bindHost, isLoopbackIp, replicationOnOpsPort, replicationPorts } from '../config/index.ts';
import { OpError } from '../errors.ts';
import type { NodeServices } from '../services.ts';
import type { Database } from '../storage/database.ts';
import { SYSTEM_DATABASE } from '../system/tables.ts';
import { SYNCED_KEY } from './apply.ts';
import { Link, linkKey, type LinkEnvironment, type LinkPolicy } from './link.ts';
import { Membership, NODES_TABLE, type Peer } from './membership.ts';
import { PolicyCache } from './policy-cache.ts';
import { acceptInbound, type PendingFrames } from './acceptance.ts';
import { RefusalError } from './close-reason.ts';
import { MAX_SAFE_BODY_BYTES } from './frames.ts';
import { CloseCode, ProtocolError, type Hello } from './protocol.ts';
import { peerCertificateSerial, SecureTransport, type TlsMaterial } from './secure-transport.ts';
import { InsecureTransport, upgradeEndpoint, type Listener, type ReplicationTransport } from './transport.ts';
import type { Duplex } from 'node:stream';
import { caName, type CertificateStore } from '../security/certificates.ts';
import { certificateDetails, createSigningRequest } from '../security/pki.ts';
import { joinerNameProblem, revokedSerials, signJoiner } from '../security/admission.ts';
import { markAdmitted } from './upgrade-guard.ts';
import type { Admission } from './link.ts';
import { networkHost } from './network-host.ts';
import { linksWith, shardOfNode, type MemberSource } from './sharding.ts';
import { Rehomer } from './rehome.ts';
import { ClusterNetwork } from './network.ts';
import { DirectLinks, fullSubscriptions } from './relay.ts';
import { SendBudget } from './send-budget.ts';

export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 30_000;
/** After a refusal (auth, unknown node) a peer is not redialled sooner than this. */
export const REFUSED_MIN_BACKOFF_MS = 1_000;
/** A link that stayed open this long resets its peer's backoff. */
const STABLE_LINK_MS = 5_000;
const JOIN_TIMEOUT_MS = 15_000;

/** The operations API listeners replication is served on when it has no port of its own. */
export interface OpsListeners {
  port: number;
  securePort: number | null;
  /** route the ops listeners' WebSocket upgrades to replication */
  attach(handler: (request: http.IncomingMessage, socket: Duplex, head: Buffer, secure: boolean) => void): void;
  /** re-read the HTTPS listener's certificate and trusted CAs (they changed) */
  refreshTls(): void;
}

interface DialState {
  attempts: number;
  timer: NodeJS.Timeout | null;
  lastError: string | null;
  lastRefused: boolean;
  /**
   * Why the last link that got past connecting closed (a protocol error, a refusal, a dead
   * peer): kept beside later connection failures, which would otherwise hide it within ms.
   */
  lastLinkError: string | null;
}

export class ReplicationManager {
  readonly membership: Membership;
  /** cluster_network: every member's status, gathered over the links */
  readonly network: ClusterNetwork;
  readonly #links = new Map<string, Link>();
  readonly #dials = new Map<string, DialState>();
  readonly #copyClaims = new Map<string, Link>();
  /** links waiting for a database's copy to end before they say hello */
  readonly #copyWaiters = new Map<string, Array<() => void>>();
  /** system links of add_node joins whose peer has no hdb_nodes row yet: reconcile keeps them */
  readonly #joining = new Set<Link>();
  readonly #environment: LinkEnvironment;
  readonly #insecure: InsecureTransport;
  /** null when the node has no certificates store (tools that run without security) */
  readonly #secure: SecureTransport | null;
  readonly #listeners: Listener[] = [];
  #stopped = false;
  #opsTlsRefresh: (() => void) | null = null;
  #unsubscribers: Array<() => void> = [];
  #reconcileQueued = false;

  /** what the sharding rules read of the cluster (sharding.ts) */
  readonly memberSource: MemberSource;
  /** moves records of members gone (rehome.ts) */
  readonly rehomer: Rehomer;
  /** the origins this node streams directly, told to every peer (relay.ts) */
  readonly relay: DirectLinks;
  /** bytes of large frames in flight across all links (send-budget.ts) */
  readonly sendBudget = new SendBudget();

  /** how peers reach this node; null without a listener (it can still dial out) */
  url: string | null = null;

  constructor(
    private readonly services: NodeServices,
    private readonly certificates: CertificateStore | null,
  ) {
    const system = services.storage.requireDatabase(SYSTEM_DATABASE);
    const { port, securePort } = replicationPorts(services.config);
    // Peers known only by host name are assumed to listen like this node does.
    const secureByDefault = securePort !== null && certificates !== null;
    const defaultPort = (secureByDefault ? securePort : port) ?? 9925;
    const scheme = secureByDefault ? 'wss' : 'ws';
    this.membership = new Membership(services.config, services.nodeName, system, (host, p) => `${scheme}://${host.includes(':') ? `[${host}]` : host}:${p ?? defaultPort}`);
    const membership = this.membership;
    this.memberSource = { nodeName: services.nodeName, config: services.config, nodes: () => membership.nodes() };
    const localAddress = isLoopbackIp(services.nodeName) ? services.nodeName : undefined;
    this.#insecure = new InsecureTransport(localAddress);
    this.#secure = certificates ? new SecureTransport(this.#tlsMaterial(certificates), localAddress) : null;
    this.relay = new DirectLinks({
      links: () => this.links(),
      fullPolicy: (peer, database) => fullSubscriptions(services.nodeName, (name) => membership.node(name), peer, database),
      origins: () => membership.nodes().map((node) => node.name).filter((name) => name !== services.nodeName),
    });
    this.#environment = {
      nodeName: services.nodeName,
      nodeUrl: () => this.url,
      clock: services.clock,
      logger: services.logger,
      policy: this.#cachedPolicy(system),
      claimCopy: (database, link) => {
        const holder = this.#copyClaims.get(database);
        if (holder && holder !== link && holder.state !== 'closed') return false;
        this.#copyClaims.set(database, link);
        return true;
      },
      releaseCopy: (database, link) => {
        if (this.#copyClaims.get(database) !== link) return;
        this.#copyClaims.delete(database);
        for (const wake of this.#copyWaiters.get(database) ?? []) wake();
        this.#copyWaiters.delete(database);
      },
      copyInProgress: (database, link) => {
        const holder = this.#copyClaims.get(database);
        if (!holder || holder === link || holder.state === 'closed') return null;
        return new Promise<void>((resolve) => {
          const waiters = this.#copyWaiters.get(database) ?? [];
          waiters.push(resolve);
          this.#copyWaiters.set(database, waiters);
        });
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
      authority: () => certificates?.ownAuthority()?.certificate ?? null,
      network: (link, message) => this.network.receive(link, message),
      budget: this.sendBudget,
      relay: this.relay,
    };
    this.network = new ClusterNetwork(networkHost(this, services));
    this.rehomer = new Rehomer({ memberSource: this.memberSource, logger: services.logger, links: () => this.links(), database: (name) => services.storage.database(name) });
  }

  /** What the TLS transport presents and trusts, read fresh for every connection. */
  /** Link policies remembered until hdb_nodes changes (policy-cache.ts); computed afresh after stop. */
  #cachedPolicy(system: Database): (peer: string, database: string) => LinkPolicy {
    const cache = new PolicyCache((peer, database) => this.membership.policy(peer, database), system);
    this.#unsubscribers.push(() => cache.dispose());
    return cache.get;
  }

  #tlsMaterial(certificates: CertificateStore): TlsMaterial {
    return {
      credentials: (peer) => {
        const peerCa = peer ? this.membership.node(peer)?.ca : undefined;
        let issuer: string | undefined;
        try {
          issuer = peerCa ? certificateDetails(peerCa).subject : undefined;
        } catch {
          issuer = undefined;
        }
        const best = certificates.bestCertificate(issuer);
        return best ? { cert: best.row.certificate, key: best.key } : undefined;
      },
      trustedAuthorities: () => this.trustedAuthorities(),
      // A serial revoked for any node is refused for every name (security/admission.ts).
      revokedSerials: () => revokedSerials(this.membership.nodes()),
    };
  }

  /**
   * PEMs of every CA replication trusts now (SPEC 3): this node's CA rows, every hdb_nodes.ca,
   * and the Node.js root store only when `replication.enableRootCAs`.
   */
  trustedAuthorities(): string[] {
    if (!this.certificates) return [];
    return this.certificates.trustedAuthorities(
      this.membership.nodes().flatMap((node) => (typeof node.ca === 'string' ? [node.ca] : [])),
      this.services.config.replication.enableRootCAs,
    );
  }

  /** Listen (on the replication ports, or with `ops` on the operations API listeners) and start linking. */
  async start(ops?: OpsListeners): Promise<void> {
    const maxBody = this.services.config.operationsApi.network.maxBodySize;
    if (maxBody > MAX_SAFE_BODY_BYTES) {
      // A record that large may not fit a replication frame alone (frames.ts).
      this.services.logger.warn('operationsApi.network.maxBodySize is larger than a replication frame can carry for one record', { maxBodySize: maxBody, maxSafe: MAX_SAFE_BODY_BYTES });
    }
    if (replicationOnOpsPort(this.services.config) && ops) this.#serveOnOps(ops);
    else await this.#listen();
    if (this.url) await this.#ensureSelfRecord();
    const system = this.services.storage.requireDatabase(SYSTEM_DATABASE);
    this.#unsubscribers.push(
      system.onTablesChanged((tables) => {
        if (tables.includes(NODES_TABLE)) {
          this.#refreshTls();
          this.#closeRevoked();
          // Subscriptions may have changed: a link with explicit ones is nobody's direct source.
          this.relay.changed();
          this.reconcileSoon();
          this.rehomer.trigger();
          // A peer's write of this node's row may have dropped its configured shard: put it back.
          const shard = this.services.config.replication.shard;
          if (this.url && shard !== null && this.membership.node(this.services.nodeName)?.shard !== shard) void this.#ensureSelfRecord().catch((error: unknown) => this.services.logger.warn('Could not update this node’s own hdb_nodes row', { error: String(error) }));
        }
      }),
      this.services.storage.onDatabaseCreated(() => this.reconcileSoon()),
    );
    if (this.certificates) this.#unsubscribers.push(this.certificates.onChange(() => this.#refreshTls()));
    this.reconcile();
    this.rehomer.start();
  }

  #refreshTls(): void {
    this.#secure?.refresh();
    this.#opsTlsRefresh?.();
  }

  /** Replication on the ops listeners: ws upgrades on the HTTP port, wss on the HTTPS one. */
  #serveOnOps(ops: OpsListeners): void {
    const host = this.services.nodeName.includes(':') ? `[${this.services.nodeName}]` : this.services.nodeName;
    const insecure = upgradeEndpoint(ops.port, (socket, request) => this.#accept(socket, request, this.#insecure));
    const secureTransport = this.#secure;
    const secure = secureTransport && ops.securePort !== null ? upgradeEndpoint(ops.securePort, (socket, request) => this.#accept(socket, request, secureTransport)) : null;
    ops.attach((request, socket, head, overTls) => {
      const endpoint = overTls ? secure : insecure;
      if (endpoint && !this.#stopped) endpoint.handle(request, socket, head);
      else socket.destroy();
    });
    this.#listeners.push(insecure, ...(secure ? [secure] : []));
    this.#opsTlsRefresh = () => ops.refreshTls();
    this.url = secure ? `wss://${host}:${secure.port}` : `ws://${host}:${insecure.port}`;
  }

  /** Listeners of replication's own on replication.port / replication.securePort. */
  async #listen(): Promise<void> {
    const { port, securePort } = this.services.config.replication;
    const host = this.services.nodeName.includes(':') ? `[${this.services.nodeName}]` : this.services.nodeName;
    const bind = bindHost(this.services.config);
    // Port 0 means any free port: advertise the one actually bound. TLS is preferred when both listen.
    if (port !== null) {
      const listener = await this.#insecure.listen(bind, port, (socket, request) => this.#accept(socket, request, this.#insecure));
      this.#listeners.push(listener);
      this.url = `ws://${host}:${listener.port}`;
    }
    if (securePort !== null && this.#secure) {
      const secure = this.#secure;
      const listener = await secure.listen(bind, securePort, (socket, request) => this.#accept(socket, request, secure));
      this.#listeners.push(listener);
      this.url = `wss://${host}:${listener.port}`;
    }
  }

  #transportFor(url: string): ReplicationTransport & { dial: SecureTransport['dial'] } {
    if (url.startsWith('wss:')) {
      if (!this.#secure) throw new OpError(400, `Cannot dial ${url}: this node has no certificates for TLS`);
      return this.#secure;
    }
    return this.#insecure;
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
    for (const peer of peers.values()) for (const db of databases) if (linksWith(this.memberSource, peer.name, db.name)) wanted.add(linkKey(peer.name, db.name));
    for (const link of this.#links.values()) {
      if (wanted.has(link.key)) this.#joining.delete(link);
      else if (!this.#joining.has(link)) link.close(CloseCode.removed, `node '${this.services.nodeName}' no longer replicates ${link.database.name} with '${link.peer}'`);
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
        if (this.#links.has(key) || !wanted.has(key)) continue;
        const dial = this.#dialStateFor(key);
        if (!dial.timer) this.#scheduleDial(peer, db, dial);
      }
    }
  }

  /**
   * add_node with credentials: dial the target's system link presenting them once, so the
   * target records this node; resolves when the link is open, rejects with the target's reason.
   */
  async join(name: string, url: string, authorization: string, verifyTls = true): Promise<void> {
    const system = this.services.storage.requireDatabase(SYSTEM_DATABASE);
    const existing = this.#links.get(linkKey(name, SYSTEM_DATABASE));
    existing?.close(CloseCode.normal, 'replaced by add_node');
    const transport = this.#transportFor(url);
    let socket: WebSocket;
    try {
      socket = transport.dial(url, { Authorization: authorization }, { verifyTls, peer: name });
    } catch (error) {
      throw new OpError(400, `Cannot connect to '${url}': ${(error as Error).message}`);
    }
    // Over TLS, ask the target's CA to sign this node's key (cross-signing, SPEC 3).
    let certified: Promise<void> = Promise.resolve();
    let signing: ConstructorParameters<typeof Link>[6];
    const own = url.startsWith('wss:') ? this.certificates?.bestCertificate() : undefined;
    if (own && this.certificates) {
      const certificates = this.certificates;
      const publicKeyPem = crypto.createPublicKey(own.key).export({ type: 'spki', format: 'pem' }).toString();
      certified = new Promise<void>((resolve, reject) => {
        signing = {
          csr: createSigningRequest({ privateKeyPem: own.key, publicKeyPem }, this.services.nodeName),
          onCertificate: async (certificate, ca) => {
            try {
              await this.#storeCrossSigned(certificates, name, url, certificate, ca, own.key);
              resolve();
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          },
        };
      });
      certified.catch(() => undefined);
    }
    const link = new Link(socket, system, 'outbound', this.#environment, name, undefined, signing);
    recordServerSerial(socket, link);
    this.#register(link);
    // Until the peer has a row here (written when the join completes), reconcile must not
    // close this link as unwanted: a new database or node row during the join would.
    this.#joining.add(link);
    link.onClosed(() => this.#joining.delete(link));
    try {
      await this.#joined(link, name, url, certified);
    } catch (error) {
      this.#joining.delete(link);
      throw error;
    }
  }

  /** Wait for a join's link to open and (over wss) for the signed certificate to be stored. */
  async #joined(link: Link, name: string, url: string, certified: Promise<void>): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        link.close(CloseCode.normal, 'add_node timed out');
        reject(new OpError(504, `Node '${name}' at ${url} did not complete the handshake within ${JOIN_TIMEOUT_MS} ms`));
      }, JOIN_TIMEOUT_MS);
      link.onOpen(() => {
        clearTimeout(timer);
        resolve();
      });
      link.onClosed(() => {
        clearTimeout(timer);
        const why = isCertificateError(link.errorCode)
          ? `did not present a certificate this node trusts: ${link.closeReason} (${link.errorCode}); for a first contact give 'authorization' with verify_tls: false, or add its CA with add_certificate`
          : `refused the connection: ${link.closeReason || 'closed'}`;
        reject(new OpError(502, `Node '${name}' at ${url} ${why}`));
      });
    });
    await Promise.race([
      certified,
      new Promise<void>((_, reject) =>
        setTimeout(() => reject(new OpError(504, `Node '${name}' did not send back a signed certificate within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS).unref(),
      ),
    ]);
  }

  /** Keep the certificate a peer's CA signed for this node, and trust that CA. */
  async #storeCrossSigned(certificates: CertificateStore, peer: string, url: string, certificate: string, ca: string, key: string): Promise<void> {
    const caDetails = certificateDetails(ca);
    if (!caDetails.is_authority) throw new ProtocolError(`'${peer}' sent a CA certificate that is not a CA`);
    await certificates.add({ name: caDetails.common_name ?? caName(peer), certificate: ca, is_authority: true, uses: ['ca'] }, null);
    await certificates.add({ name: `${this.services.nodeName}-issued-by-${peer}`, certificate, private_key: key, is_authority: false }, null);
    await this.membership.upsertNode({ name: peer, url, ca }, null);
    this.services.logger.info('Stored certificate signed by peer CA', { peer, issuer: caDetails.subject });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.rehomer.stop();
    for (const unsubscribe of this.#unsubscribers) unsubscribe();
    for (const dial of this.#dials.values()) if (dial.timer) clearTimeout(dial.timer);
    for (const link of this.#links.values()) link.close(CloseCode.goingAway, 'node shutting down');
    await Promise.all(this.#listeners.map((listener) => listener.close()));
  }

  // ---- dialing ----

  #dialStateFor(key: string): DialState {
    let dial = this.#dials.get(key);
    if (!dial) {
      dial = { attempts: 0, timer: null, lastError: null, lastRefused: false, lastLinkError: null };
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
      socket = this.#transportFor(peer.url!).dial(peer.url!, {}, { peer: peer.name });
    } catch (error) {
      const dial = this.#dialStateFor(linkKey(peer.name, db.name));
      dial.lastError = (error as Error).message;
      this.reconcileSoon();
      return;
    }
    const link = new Link(socket, db, 'outbound', this.#environment, peer.name);
    recordServerSerial(socket, link);
    this.#register(link);
  }

  /** hdb_nodes changed: links whose peer presented a certificate revoked since are closed. */
  #closeRevoked(): void {
    for (const link of this.#links.values()) {
      const serial = link.peerCertificateSerial;
      if (!serial || link.state === 'closed') continue;
      if (!revokedSerials(this.membership.nodes()).includes(serial)) continue;
      const reason = `certificate serial ${serial} of node '${link.peer}' is revoked`;
      this.services.logger.warn('Closed replication link: peer certificate revoked', { peer: link.peer, database: link.database.name, serial });
      link.close(CloseCode.refused, reason);
    }
  }

  #register(link: Link): void {
    this.#links.set(link.key, link);
    link.onClosed(() => {
      if (this.#links.get(link.key) === link) this.#links.delete(link.key);
      const dial = this.#dialStateFor(link.key);
      const certificateError = isCertificateError(link.errorCode);
      const reason = certificateError
        ? `TLS: the certificate of '${link.peer}' was not accepted: ${link.closeReason} (${link.errorCode})`
        : link.closeReason || null;
      // A socket-level error (ECONNREFUSED, ETIMEDOUT...) means this dial never reached the peer.
      const unreachable = link.errorCode !== null && !certificateError;
      dial.lastError = unreachable && dial.lastLinkError ? `${reason}; the last link closed: ${dial.lastLinkError}` : reason;
      if (!unreachable && reason) dial.lastLinkError = reason;
      // Refusals (by the peer or of its certificate) do not fix themselves quickly: no faster
      // than REFUSED_MIN_BACKOFF_MS. A duplicate-link refusal just means the other link won.
      dial.lastRefused =
        certificateError ||
        (link.closeCode === CloseCode.refused && !link.closeReason.startsWith('duplicate link')) ||
        /refused|Login failed|not a known/.test(link.closeReason);
      if (link.state === 'closed' && Date.now() - link.openedAt > STABLE_LINK_MS && !dial.lastRefused) dial.attempts = 0;
      this.reconcileSoon();
    });
  }

  // ---- accepting ----

  /**
   * An inbound socket: its first frame must be a hello, which names the database (and so the
   * link). Frames are collected from the first event on, synchronously, and handed to the link
   * in order once it exists: a frame that arrived in the same read as the hello is checked like
   * any other. Nothing here can throw out of the socket's events (acceptance.ts closes with a
   * byte-safe reason).
   */
  #accept(socket: WebSocket, request: http.IncomingMessage, transport: ReplicationTransport): void {
    acceptInbound(socket, this.services.logger, (hello, frames) => this.#acceptHello(socket, request, hello, frames, transport));
  }

  /** Resolves with the link for the hello's database, or throws why the peer is refused. */
  async #acceptHello(socket: WebSocket, request: http.IncomingMessage, hello: Hello, frames: PendingFrames, transport: ReplicationTransport): Promise<void> {
    if (this.#stopped) throw new RefusalError('node is shutting down');
    const credentialed = await this.#checkCredentials(request);
    let db = this.services.storage.database(hello.database);
    if (hello.database !== SYSTEM_DATABASE && !this.membership.replicates(hello.database)) {
      throw new RefusalError(`database '${hello.database}' is not replicated by node '${this.services.nodeName}'`);
    }
    if (!linksWith(this.memberSource, hello.node, hello.database)) {
      throw new RefusalError(`database '${hello.database}' is sharded: node '${this.services.nodeName}' replicates it only within shard ${shardOfNode(this.memberSource, this.services.nodeName)}`);
    }
    if (!db) {
      // A peer that will be refused must leave nothing behind: authenticate it before creating
      // the database it asks for (#admit checks again, with the link in hand).
      const refusal = credentialed ? null : await this.#refusal(hello, request, transport);
      if (refusal) throw new RefusalError(refusal);
      if (!frames.open()) return;
      db = this.services.storage.createDatabase(hello.database);
    }
    if (!frames.open()) return;
    const link = new Link(socket, db, 'inbound', this.#environment, hello.node, (l, h) => this.#admit(l, h, request, credentialed, transport));
    link.peerCertificateSerial = transport.scheme === 'wss' ? peerCertificateSerial(request.socket) : null;
    frames.handTo((data) => link.deliver(data));
  }

  /** undefined: no credentials presented; otherwise they were valid for a super_user. */
  async #checkCredentials(request: http.IncomingMessage): Promise<true | undefined> {
    const header = request.headers.authorization;
    if (!header) return undefined;
    const user = await this.services.auth.authenticate(header, request.socket.remoteAddress ?? 'unknown').catch(() => undefined);
    if (!user) throw new RefusalError('Login failed: the credentials given to add_node were not accepted');
    if (user.role !== 'super_user') throw new RefusalError(`user '${user.username}' may not add nodes (needs super_user)`);
    return true;
  }

  async #admit(link: Link, hello: Hello, request: http.IncomingMessage, credentialed: true | undefined, transport: ReplicationTransport): Promise<Admission> {
    if (hello.node === this.services.nodeName) return { refused: 'a node cannot link to itself' };
    let certificate: { certificate: string; ca: string } | undefined;
    if (credentialed) {
      // One-time credentials (add_node on the peer): record the node, sign its request if any.
      // Sign first: a request that cannot be signed (or a name that is no host) leaves no hdb_nodes row.
      const badName = joinerNameProblem(hello.node);
      if (badName) return { refused: badName };
      if (hello.csr) certificate = this.#signFor(hello.node, hello.csr);
      const known = this.membership.node(hello.node);
      if (hello.url && (!known || known.url !== hello.url || (hello.ca && known.ca !== hello.ca))) {
        await this.membership.upsertNode({ name: hello.node, url: hello.url, ...(hello.ca ? { ca: hello.ca } : {}) }, null);
      }
    } else {
      const refusal = await this.#refusal(hello, request, transport);
      if (refusal) return { refused: refusal };
    }
    const existing = this.#links.get(link.key);
    if (existing && existing !== link && existing.state !== 'closed') {
      if (existing.direction === 'outbound' && this.services.nodeName < hello.node) {
        return { refused: `duplicate link: '${this.services.nodeName}' keeps the link it dialed` };
      }
      existing.close(CloseCode.duplicate, `duplicate link: replaced by the one '${hello.node}' dialed`);
    }
    markAdmitted(link.socket);
    this.#register(link);
    return certificate ? { certificate } : {};
  }

  /** Why the transport's identity check refuses the peer (logged), or null when it passes. */
  async #refusal(hello: Hello, request: http.IncomingMessage, transport: ReplicationTransport): Promise<string | null> {
    const refusal = await transport.verifyPeer(request, hello.node, (name) => this.membership.isKnown(name));
    if (refusal) this.services.logger.warn('Refused replication peer', { peer: hello.node, database: hello.database, reason: refusal });
    return refusal;
  }

  /** Sign a joining peer's request with this node's CA: for exactly the admitted name (security/admission.ts). */
  #signFor(peer: string, csr: string): { certificate: string; ca: string } {
    try {
      const signed = signJoiner(this.certificates, peer, csr);
      this.services.logger.info('Signed a certificate for a joining node', { peer });
      return signed;
    } catch (error) {
      throw new ProtocolError((error as Error).message);
    }
  }

  async #ensureSelfRecord(): Promise<void> {
    const self = this.membership.node(this.services.nodeName);
    const ca = this.certificates?.ownAuthority()?.certificate ?? null;
    // A configured shard is published (and put back if a peer's write dropped it); without one,
    // the shard add_node/update_node set on this node's row stands.
    const shard = this.services.config.replication.shard;
    const shardOk = shard === null || self?.shard === shard;
    if (self?.url === this.url && (self?.ca ?? null) === ca && self?.ca_info !== undefined && self?.replicates !== undefined && shardOk) return;
    await this.membership.upsertNode({ name: this.services.nodeName, url: this.url, ca, ...(shard !== null ? { shard } : {}) }, null);
  }
}

/** TLS verification failures of a dialed peer's certificate (Node's and OpenSSL's codes, and ours). */
function isCertificateError(code: string | null): boolean {
  return code !== null && /CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code);
}

/** Over TLS, remember the serial of the certificate the dialed peer presented (revocation closes the link). */
function recordServerSerial(socket: WebSocket, link: Link): void {
  socket.once('upgrade', (response: http.IncomingMessage) => {
    link.peerCertificateSerial = peerCertificateSerial(response.socket);
  });
}

/** Meta key of a database: stream from this time on links without a position (add_node start_time). */
export const START_TIME_KEY = ['startTime'];
/** Meta key of the system database: the add_node start_time for databases that did not exist yet. */
export const JOIN_START_TIME_KEY = ['joinStartTime'];
