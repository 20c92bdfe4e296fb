/**
 * cluster_horizon and cluster_horizon_resolve (ours, SPEC 4.6): the databases whose replication
 * halted on the node at a peer's tombstone horizon, with the rows only that node holds, and the
 * user's decision on them — keep (written again so they replicate) or drop (deleted there).
 */
import { mutationOptions, queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export interface LocalOnlyRow {
  key: string | number;
  version: number;
  origin: string;
  record: Record<string, unknown>;
}

export interface HaltedTable {
  table: string;
  /** every row only this node holds (rows lists the first of them) */
  total: number;
  rows: LocalOnlyRow[];
}

export interface HaltedDatabase {
  database: string;
  halted: true;
  /** ISO 8601 */
  since: string;
  reason: string;
  halted_by: string[];
  compared_with: string[];
  /** null when no peer was linked to compare with (then `error` says so) */
  tables: HaltedTable[] | null;
  error?: string;
}

export interface ClusterHorizonResponse {
  halted: HaltedDatabase[];
  databases: Array<{ database: string; tombstone_horizon: number }>;
}

export type HorizonAction = 'keep' | 'drop';

export interface ResolveHorizonRequest {
  database: string;
  action: HorizonAction;
}

export interface ResolveHorizonResponse {
  message: string;
  database: string;
  action: HorizonAction;
  rows: number;
}

export function clusterHorizon(client: OpsClient, signal?: AbortSignal): Promise<ClusterHorizonResponse> {
  return client.call<ClusterHorizonResponse>('cluster_horizon', {}, { signal });
}

/** Checked every `intervalMs` so a halt shows up without a reload. */
export function clusterHorizonQuery(client: OpsClient, intervalMs = 10_000) {
  return queryOptions({
    queryKey: opsKey(client, 'cluster_horizon'),
    queryFn: ({ signal }) => clusterHorizon(client, signal),
    refetchInterval: intervalMs,
    retry: false,
  });
}

export function resolveHorizon(client: OpsClient, request: ResolveHorizonRequest): Promise<ResolveHorizonResponse> {
  return client.call<ResolveHorizonResponse>('cluster_horizon_resolve', request);
}

export function resolveHorizonMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'cluster_horizon_resolve'),
    mutationFn: (request: ResolveHorizonRequest) => resolveHorizon(client, request),
  });
}
