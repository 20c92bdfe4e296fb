/** system_information: the node's host, process, CPU, memory, disk and database figures. */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export type SystemInformationAttribute =
  | 'system' | 'time' | 'cpu' | 'memory' | 'disk' | 'network' | 'database_metrics' | 'harperdb_processes' | 'replication';

export interface SystemInformationRequest {
  attributes?: SystemInformationAttribute[];
}

/** Peerdesk's shape; HarperDB's differs in places, so every field is optional. */
export interface SystemInformationResponse {
  system?: { platform?: string; distro?: string; release?: string; hostname?: string; arch?: string; node_version?: string; peerdesk_version?: string; hdb_version?: string; node_name?: string };
  time?: { current?: number; uptime?: number; node_uptime_ms?: number; started?: string; timezone?: string };
  cpu?: { manufacturer?: string; brand?: string; cores?: number; load_average?: number[] };
  memory?: { total?: number; free?: number; rss?: number; heap_used?: number; heap_total?: number };
  disk?: { size?: Array<{ mount?: string; size?: number; used?: number; available?: number; use?: number }> };
  database_metrics?: Record<string, { size_bytes?: number; log_entries?: number; tables?: Record<string, { record_count?: number }> }>;
  [field: string]: unknown;
}

export function systemInformation(client: OpsClient, request: SystemInformationRequest = {}, signal?: AbortSignal): Promise<SystemInformationResponse> {
  return client.call<SystemInformationResponse>('system_information', request, { signal });
}

export function systemInformationQuery(client: OpsClient, request: SystemInformationRequest = {}) {
  return queryOptions({
    queryKey: opsKey(client, 'system_information', request.attributes ?? 'all'),
    queryFn: ({ signal }) => systemInformation(client, request, signal),
  });
}
