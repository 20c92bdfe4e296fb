/** system_information in a few lines: node, version, host, uptime, CPU, memory, databases. */
import type { SystemInformationResponse } from '../../api/operations/system-information.ts';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { formatBytes, formatDuration, formatNumber } from '../../lib/format.ts';

export function SystemSummary({ info }: { info: SystemInformationResponse }) {
  const system = info.system ?? {};
  const uptimeSeconds = info.time?.node_uptime_ms != null ? info.time.node_uptime_ms / 1000 : info.time?.uptime;
  const memory = info.memory ?? {};
  const disk = info.disk?.size?.[0];
  const databases = Object.entries(info.database_metrics ?? {});
  return (
    <div className="summary-grid" data-testid="system-summary">
      <dl className="card facts">
        <dt>Node</dt>
        <dd data-testid="node-name">{system.node_name ?? system.hostname ?? 'unknown'}</dd>
        <dt>Version</dt>
        <dd>{system.peerdesk_version ? `Peerdesk ${system.peerdesk_version}` : system.hdb_version ? `HarperDB ${system.hdb_version}` : '—'}</dd>
        <dt>Host</dt>
        <dd>
          {system.hostname ?? '—'} · {system.platform ?? '?'} {system.arch ?? ''} · Node.js {system.node_version ?? '?'}
        </dd>
        <dt>Uptime</dt>
        <dd>{formatDuration(uptimeSeconds)}</dd>
      </dl>
      <dl className="card facts">
        <dt>CPU</dt>
        <dd>
          {formatNumber(info.cpu?.cores)} cores · load {info.cpu?.load_average?.map((l) => l.toFixed(2)).join(' / ') ?? '—'}
        </dd>
        <dt>Memory</dt>
        <dd>
          process {formatBytes(memory.rss)} (heap {formatBytes(memory.heap_used)}) · host {formatBytes(memory.free)} free of {formatBytes(memory.total)}
        </dd>
        <dt>Disk</dt>
        <dd>{disk && disk.size ? <ProgressBar value={disk.used ?? 0} max={disk.size} label="Disk used" text={`${formatBytes(disk.used)} of ${formatBytes(disk.size)}`} /> : '—'}</dd>
      </dl>
      <dl className="card facts">
        <dt>Databases</dt>
        <dd>{databases.length === 0 ? '—' : databases.length}</dd>
        {databases.map(([name, metrics]) => (
          <FactRow key={name} name={name} size={metrics.size_bytes} tables={Object.keys(metrics.tables ?? {}).length} records={Object.values(metrics.tables ?? {}).reduce((sum, t) => sum + (t.record_count ?? 0), 0)} />
        ))}
      </dl>
    </div>
  );
}

function FactRow({ name, size, tables, records }: { name: string; size: number | undefined; tables: number; records: number }) {
  return (
    <>
      <dt className="indent">{name}</dt>
      <dd>
        {formatBytes(size)} · {tables} table{tables === 1 ? '' : 's'} · {formatNumber(records)} records
      </dd>
    </>
  );
}
