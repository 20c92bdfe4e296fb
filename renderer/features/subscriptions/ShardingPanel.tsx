/**
 * A node's sharding settings per replicated database (cluster_status's `sharding`, Peerdesk),
 * read-only: sharded within the node's shard and/or a replica count, with re-homing progress
 * of any table whose holders are changing, and how to change the settings (the node's
 * configuration; there is no operation for it). A node that does not report them says so.
 */
import { useQuery } from '@tanstack/react-query';
import { clusterStatusQuery } from '../../api/operations/cluster-status.ts';
import { describeSettings, parseClusterSharding, shardNumber } from '../../api/operations/sharding.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { formatNumber } from '../../lib/format.ts';
import { SYSTEM_DATABASE } from './model.ts';

/** The one place the app says how sharding settings are changed. */
export const HOW_TO_CHANGE_SHARDING =
  'To change them, set replication.databases in each node\'s configuration (e.g. {name: data, sharded: true} or {name: data, replicateTo: 2}) and replication.shard for its shard, then restart the node.';

export function ShardingPanel({ client, nodeLabel }: { client: OpsClient; nodeLabel: string }) {
  const status = useQuery({ ...clusterStatusQuery(client), staleTime: 0 });
  if (status.error) return <ErrorNotice error={status.error} />;
  if (!status.data) return <p className="muted small">Reading the sharding settings of {nodeLabel}…</p>;
  const sharding = parseClusterSharding(status.data);
  const shard = shardNumber(status.data.shard);
  const databases = (sharding ?? []).filter((d) => d.database !== SYSTEM_DATABASE);
  return (
    <section className="sharding-panel stack" aria-label={`Sharding on ${nodeLabel}`} data-testid="sharding-panel">
      <h4>
        Sharding on {nodeLabel} <span className="muted small">({shard === null ? 'no shard' : `shard ${shard}`})</span>
      </h4>
      {sharding === null ? (
        <p className="muted small">{nodeLabel} does not report sharding settings: every replicated database goes to every member.</p>
      ) : (
        <ul className="panel-list small">
          {databases.length === 0 && <li className="muted">No database has sharding settings on {nodeLabel}: every member holds every record.</li>}
          {databases.map((d) => (
            <li key={d.database} data-testid={`sharding-${d.database}`}>
              <strong>{d.database}</strong>: {describeSettings(d)}
              {d.tables
                .filter((t) => t.rehoming && t.rehoming.moved < t.rehoming.total)
                .map((t) => (
                  <ProgressBar
                    key={t.table}
                    value={t.rehoming!.moved}
                    max={t.rehoming!.total}
                    label={`Re-homing ${d.database}.${t.table}`}
                    text={`${d.database}.${t.table} re-homing ${formatNumber(t.rehoming!.moved)} / ${formatNumber(t.rehoming!.total)}`}
                  />
                ))}
            </li>
          ))}
          {databases.length > 0 && <li className="muted">Any other database: not sharded, every member holds every record.</li>}
          <li className="muted">The system database always replicates to every member.</li>
        </ul>
      )}
      <p className="field-hint">Read-only here. {HOW_TO_CHANGE_SHARDING}</p>
    </section>
  );
}
