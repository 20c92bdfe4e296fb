/** system_information in a few lines: node, version, host, uptime, CPU, memory, databases (Peerdesk's or HarperDB's shape). */
import type { SystemInformationResponse } from '../../api/operations/system-information.ts';
import { summarizeSystem, versionText, type RegistrationInfo } from '../../api/operations/system-summary.ts';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { formatBytes, formatDuration, formatNumber } from '../../lib/format.ts';

export function SystemSummary({ info, registration = null }: { info: SystemInformationResponse; registration?: RegistrationInfo | null }) {
  const s = summarizeSystem(info, registration);
  const load = s.loadAverage ? s.loadAverage.map((l) => l.toFixed(2)).join(' / ') : null;
  const cpu = [s.cores !== null ? `${formatNumber(s.cores)} cores` : null, load ? `load ${load}` : null, s.cpuPercent !== null ? `${s.cpuPercent.toFixed(1)} % busy` : null].filter(Boolean).join(' · ');
  const heap = s.heapUsedBytes !== null ? `heap ${formatBytes(s.heapUsedBytes)}${s.heapTotalBytes !== null ? ` of ${formatBytes(s.heapTotalBytes)}` : ''}` : null;
  const memory = [s.rssBytes !== null ? `process ${formatBytes(s.rssBytes)}` : null, heap, s.hostTotalBytes !== null ? `host ${formatBytes(s.hostFreeBytes)} free of ${formatBytes(s.hostTotalBytes)}` : null].filter(Boolean).join(' · ');
  return (
    <div className="summary-grid" data-testid="system-summary">
      <dl className="card facts">
        <dt>Node</dt>
        <dd data-testid="node-name">{s.nodeName ?? (s.hostname ? `${s.hostname} (host name; the node does not report its node name)` : 'unknown')}</dd>
        <dt>Version</dt>
        <dd data-testid="node-version">{versionText(s)}</dd>
        <dt>Host</dt>
        <dd>
          {s.hostname ?? '—'} · {s.platform ?? '?'} {s.arch ?? ''}
          {s.nodeVersion ? ` · Node.js ${s.nodeVersion}` : ''}
        </dd>
        <dt>Uptime</dt>
        <dd data-testid="node-uptime">{s.processUptimeSeconds !== null ? formatDuration(s.processUptimeSeconds) : s.hostUptimeSeconds !== null ? `host up ${formatDuration(s.hostUptimeSeconds)} (the node does not report its own)` : '—'}</dd>
      </dl>
      <dl className="card facts">
        <dt>CPU</dt>
        <dd data-testid="node-cpu">{cpu || '—'}</dd>
        <dt>Memory</dt>
        <dd data-testid="node-memory">{memory || '—'}</dd>
        <dt>Disk</dt>
        <dd>{s.disk ? <ProgressBar value={s.disk.used} max={s.disk.size} label="Disk used" text={`${formatBytes(s.disk.used)} of ${formatBytes(s.disk.size)}`} /> : '—'}</dd>
      </dl>
      <dl className="card facts">
        <dt>Databases</dt>
        <dd>{s.databases.length === 0 ? '—' : s.databases.length}</dd>
        {s.databases.map((d) => (
          <FactRow key={d.name} name={d.name} size={d.sizeBytes} tables={d.tables} records={d.records} />
        ))}
      </dl>
    </div>
  );
}

function FactRow({ name, size, tables, records }: { name: string; size: number | null; tables: number; records: number }) {
  return (
    <>
      <dt className="indent">{name}</dt>
      <dd>
        {formatBytes(size)} · {tables} table{tables === 1 ? '' : 's'} · {formatNumber(records)} records
      </dd>
    </>
  );
}
