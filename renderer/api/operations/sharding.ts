/**
 * The sharding fields Peerdesk adds to cluster_status and describe_table (SPEC 4.10): a
 * database's settings (sharded within the node's shard, or a replica count), each table's
 * counts and re-homing progress, and a table's record count on every member. Read from unknown
 * JSON with checks, so a HarperDB node (which sends none of them) or a malformed field gives
 * "not reported" rather than a broken view.
 */

/** A database's sharding settings as the node applies them. */
export interface ShardingSettings {
  /** replicates only among nodes of the same `replication.shard` */
  sharded: boolean;
  /** each record lives on its origin plus this many other nodes; null: on every member */
  replicateTo: number | null;
}

export interface RehomingProgress {
  moved: number;
  total: number;
}

export interface TableShardCounts {
  table: string;
  /** records this node holds */
  record_count: number;
  /** records this node knows of (held here or located elsewhere) */
  known_count: number;
  rehoming?: RehomingProgress;
}

export interface DatabaseSharding extends ShardingSettings {
  database: string;
  tables: TableShardCounts[];
}

/** Where a table's records live: count per member, and why members did not answer. */
export interface RecordLocations {
  settings: ShardingSettings | null;
  counts: Array<{ node: string; count: number }>;
  errors: Array<{ node: string; reason: string }>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}

/** A node's shard number (a non-negative integer), else null. */
export function shardNumber(value: unknown): number | null {
  return count(value);
}

export function parseSettings(value: unknown): ShardingSettings | null {
  if (!isObject(value)) return null;
  return { sharded: value.sharded === true, replicateTo: count(value.replicateTo) };
}

function parseTable(value: unknown): TableShardCounts | null {
  if (!isObject(value) || typeof value.table !== 'string') return null;
  const recordCount = count(value.record_count) ?? 0;
  const parsed: TableShardCounts = { table: value.table, record_count: recordCount, known_count: count(value.known_count) ?? recordCount };
  if (isObject(value.rehoming)) {
    const moved = count(value.rehoming.moved);
    const total = count(value.rehoming.total);
    if (moved !== null && total !== null) parsed.rehoming = { moved, total };
  }
  return parsed;
}

/** cluster_status's `sharding`, or null when the node does not report it. */
export function parseClusterSharding(status: unknown): DatabaseSharding[] | null {
  if (!isObject(status) || !Array.isArray(status.sharding)) return null;
  return status.sharding.flatMap((entry): DatabaseSharding[] => {
    const settings = parseSettings(entry);
    if (!settings || !isObject(entry) || typeof entry.database !== 'string') return [];
    const tables = Array.isArray(entry.tables) ? entry.tables.flatMap((t) => parseTable(t) ?? []) : [];
    return [{ database: entry.database, ...settings, tables }];
  });
}

const byNode = (x: { node: string }, y: { node: string }) => x.node.localeCompare(y.node, undefined, { numeric: true });

/** describe_table's per-member counts, or null when the node does not report them. */
export function parseRecordLocations(description: unknown): RecordLocations | null {
  if (!isObject(description) || !isObject(description.record_count_by_node)) return null;
  const counts = Object.entries(description.record_count_by_node).flatMap(([node, value]) => {
    const n = count(value);
    return n === null ? [] : [{ node, count: n }];
  });
  const rawErrors = isObject(description.record_count_errors) ? description.record_count_errors : {};
  const errors = Object.entries(rawErrors).map(([node, reason]) => ({ node, reason: typeof reason === 'string' && reason ? reason : 'no reason given' }));
  return { settings: parseSettings(description.sharding), counts: counts.sort(byNode), errors: errors.sort(byNode) };
}

/** The settings in words, e.g. "each record on its origin and 2 other nodes". */
export function describeSettings(settings: ShardingSettings | null): string {
  if (!settings || (!settings.sharded && settings.replicateTo === null)) return 'not sharded: every member holds every record';
  const parts: string[] = [];
  if (settings.sharded) parts.push('sharded: replicates only among nodes of the same shard');
  if (settings.replicateTo !== null) {
    parts.push(
      settings.replicateTo === 0
        ? 'each record only on the node it was written on'
        : `each record on the node it was written on and ${settings.replicateTo} other node${settings.replicateTo === 1 ? '' : 's'}`,
    );
  }
  return parts.join('; ');
}
