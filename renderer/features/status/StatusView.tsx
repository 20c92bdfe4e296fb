/**
 * The status dashboard of the active connection: cluster_status as a table of peers and
 * database sockets, latency and lag charts over the last five minutes, and a
 * system_information summary, with an auto-refresh control that never overlaps fetches.
 */
import { useQuery } from '@tanstack/react-query';
import { useCallback } from 'react';
import { clusterStatusQuery } from '../../api/operations/cluster-status.ts';
import { systemInformationQuery } from '../../api/operations/system-information.ts';
import { registrationInfo, type RegistrationInfo } from '../../api/operations/system-summary.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import type { ConnectionProfile } from '../connections/model.ts';
import { useViewState } from '../connections/view-state.ts';
import { historyOf, recordSample } from './history.ts';
import { PeerCharts } from './PeerCharts.tsx';
import { PeerTable } from './PeerTable.tsx';
import { RefreshControl } from './RefreshControl.tsx';
import { SystemSummary } from './SystemSummary.tsx';
import { useAutoRefresh } from './use-auto-refresh.ts';

const SYSTEM_ATTRIBUTES = ['system', 'time', 'cpu', 'memory', 'disk', 'database_metrics'] as const;

/** What HarperDB answers elsewhere: its version (registration_info) and table_size. */
async function harperdbExtra(client: OpsClient, signal: AbortSignal): Promise<{ registration: RegistrationInfo | null; tables: { table_size?: unknown } }> {
  const registration = await registrationInfo(client, signal);
  const tables = await client.call<{ table_size?: unknown }>('system_information', { attributes: ['table_size'] }, { signal }).catch((): { table_size?: unknown } => ({}));
  return { registration, tables: { table_size: tables.table_size } };
}

export function StatusView({ client, profile }: { client: OpsClient; profile: ConnectionProfile }) {
  const [intervalMs, setIntervalMs] = useViewState(profile.id, 'status:interval', 5_000);
  const status = useQuery(clusterStatusQuery(client));
  const system = useQuery(systemInformationQuery(client, { attributes: [...SYSTEM_ATTRIBUTES] }));
  // HarperDB keeps its version in registration_info and its table figures under table_size.
  const harperdb = !!system.data && !system.data.system?.peerdesk_version;
  const harperExtra = useQuery({
    queryKey: [client.connectionId, 'harperdb-system-extra'],
    queryFn: ({ signal }) => harperdbExtra(client, signal),
    enabled: harperdb,
    staleTime: 60_000,
  });
  const isFetching = status.isFetching || system.isFetching;
  const updatedAt = Math.max(status.dataUpdatedAt, system.dataUpdatedAt);

  const { refetch: refetchStatus } = status;
  const { refetch: refetchSystem } = system;
  const refresh = useCallback(
    () => Promise.all([refetchStatus({ cancelRefetch: false }), refetchSystem({ cancelRefetch: false })]),
    [refetchStatus, refetchSystem],
  );
  useAutoRefresh({ intervalMs, refresh, isFetching, updatedAt });

  // One sample per answer; recording is idempotent for the same answer time.
  const samples = status.data ? recordSample(profile.id, status.dataUpdatedAt, status.data) : historyOf(profile.id);
  const connections = status.data?.connections ?? [];
  const now = status.dataUpdatedAt || Date.now();

  return (
    <div className="status-view">
      <div className="view-toolbar">
        <div>
          <h3>Cluster status</h3>
          {status.data && (
            <span className="muted small">
              Node <strong>{status.data.node_name}</strong>
              {status.data.url ? ` · replication ${status.data.url}` : ''} · {connections.length} peer{connections.length === 1 ? '' : 's'}
            </span>
          )}
        </div>
        <RefreshControl intervalMs={intervalMs} onIntervalChange={setIntervalMs} onRefreshNow={() => void refresh()} isFetching={isFetching} updatedAt={updatedAt} />
      </div>

      <ErrorNotice error={status.error} onRetry={() => void status.refetch()} />
      {status.isPending && !status.error && <p className="muted pad">Loading cluster status…</p>}
      {status.data &&
        (connections.length === 0 ? (
          <EmptyState title="No peers yet">
            This node does not replicate with any other node. Add a peer with <code>add_node</code> or list it in <code>replication.routes</code>; it will appear
            here with its latency and lag.
          </EmptyState>
        ) : (
          <>
            <PeerTable connections={connections} now={now} />
            <h3 className="section-title">Latency and lag, last 5 minutes</h3>
            <PeerCharts peers={connections.map((c) => c.name)} samples={samples} now={now} />
          </>
        ))}

      <h3 className="section-title">System</h3>
      <ErrorNotice error={system.error} onRetry={() => void system.refetch()} />
      {system.data && <SystemSummary info={{ ...system.data, ...(harperExtra.data?.tables ?? {}) }} registration={harperExtra.data?.registration ?? null} />}
    </div>
  );
}
