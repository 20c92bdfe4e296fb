/** cluster_status (SPEC 5): this node's peers and, per peer, one socket per replicated database. */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export type ReceivedStatus = 'Receiving' | 'Waiting' | 'Copying' | 'Halted';

export interface CopyProgress {
  copied: number;
  total: number;
  done: boolean;
  /** ours: the copy's rate since it (or its resumption) started, and seconds left at it */
  records_per_s?: number | null;
  eta_s?: number | null;
  /** ours: items a resumed copy already had (0: copied from the beginning) */
  resumed_from?: number;
}

export interface DatabaseSocket {
  database: string;
  connected: boolean;
  latency?: number | null;
  nodes?: string[];
  lastCommitConfirmed?: string | null;
  lastReceivedRemoteTime?: string | null;
  lastReceivedLocalTime?: string | null;
  lastReceivedVersion?: number | null;
  sendingMessage?: string | null;
  backPressurePercent?: number | null;
  lastReceivedStatus?: ReceivedStatus | string;
  lag_ms?: number | null;
  /** ours: replication lag (origin commit -> commit on this node) over lag_window_ms; null: no sample */
  lag_p50_ms?: number | null;
  lag_p99_ms?: number | null;
  lag_max_ms?: number | null;
  lag_samples?: number;
  lag_window_ms?: number;
  /** readings that came out negative (this node's clock behind the peer's), counted as 0 */
  lag_clamped?: number;
  pending_transactions?: number | null;
  copy_progress?: CopyProgress;
  /** ours: why a socket is not connected */
  lastError?: string;
  reconnectAttempts?: number;
  direction?: 'inbound' | 'outbound';
  /** ours: bytes this node has sent and received on the socket */
  bytes_sent?: number;
  bytes_received?: number;
  /** ours, with lastReceivedStatus "Halted": why replication of the database stopped, and since when */
  halt_reason?: string;
  halted_since?: string;
}

export interface ClusterConnection {
  name: string;
  url?: string | null;
  replicates?: boolean | unknown;
  subscriptions?: unknown;
  shard?: number | null;
  database_sockets: DatabaseSocket[];
}

export interface ClusterStatusResponse {
  type: 'cluster-status';
  node_name: string;
  url?: string | null;
  is_enabled: boolean;
  shard?: number | null;
  connections: ClusterConnection[];
  /** ours: each replicated database's sharding settings and counts (parse with parseClusterSharding) */
  sharding?: unknown;
}

/**
 * A socket's replication lag: lag_ms (Peerdesk), else how long before it was received the last
 * received transaction was written (HarperDB 4.7: lastReceivedLocalTime - lastReceivedRemoteTime).
 */
export function socketLagMs(s: Pick<DatabaseSocket, 'lag_ms' | 'lastReceivedRemoteTime' | 'lastReceivedLocalTime'>): number | null {
  if (typeof s.lag_ms === 'number' && Number.isFinite(s.lag_ms)) return s.lag_ms;
  const remote = timeOf(s.lastReceivedRemoteTime);
  const local = timeOf(s.lastReceivedLocalTime);
  if (remote === null || local === null) return null;
  return Math.max(0, local - remote);
}

function timeOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string' || !value) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

export function clusterStatus(client: OpsClient, signal?: AbortSignal): Promise<ClusterStatusResponse> {
  return client.call<ClusterStatusResponse>('cluster_status', {}, { signal });
}

export function clusterStatusQuery(client: OpsClient) {
  return queryOptions({
    queryKey: opsKey(client, 'cluster_status'),
    queryFn: ({ signal }) => clusterStatus(client, signal),
  });
}
