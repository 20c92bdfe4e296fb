/**
 * The cluster as the topology views draw it, merged from what every reachable node says:
 * members (cluster_status peers and hdb_nodes records of each node read, plus saved
 * connections brought into view) and links (one per pair, with both directions' sockets).
 * Pure functions over a Snapshot, so the rules are testable without a browser.
 */
import type { MemberSystemSummary } from '../../api/operations/cluster-network.ts';
import { socketLagMs, type ClusterConnection, type ClusterStatusResponse, type DatabaseSocket } from '../../api/operations/cluster-status.ts';

export { socketLagMs };
import type { OpsClient } from '../../api/ops-client.ts';
import type { Tone } from '../../components/StatusBadge.tsx';
import { flowOf, policyOn, SYSTEM_DATABASE } from '../subscriptions/model.ts';
import { rowsByName, type NodeRow } from './hdb-nodes.ts';
import { memberShard, replicatedSockets } from './shards.ts';

/**
 * How the app knows a node: this connection, a saved connection, the connected node's
 * cluster_network answer, a member URL the user confirmed (with its own login), or not at all
 * yet (a member whose URL is not confirmed: never asked).
 */
export type Access = 'current' | 'saved' | 'network' | 'member' | 'unconfirmed';

export interface NodeReading {
  /** the node name when known, else `conn:<profile id>` */
  id: string;
  name: string | null;
  access: Access;
  /** the saved connection used (or that would be used) */
  profileId: string | null;
  /** the operations API URL asked */
  opsUrl: string;
  client: OpsClient | null;
  status: ClusterStatusResponse | null;
  rows: NodeRow[] | null;
  /** why the node could not be read (an OpsError, usually) */
  error: unknown;
  /** a reason that is not an error of the node (e.g. not logged in) */
  note: string | null;
  /** how old the answer is (cluster_network), null when read directly or never answered */
  ageMs: number | null;
  /** the member's system summary (cluster_network) */
  system: MemberSystemSummary | null;
  /** an operations API URL to offer the user for confirmation (never asked before that) */
  suggestedUrl: string | null;
}

export interface Snapshot {
  currentId: string;
  readings: NodeReading[];
  /** when the crawl finished (ms) */
  at: number;
  /** how the members were read: the node's cluster_network, or member by member */
  source?: 'cluster_network' | 'members';
}

export interface Member {
  id: string;
  name: string | null;
  reading: NodeReading | null;
  reachable: boolean;
  isCurrent: boolean;
  /** the current node or known to it (its peers and hdb_nodes records) */
  inCluster: boolean;
  profileId: string | null;
  /** its hdb_nodes record, from the current node when it has one */
  row: NodeRow | null;
  /** its CA as a peer's cluster_status describes it (subject, issuer, validity) */
  caInfo: Record<string, unknown> | null;
  /** its replication URL */
  replicationUrl: string | null;
  /** its replication.shard, null when it has none (shards.ts) */
  shard: number | null;
}

export type HealthKind = 'connected' | 'partial' | 'down' | 'one-sided' | 'copying' | 'pending' | 'failed' | 'unconfirmed';

export interface Health {
  kind: HealthKind;
  /** the word shown beside the colour */
  word: string;
  tone: Tone;
  /** databases up / all (for partial) */
  up?: number;
  total?: number;
  /** copy progress 0-100 */
  percent?: number;
  /** one-sided: the only end that reports the link */
  reporter?: string;
}

/** One direction's view of a link: `from`'s cluster_status entry for `to`. */
export interface LinkView {
  from: string;
  to: string;
  connection: ClusterConnection;
  /** databases `from` lists but does not replicate with `to` by design (sharded, other shard) */
  notReplicated?: string[];
}

/** The view with only the sockets meant to carry data: what a link's health is judged on. */
function carriedOnly(view: LinkView): LinkView {
  if (!view.notReplicated) return view;
  const skip = new Set(view.notReplicated);
  return { ...view, connection: { ...view.connection, database_sockets: (view.connection.database_sockets ?? []).filter((s) => !skip.has(s.database)) } };
}

export interface Link {
  /** `a|b`, a < b */
  id: string;
  a: string;
  b: string;
  views: LinkView[];
  health: Health;
  latencyMs: number | null;
  lagMs: number | null;
  /** data flows a→b / b→a (outside the system database); explicit = subscriptions set */
  flow: { aToB: boolean; bToA: boolean; explicit: boolean };
  /** the side whose operations API runs add/update/remove_node for this link */
  caller: string;
}

export interface Topology {
  members: Member[];
  links: Link[];
  currentId: string;
}

export function linkId(x: string, y: string): string {
  return x.localeCompare(y) <= 0 ? `${x}|${y}` : `${y}|${x}`;
}

