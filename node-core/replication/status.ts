/**
 * cluster_status (SPEC 5): HarperDB's shape, one connection per peer with a socket per
 * replicated database, plus our lag, pending and copy progress figures. Never credentials.
 */
import { localClockMs } from '../clock/hlc.ts';
import { caInfo } from './ca-info.ts';
import { copyProgressStatus } from './copy-rate.ts';
import { horizonStatus } from './horizon.ts';
import { linkKey, type Link } from './link.ts';
import type { ReplicationManager } from './manager.ts';
import { subscriptionsBySetter, type NodeRecord, type Subscription } from './membership.ts';
import { linksWith, membersOf, shardedDatabases, shardOfNode } from './sharding.ts';

/** A link that received nothing for this long reports "Waiting" instead of "Receiving". */
const RECEIVING_WINDOW_MS = 5_000;

const utc = (ms: number): string | null => (ms > 0 ? new Date(ms).toUTCString() : null);

/** Distinct CA certificates whose parsed facts are kept (one per member; far above any cluster). */
const CA_INFO_CACHE_ENTRIES = 1_024;
const caInfoCache = new Map<string, ReturnType<typeof caInfo>>();

/**
 * caInfo of a PEM, parsed once: X509 parsing per peer per call was most of cluster_status's
 * time with ten peers. Keyed by the PEM itself, so a changed CA is parsed afresh.
 */
function cachedCaInfo(pem: string | null): ReturnType<typeof caInfo> {
  if (!pem) return null;
  let info = caInfoCache.get(pem);
  if (info === undefined) {
    if (caInfoCache.size >= CA_INFO_CACHE_ENTRIES) caInfoCache.clear();
    info = caInfo(pem);
    if (info) Object.freeze(info);
    caInfoCache.set(pem, info);
  }
  return info;
}

export function clusterStatus(manager: ReplicationManager, nodeName: string, url: string | null): Record<string, unknown> {
  const links = new Map(manager.links().map((link) => [link.key, link]));
  const databases = manager.replicatedDatabases().map((db) => db.name).sort();
  // hdb_nodes read once per call, not once or twice per peer (cost grows with the cluster).
  const rows = new Map(manager.membership.nodes().map((row) => [row.name, row]));
  const connections = [...manager.membership.peers().values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((peer) => {
      const record = rows.get(peer.name);
      return {
        name: peer.name,
        url: peer.url,
        replicates: true,
        replicateByDefault: true,
        from_route: peer.fromRoute,
        subscriptions: subscriptionsSeenFrom(rows, nodeName, peer.name),
        ...(record?.shard != null ? { shard: record.shard } : {}),
        ca_info: cachedCaInfo(typeof record?.ca === 'string' ? record.ca : null),
        database_sockets: databases.map((database) => {
          const link = links.get(linkKey(peer.name, database));
          const dial = manager.dialState(peer.name, database);
          if (!link && !linksWith(manager.memberSource, peer.name, database)) {
            const theirs = record?.shard ?? null;
            return { database, connected: false, nodes: [peer.name], lastError: `not replicated with this node: '${database}' is sharded and '${peer.name}' is in ${theirs === null ? 'no known shard' : `shard ${theirs}`}` };
          }
          return link && link.state === 'open' ? socketStatus(link, database) : {
            database,
            connected: false,
            nodes: [peer.name],
            lastError: dial?.lastError ?? (link ? 'handshaking' : peer.url ? 'not connected yet' : 'no URL for this node (it must connect to us)'),
            reconnectAttempts: dial?.attempts ?? 0,
          };
        }),
      };
    });
  const shard = shardOfNode(manager.memberSource, nodeName);
  return { type: 'cluster-status', node_name: nodeName, url, is_enabled: true, shard, connections, sharding: shardingStatus(manager) };
}

/** Databases with sharding settings: their settings and, per table, what is stored here and known of. */
function shardingStatus(manager: ReplicationManager): Array<Record<string, unknown>> {
  return shardedDatabases(manager.memberSource.config).map((settings) => {
    const database = manager.replicatedDatabases().find((db) => db.name === settings.database);
    return {
      database: settings.database,
      sharded: settings.sharded,
      replicateTo: settings.replicateTo,
      ...(settings.replicateToNames ? { replicateToNodes: settings.replicateToNames } : {}),
      members: membersOf(manager.memberSource, settings.database),
      tables: (database?.tables() ?? [])
        .filter((table) => table.definition.replicate)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((table) => {
          const rehoming = manager.rehomer.progress(settings.database, table.name);
          const stored = table.recordCount();
          return { table: table.name, record_count: stored, known_count: stored + table.stubCount(), ...(rehoming ? { rehoming } : {}) };
        }),
    };
  });
}

/**
 * Explicit subscriptions for the link with `peer`, as this node sees them: its own list, or the
 * peer's list mirrored (the peer's publish is this node's subscribe). Null: everything both ways.
 */
function subscriptionsSeenFrom(rows: ReadonlyMap<string, NodeRecord>, nodeName: string, peer: string): Subscription[] | null {
  const own = subscriptionsBySetter(rows.get(peer))[nodeName];
  if (own) return own;
  const theirs = subscriptionsBySetter(rows.get(nodeName))[peer];
  return theirs ? theirs.map((s) => ({ ...s, publish: s.subscribe, subscribe: s.publish })) : null;
}

function socketStatus(link: Link, database: string): Record<string, unknown> {
  const copy = link.copyProgress;
  const now = Date.now();
  const receivedStatus = copy && !copy.done ? 'Copying' : now - link.lastFrameAt < RECEIVING_WINDOW_MS ? 'Receiving' : 'Waiting';
  return {
    database,
    connected: true,
    direction: link.direction,
    latency: link.latencyMs,
    // HarperDB names the worker thread that holds the socket; a Peerdesk node has one.
    thread_id: 0,
    nodes: [link.peer],
    lastCommitConfirmed: utc(link.lastAckAt),
    lastReceivedRemoteTime: utc(Math.floor(link.lastReceivedVersion)),
    lastReceivedLocalTime: utc(link.lastReceivedLocalTime),
    lastReceivedVersion: link.lastReceivedVersion || null,
    // HarperDB's name; the time of the last transaction sent (sent as it commits on a live link).
    lastSendTime: utc(Math.floor(link.lastSentVersion)),
    sendingMessage: utc(Math.floor(link.lastSentVersion)),
    backPressurePercent: link.backPressurePercent,
    lastReceivedStatus: receivedStatus,
    // The delay of the last transaction applied; an idle link has caught up.
    lag_ms: receivedStatus === 'Waiting' ? 0 : link.lastAppliedLag,
    // Origin commit -> commit here over a recent window: lag-histogram.ts says what and how.
    ...link.lagSummary(localClockMs()),
    pending_transactions: link.pendingTransactions(),
    bytes_sent: link.bytesSent,
    bytes_received: link.bytesReceived,
    // Relay (relay.ts): entries received here in frames and catch-ups, and the origins the peer
    // gets directly (this node relays none of theirs to it).
    entries_received: link.relayCounters.entriesReceived,
    catchup_entries_received: link.relayCounters.catchupEntriesReceived,
    peer_direct_origins: link.relayCounters.peerDirect,
    ...(copy ? { copy_progress: copyProgressStatus(copy, now) } : {}),
    ...horizonStatus(link),
  };
}
