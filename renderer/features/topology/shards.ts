/**
 * Which shard each member is in, and the colour the topology gives it. A member's shard comes
 * from its own cluster_status (read directly or through cluster_network), else its hdb_nodes
 * record, else a peer's cluster_status entry for it; a member with none stays neutral. Colours
 * are the Okabe–Ito palette (told apart with the common colour-vision deficiencies), given out by
 * rank among the shards present so up to SHARD_PALETTE.length shards never share one; the shard
 * number is always written beside the colour, so colour is never the only cue.
 */
import type { ClusterConnection, ClusterStatusResponse, DatabaseSocket } from '../../api/operations/cluster-status.ts';
import { parseClusterSharding, shardNumber } from '../../api/operations/sharding.ts';
import type { NodeRow } from './hdb-nodes.ts';
import type { NodeReading } from './model.ts';

/** Okabe & Ito (2008), without black: distinct under protanopia, deuteranopia and tritanopia. */
export const SHARD_PALETTE = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7'] as const;

export interface ShardMark {
  shard: number;
  colour: string;
}

export interface ShardLegendEntry extends ShardMark {
  members: number;
}

/** The member's shard as the readings tell it, or null. */
export function memberShard(id: string, reading: NodeReading | null, row: NodeRow | null, readings: readonly NodeReading[]): number | null {
  const own = shardNumber(reading?.status?.shard);
  if (own !== null) return own;
  if (row && row.shard !== null) return shardNumber(row.shard);
  for (const r of readings) {
    const seen = shardNumber(r.status?.connections.find((c) => c.name === id)?.shard);
    if (seen !== null) return seen;
  }
  return null;
}

/** Colour of every shard present, by rank (lowest shard number first). */
export function shardColours(shards: Iterable<number | null>): Map<number, string> {
  const present = [...new Set([...shards].filter((s): s is number => s !== null))].sort((x, y) => x - y);
  return new Map(present.map((shard, rank) => [shard, SHARD_PALETTE[rank % SHARD_PALETTE.length]!]));
}

/** A member's mark (null: no shard, drawn neutral). */
export function shardMark(shard: number | null, colours: ReadonlyMap<number, string>): ShardMark | null {
  if (shard === null) return null;
  return { shard, colour: colours.get(shard) ?? SHARD_PALETTE[0] };
}

/** The legend: one entry per shard present with its member count, and how many have none. */
export function shardLegend(shards: ReadonlyArray<number | null>): { entries: ShardLegendEntry[]; unsharded: number } {
  const colours = shardColours(shards);
  const entries = [...colours.entries()].map(([shard, colour]) => ({ shard, colour, members: shards.filter((s) => s === shard).length }));
  return { entries, unsharded: shards.filter((s) => s === null).length };
}

/**
 * The sockets of `connection` (in `status`, the reporting node's cluster_status) that carry
 * data by design: a database the node shards is not replicated with a peer of another shard
 * (or when either shard is unknown), so its socket is left out of the link's health instead of
 * making the link look partial. The node still lists it, with why, for the link panel.
 */
export function replicatedSockets(status: ClusterStatusResponse | null, connection: ClusterConnection): DatabaseSocket[] {
  const sockets = connection.database_sockets ?? [];
  const sharded = new Set((parseClusterSharding(status) ?? []).filter((d) => d.sharded).map((d) => d.database));
  if (sharded.size === 0) return sockets;
  const own = shardNumber(status?.shard);
  const theirs = shardNumber(connection.shard);
  const sameShard = own !== null && theirs === own;
  return sockets.filter((s) => sameShard || !sharded.has(s.database));
}
