/**
 * cluster_network (Peerdesk; after HarperDB 3's operation of that name): the connected node
 * answers for its whole cluster, each member's own cluster_status and a system summary gathered
 * over the authenticated replication links, with per-member errors and the age of each answer.
 * One login sees the cluster. HarperDB 4 does not know it and answers 400.
 */
import { isOpsError } from '../errors.ts';
import type { OpsClient } from '../ops-client.ts';
import type { ClusterStatusResponse } from './cluster-status.ts';

export type MemberAnswer = 'ok' | 'unreachable' | 'timeout' | 'error';

export interface MemberSystemSummary {
  node_name?: string;
  version?: string;
  hostname?: string;
  platform?: string;
  uptime_s?: number;
  cpu_load_percent?: number;
  memory_rss_bytes?: number;
}

export interface ClusterNetworkMember {
  node_name: string;
  url: string | null;
  status: MemberAnswer;
  error?: string;
  /** the member that relayed the answer, when not the connected node itself */
  via?: string;
  /** how old the answer is (ms), null when there is none */
  age_ms: number | null;
  /** when the member answered (an HTTP date from Peerdesk), null when it never did */
  answered_at: number | string | null;
  cluster_status?: ClusterStatusResponse;
  system?: MemberSystemSummary;
}

export interface ClusterNetworkResponse {
  type: 'cluster-network';
  node_name: string;
  members: ClusterNetworkMember[];
}

/** How long the node may spend gathering its members' answers. */
export const CLUSTER_NETWORK_TIMEOUT_MS = 4_000;

function isMember(value: unknown): value is ClusterNetworkMember {
  if (!value || typeof value !== 'object') return false;
  const m = value as Record<string, unknown>;
  return typeof m.node_name === 'string' && typeof m.status === 'string';
}

/**
 * The node's answer, or null when it does not offer the operation (a 400 or 404 that is not a
 * refused login, i.e. HarperDB: "unknown operation"); other failures are thrown.
 */
export async function clusterNetwork(client: OpsClient, options: { signal?: AbortSignal | undefined; timeoutMs?: number } = {}): Promise<ClusterNetworkResponse | null> {
  let answer: unknown;
  try {
    answer = await client.call<unknown>('cluster_network', { timeout: CLUSTER_NETWORK_TIMEOUT_MS }, { signal: options.signal, timeoutMs: options.timeoutMs ?? CLUSTER_NETWORK_TIMEOUT_MS + 4_000 });
  } catch (error) {
    if (isOpsError(error) && (error.status === 400 || error.status === 404)) return null;
    throw error;
  }
  if (!answer || typeof answer !== 'object') return null;
  const a = answer as Record<string, unknown>;
  if (typeof a.node_name !== 'string' || !Array.isArray(a.members)) return null;
  return { type: 'cluster-network', node_name: a.node_name, members: a.members.filter(isMember) };
}
