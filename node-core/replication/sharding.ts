/**
 * Sharding rules (SPEC 4.10): which databases are sharded or have a replica count, who the
 * members of a database are, and which members hold each record.
 *
 * The holder rule, the same on every node: a record written at node O is held by O and by the
 * first N members (other than O) in the record's rendezvous order, where a member's score is
 * the first 48 bits of sha256(JSON(primary key) + "\0" + member name) and the order is by score,
 * highest first (ties: name). The holder set travels with the write (`h`), so a node need not
 * agree with the writer's view of the members. When members change, a record keeps the holders
 * still members and tops up from its rendezvous order (rehomedHolders): records whose holders
 * all stay do not move, and a new member takes records only as replacements.
 */
import crypto from 'node:crypto';
import type { Config } from '../config/index.ts';
import type { PrimaryKey } from '../storage/types.ts';
import { SYSTEM_DATABASE } from '../system/tables.ts';

export interface ShardingSettings {
  database: string;
  /** replicates only among nodes of this node's shard */
  sharded: boolean;
  /** each record on its origin plus this many others; null: on every member */
  replicateTo: number | null;
  /** replicateTo given as node names: records go to those nodes (besides the origin) */
  replicateToNames: string[] | null;
}

/** The database's sharding settings from `replication.databases`, or null when it has none. */
export function shardingOf(config: Config, database: string): ShardingSettings | null {
  if (database === SYSTEM_DATABASE) return null;
  const configured = config.replication.databases;
  if (configured === '*') return null;
  for (const entry of configured) {
    if (typeof entry === 'string' || entry.name !== database) continue;
    const sharded = entry.sharded === true;
    const replicateTo = entry.replicateTo;
    if (!sharded && replicateTo === undefined) return null;
    return {
      database,
      sharded,
      replicateTo: typeof replicateTo === 'number' ? replicateTo : Array.isArray(replicateTo) ? replicateTo.length : null,
      replicateToNames: Array.isArray(replicateTo) ? [...replicateTo] : null,
    };
  }
  return null;
}

/** Every database with sharding settings in this node's configuration. */
export function shardedDatabases(config: Config): ShardingSettings[] {
  const configured = config.replication.databases;
  if (configured === '*') return [];
  return configured.flatMap((entry) => {
    const settings = typeof entry === 'string' ? null : shardingOf(config, entry.name);
    return settings ? [settings] : [];
  });
}

function score(key: PrimaryKey, member: string): number {
  const digest = crypto.createHash('sha256').update(`${JSON.stringify(key)}\u0000${member}`).digest();
  return digest.readUIntBE(0, 6);
}

/** `members` in the rendezvous order of `key`: highest score first, ties by name. */
export function rendezvousOrder(key: PrimaryKey, members: Iterable<string>): string[] {
  return [...new Set(members)]
    .map((member) => ({ member, score: score(key, member) }))
    .sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
    .map(({ member }) => member);
}

/** Holders of a record written at `origin`: the origin and the first `count` other members in rendezvous order. */
export function chooseHolders(key: PrimaryKey, origin: string, members: Iterable<string>, count: number): string[] {
  const others = rendezvousOrder(key, [...members].filter((m) => m !== origin));
  return [origin, ...others.slice(0, count)];
}

/**
 * Holders after the members changed: those of `previous` still members, topped up to
 * `count + 1` from the rendezvous order (fewer when there are not that many members).
 */
export function rehomedHolders(key: PrimaryKey, previous: readonly string[], members: Iterable<string>, count: number): string[] {
  const memberSet = new Set(members);
  const kept = previous.filter((holder) => memberSet.has(holder));
  const wanted = count + 1;
  if (kept.length >= wanted) return kept;
  const extra = rendezvousOrder(key, [...memberSet].filter((m) => !kept.includes(m)));
  return [...kept, ...extra.slice(0, wanted - kept.length)];
}

/** Whether two holder lists name the same nodes. */
export function sameHolders(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}

/** What the member rules read of the cluster: this node, its shard, and the hdb_nodes rows. */
export interface MemberSource {
  readonly nodeName: string;
  readonly config: Config;
  nodes(): ReadonlyArray<{ name: string; shard?: number | null }>;
}

/** A node's shard: from its hdb_nodes row, or for this node its configuration first (null: none known). */
export function shardOfNode(source: MemberSource, name: string): number | null {
  const row = source.nodes().find((n) => n.name === name)?.shard ?? null;
  // This node's configured shard wins over its row (which add_node/update_node may set).
  return name === source.nodeName ? (source.config.replication.shard ?? row) : row;
}

/**
 * Whether this node links with `peer` for `database`: always, unless the database is sharded,
 * then only when both are in the same (known) shard.
 */
export function linksWith(source: MemberSource, peer: string, database: string): boolean {
  if (!shardingOf(source.config, database)?.sharded) return true;
  const own = shardOfNode(source, source.nodeName);
  return own !== null && shardOfNode(source, peer) === own;
}

/** The members of `database`: this node and every known node it links with for it, sorted. */
export function membersOf(source: MemberSource, database: string): string[] {
  const names = new Set([source.nodeName]);
  for (const node of source.nodes()) if (linksWith(source, node.name, database)) names.add(node.name);
  return [...names].sort();
}
