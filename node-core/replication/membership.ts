/**
 * Who this node replicates with and what: node records in `system.hdb_nodes` (replicated, so
 * joining one member teaches the whole cluster: gossip), routes from the configuration, which
 * databases replicate, and per-link publish/subscribe policy from explicit subscriptions.
 */
import { normalizeRoutes, type Config } from '../config/index.ts';
import type { Database } from '../storage/database.ts';
import type { DataRecord } from '../storage/types.ts';
import { writeRecords, deleteRecords } from '../storage/writes.ts';
import { SYSTEM_DATABASE } from '../system/tables.ts';
import { caInfo, type CaInfo } from './ca-info.ts';
import type { LinkPolicy } from './link.ts';

export const NODES_TABLE = 'hdb_nodes';

export interface Subscription {
  database: string;
  table: string;
  publish: boolean;
  subscribe: boolean;
}

/** Explicit subscriptions of a node row, keyed by the node that set them (its view of the row's node). */
export type SubscriptionsBySetter = Record<string, Subscription[]>;

/**
 * A row of hdb_nodes, with HarperDB's fields: `subscriptions` (an array, or null for
 * everything), `replicates`, `ca` and `ca_info`. Because hdb_nodes replicates here, more than
 * one node may set subscriptions for a row: `subscriptions_by_node` keeps each setter's list
 * (what the link policy reads) and `subscriptions` shows one of them, HarperDB's way.
 */
export interface NodeRecord {
  name: string;
  url: string | null;
  subscriptions?: Subscription[] | null;
  subscriptions_by_node?: SubscriptionsBySetter | null;
  replicates?: boolean;
  start_time?: number | null;
  revoked_certificates?: string[];
  shard?: number | null;
  ca?: string | null;
  ca_info?: CaInfo | { error: string } | null;
  [attribute: string]: unknown;
}

/**
 * Each setter's subscriptions of a row. Rows written before `subscriptions_by_node` existed
 * kept that map in `subscriptions` itself: read either.
 */
export function subscriptionsBySetter(record: NodeRecord | undefined): SubscriptionsBySetter {
  if (!record) return {};
  if (record.subscriptions_by_node) return record.subscriptions_by_node;
  const legacy: unknown = record.subscriptions;
  return legacy && typeof legacy === 'object' && !Array.isArray(legacy) ? (legacy as SubscriptionsBySetter) : {};
}

/** The row fields for a new set of per-setter subscriptions: the map, and HarperDB's array beside it. */
export function subscriptionFields(bySetter: SubscriptionsBySetter, setter: string): Pick<NodeRecord, 'subscriptions' | 'subscriptions_by_node'> {
  return { subscriptions_by_node: bySetter, subscriptions: bySetter[setter] ?? Object.values(bySetter)[0] ?? null };
}

export interface Peer {
  name: string;
  url: string | null;
  /** from replication.routes (kept even when hdb_nodes has no row) */
  fromRoute: boolean;
}

export class Membership {
  constructor(
    private readonly config: Config,
    private readonly nodeName: string,
    private readonly system: Database,
    /** the URL of a peer known only by host name (this transport's scheme, default port) */
    readonly defaultUrl: (hostname: string, port?: number) => string,
  ) {}

  nodes(): NodeRecord[] {
    return [...this.system.requireTable(NODES_TABLE).scan()].map(({ stored }) => stored.r as NodeRecord);
  }

  node(name: string): NodeRecord | undefined {
    return this.system.requireTable(NODES_TABLE).get(name) as NodeRecord | undefined;
  }

  /** Every node this one should link with: configured routes and hdb_nodes rows, not itself. */
  peers(): Map<string, Peer> {
    const peers = new Map<string, Peer>();
    for (const route of normalizeRoutes(this.config)) {
      if (route.hostname === this.nodeName) continue;
      peers.set(route.hostname, { name: route.hostname, url: route.url ?? this.defaultUrl(route.hostname, route.port), fromRoute: true });
    }
    for (const node of this.nodes()) {
      if (node.name === this.nodeName || peers.has(node.name)) continue;
      peers.set(node.name, { name: node.name, url: node.url ?? null, fromRoute: false });
    }
    return peers;
  }

  isKnown(name: string): boolean {
    return this.peers().has(name);
  }

  /** Databases this node replicates by configuration (`replication.databases`). */
  replicates(database: string): boolean {
    const configured = this.config.replication.databases;
    if (configured === '*') return true;
    return configured.some((entry) => (typeof entry === 'string' ? entry : entry.name) === database);
  }

  /**
   * Whether `system` (hdb_nodes: membership, gossip, shards) flows: with every database, when
   * listed, or when the list has sharding settings (SPEC 4.10: shards and members travel in
   * hdb_nodes). A plain list without it keeps system to itself (no gossip), as before.
   */
  replicatesSystem(): boolean {
    const configured = this.config.replication.databases;
    if (configured === '*') return true;
    return configured.some((entry) => (typeof entry === 'string' ? entry === SYSTEM_DATABASE : entry.name === SYSTEM_DATABASE || entry.sharded !== undefined || entry.replicateTo !== undefined));
  }

  /**
   * What flows on the link with `peer` for `database`: everything both ways by default;
   * explicit subscriptions (set by either side, mirrored on the other) replace that.
   */
  policy(peer: string, database: string): LinkPolicy {
    if (database === SYSTEM_DATABASE ? !this.replicatesSystem() : !this.replicates(database)) return { publishes: () => false, subscribes: () => false };
    const own = subscriptionsBySetter(this.node(peer))[this.nodeName];
    const mirrored = subscriptionsBySetter(this.node(this.nodeName))[peer];
    // Subscriptions that do not name the system database leave it flowing both ways: its
    // hdb_nodes rows carry the subscriptions to the peer (the mirror image) and membership.
    const explicit = (rows: Subscription[] | undefined) => rows && (database !== SYSTEM_DATABASE || rows.some((s) => s.database === database));
    if (explicit(own)) {
      const rows = own!.filter((s) => s.database === database);
      return {
        publishes: (table) => rows.some((s) => s.table === table && s.publish),
        subscribes: (table) => rows.some((s) => s.table === table && s.subscribe),
      };
    }
    if (explicit(mirrored)) {
      const rows = mirrored!.filter((s) => s.database === database);
      return {
        publishes: (table) => rows.some((s) => s.table === table && s.subscribe),
        subscribes: (table) => rows.some((s) => s.table === table && s.publish),
      };
    }
    return { publishes: () => true, subscribes: () => true };
  }

  /**
   * Insert or merge a node row (logged: it replicates). Every row says it `replicates` (what
   * flows is narrowed by subscriptions, not by this flag) and carries `ca_info` beside its `ca`.
   */
  async upsertNode(record: Partial<NodeRecord> & { name: string }, user: string | null): Promise<void> {
    const table = this.system.requireTable(NODES_TABLE);
    const row: Partial<NodeRecord> = { replicates: true, ...record };
    if ('ca' in record) row.ca_info = caInfo(record.ca);
    else if (this.node(record.name)?.ca_info === undefined) row.ca_info = caInfo(this.node(record.name)?.ca);
    await this.system.transact((tx) => writeRecords(tx, table, [row as DataRecord], [record.name], 'upsert'), { user });
  }

  /** Remove a node row; false when there was none. */
  async removeNode(name: string, user: string | null): Promise<boolean> {
    const table = this.system.requireTable(NODES_TABLE);
    const outcome = await this.system.transact((tx) => deleteRecords(tx, table, [name]), { user });
    return outcome.deleted.length > 0;
  }
}
