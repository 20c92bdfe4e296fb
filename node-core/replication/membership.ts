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
import type { LinkPolicy } from './link.ts';

export const NODES_TABLE = 'hdb_nodes';

export interface Subscription {
  database: string;
  table: string;
  publish: boolean;
  subscribe: boolean;
}

/** A row of hdb_nodes. `subscriptions` is keyed by the node that set them (its view of this node). */
export interface NodeRecord {
  name: string;
  url: string | null;
  subscriptions?: Record<string, Subscription[]> | null;
  start_time?: number | null;
  revoked_certificates?: string[];
  shard?: number | null;
  ca?: string | null;
  [attribute: string]: unknown;
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
   * What flows on the link with `peer` for `database`: everything both ways by default;
   * explicit subscriptions (set by either side, mirrored on the other) replace that.
   */
  policy(peer: string, database: string): LinkPolicy {
    if (!this.replicates(database)) return { publishes: () => false, subscribes: () => false };
    const own = this.node(peer)?.subscriptions?.[this.nodeName];
    const mirrored = this.node(this.nodeName)?.subscriptions?.[peer];
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

  /** Insert or merge a node row (logged: it replicates). */
  async upsertNode(record: Partial<NodeRecord> & { name: string }, user: string | null): Promise<void> {
    const table = this.system.requireTable(NODES_TABLE);
    await this.system.transact((tx) => writeRecords(tx, table, [record as DataRecord], [record.name], 'upsert'), { user });
  }

  /** Remove a node row; false when there was none. */
  async removeNode(name: string, user: string | null): Promise<boolean> {
    const table = this.system.requireTable(NODES_TABLE);
    const outcome = await this.system.transact((tx) => deleteRecords(tx, table, [name]), { user });
    return outcome.deleted.length > 0;
  }
}