export function linkEnds(id: string): [string, string] {
  const at = id.indexOf('|');
  return [id.slice(0, at), id.slice(at + 1)];
}

export function otherEnd(link: Pick<Link, 'a' | 'b'>, end: string): string {
  return link.a === end ? link.b : link.a;
}

function socketCopying(s: DatabaseSocket): boolean {
  return s.connected && (s.lastReceivedStatus === 'Copying' || (s.copy_progress !== undefined && !s.copy_progress.done));
}

/** Health of a link from its views: colour and word, never colour alone. */
export function linkHealth(views: readonly LinkView[], otherSideRead: boolean): Health {
  const databases = new Set(views.flatMap((v) => (v.connection.database_sockets ?? []).map((s) => s.database)));
  const total = databases.size;
  let up = 0;
  for (const database of databases) {
    if (views.every((v) => v.connection.database_sockets?.some((s) => s.database === database && s.connected))) up += 1;
  }
  if (views.length === 1 && otherSideRead) {
    return { kind: 'one-sided', word: 'one-sided', tone: up > 0 ? 'warn' : 'bad', up, total, reporter: views[0]!.from };
  }
  if (total === 0 || up === 0) return { kind: 'down', word: 'down', tone: 'bad', up, total };
  const copying = views.flatMap((v) => v.connection.database_sockets ?? []).filter(socketCopying);
  if (copying.length > 0) {
    const copied = copying.reduce((sum, s) => sum + (s.copy_progress?.copied ?? 0), 0);
    const all = copying.reduce((sum, s) => sum + (s.copy_progress?.total ?? 0), 0);
    const percent = all > 0 ? Math.min(100, Math.floor((copied / all) * 100)) : 0;
    return { kind: 'copying', word: `copying ${percent}%`, tone: 'info', percent, up, total };
  }
  if (up < total) return { kind: 'partial', word: `partial (${up} of ${total} databases)`, tone: 'warn', up, total };
  return { kind: 'connected', word: 'connected', tone: 'ok', up, total };
}

/** A link counted in the summary: not a one-sided link that carries nothing (a dead leftover). */
export function isLiveLink(link: Pick<Link, 'health'>): boolean {
  return !(link.health.kind === 'one-sided' && (link.health.up ?? 0) === 0);
}

function maxOf(values: Array<number | null | undefined>): number | null {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return numbers.length ? Math.max(...numbers) : null;
}

/** Which node's operations API acts on a link: this connection's node, else one that reports the link, else any reachable end. */
export function chooseCaller(a: Member | undefined, b: Member | undefined, reporters: readonly string[]): string {
  const ends = [a, b].filter((m): m is Member => m !== undefined);
  const usable = ends.filter((m) => m.reachable && m.reading?.client);
  const pick =
    usable.find((m) => m.isCurrent && reporters.includes(m.id)) ??
    usable.find((m) => reporters.includes(m.id)) ??
    usable.find((m) => m.isCurrent) ??
    usable[0] ??
    ends[0];
  return pick?.id ?? '';
}

/** Merges every reading into members and links. */
export function buildTopology(snapshot: Snapshot): Topology {
  const readings = new Map(snapshot.readings.map((r) => [r.id, r]));
  const current = readings.get(snapshot.currentId);
  const currentRows = rowsByName(current?.rows ?? undefined);
  const known = new Set<string>([snapshot.currentId, ...currentRows.keys(), ...(current?.status?.connections ?? []).map((c) => c.name)]);

  // Every node anyone mentions, plus every reading.
  const ids = new Set<string>(snapshot.readings.map((r) => r.id));
  for (const r of snapshot.readings) {
    for (const c of r.status?.connections ?? []) ids.add(c.name);
    for (const row of r.rows ?? []) ids.add(row.name);
  }

  const members: Member[] = [...ids].map((id) => {
    const reading = readings.get(id) ?? null;
    const row = currentRows.get(id) ?? snapshot.readings.map((r) => rowsByName(r.rows ?? undefined).get(id)).find((x) => x) ?? null;
    let caInfo: Record<string, unknown> | null = null;
    let replicationUrl: string | null = reading?.status?.url ?? null;
    for (const r of snapshot.readings) {
      const c = r.status?.connections.find((x) => x.name === id) as (ClusterConnection & { ca_info?: unknown }) | undefined;
      if (c?.ca_info && typeof c.ca_info === 'object' && !caInfo) caInfo = c.ca_info as Record<string, unknown>;
      if (c?.url && !replicationUrl) replicationUrl = c.url;
    }
    replicationUrl ??= row?.url ?? null;
    return {
      id,
      name: reading?.name ?? (id.startsWith('conn:') ? null : id),
      reading,
      reachable: !!reading?.status,
      isCurrent: id === snapshot.currentId,
      inCluster: known.has(id),
      profileId: reading?.profileId ?? null,
      row,
      caInfo,
      replicationUrl,
      shard: memberShard(id, reading, row, snapshot.readings),
    };
  });
  members.sort((x, y) => Number(y.isCurrent) - Number(x.isCurrent) || x.id.localeCompare(y.id, undefined, { numeric: true }));
  const byId = new Map(members.map((m) => [m.id, m]));

  const views = new Map<string, LinkView[]>();
  for (const r of snapshot.readings) {
    if (!r.status || !r.name) continue;
    for (const connection of r.status.connections) {
      if (connection.name === r.name) continue;
      const id = linkId(r.name, connection.name);
      const list = views.get(id) ?? [];
      const carried = new Set(replicatedSockets(r.status, connection).map((s) => s.database));
      const notReplicated = (connection.database_sockets ?? []).map((s) => s.database).filter((d) => !carried.has(d));
      list.push({ from: r.name, to: connection.name, connection, ...(notReplicated.length > 0 ? { notReplicated } : {}) });
      views.set(id, list);
    }
  }

  const links: Link[] = [...views.entries()].map(([id, list]) => {
    const [a, b] = linkEnds(id);
    const reporters = list.map((v) => v.from);
    const silent = reporters.length === 1 ? otherEnd({ a, b }, reporters[0]!) : null;
    const health = linkHealth(list.map(carriedOnly), silent !== null && !!readings.get(silent)?.status);
    const sockets = list.flatMap((v) => v.connection.database_sockets ?? []).filter((s) => s.connected);
    const caller = chooseCaller(byId.get(a), byId.get(b), reporters);
    // Subscriptions as one end applies them (hdb_nodes replicates, so either end's records do).
    const self = readings.get(caller)?.rows ? caller : (reporters.find((r) => readings.get(r)?.rows) ?? caller);
    const policy = policyOn(rowsByName(readings.get(self)?.rows ?? undefined), self, otherEnd({ a, b }, self));
    const flow = flowOf(policy);
    return {
      id,
      a,
      b,
      views: list,
      health,
      latencyMs: maxOf(sockets.map((s) => s.latency)),
      lagMs: maxOf(sockets.map(socketLagMs)),
      flow: self === a ? { aToB: flow.out, bToA: flow.in, explicit: policy.source !== 'default' } : { aToB: flow.in, bToA: flow.out, explicit: policy.source !== 'default' },
      caller,
    };
  });
  links.sort((x, y) => x.id.localeCompare(y.id, undefined, { numeric: true }));
  return { members, links, currentId: snapshot.currentId };
}

/** A link is confirmed from `source`'s side when its cluster_status shows a connected socket to `target`. */
export function confirmedBy(snapshot: Snapshot, source: string, target: string): boolean {
  const reading = snapshot.readings.find((r) => r.id === source);
  return !!reading?.status?.connections.some((c) => c.name === target && c.database_sockets?.some((s) => s.connected));
}

/** Databases (outside system) a link carries, from its views. */
export function linkDatabases(link: Link): string[] {
  return [...new Set(link.views.flatMap((v) => (v.connection.database_sockets ?? []).map((s) => s.database)))].sort((x, y) =>
    x === SYSTEM_DATABASE ? 1 : y === SYSTEM_DATABASE ? -1 : x.localeCompare(y),
  );
}

/** The matrix view's cell for `from`'s view of `to`. */
export interface MatrixCell {
  kind: 'self' | 'none' | 'no-data' | 'down' | 'partial' | 'up';
  latencyMs: number | null;
  up: number;
  total: number;
  /** the reading is from an earlier refresh (the node is not answering now) */
  stale: boolean;
  staleSince?: number;
}

export function matrixCell(from: string, to: string, status: ClusterStatusResponse | null, stale: boolean): MatrixCell {
  if (from === to) return { kind: 'self', latencyMs: null, up: 0, total: 0, stale: false };
  if (!status) return { kind: 'no-data', latencyMs: null, up: 0, total: 0, stale };
  const connection = status.connections.find((c) => c.name === to);
  if (!connection) return { kind: 'none', latencyMs: null, up: 0, total: 0, stale };
  const sockets = replicatedSockets(status, connection);
  const up = sockets.filter((s) => s.connected).length;
  const latencyMs = maxOf(sockets.filter((s) => s.connected).map((s) => s.latency));
  const kind = up === 0 ? 'down' : up < sockets.length ? 'partial' : 'up';
  return { kind, latencyMs, up, total: sockets.length, stale };
}

/** Heat bucket 0 (fast) to 4 (slow) for a latency. */
export function heatBucket(latencyMs: number | null): number | null {
  if (latencyMs === null) return null;
  if (latencyMs < 5) return 0;
  if (latencyMs < 20) return 1;
  if (latencyMs < 50) return 2;
  if (latencyMs < 150) return 3;
  return 4;
}
