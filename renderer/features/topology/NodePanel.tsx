/**
 * The selected node: how it is known (this connection, a saved connection, the node's
 * cluster_network answer with its age, or a member URL the user confirmed) or why it is not,
 * the URL to confirm for a member nobody asked yet, its hdb_nodes record (the CA as its subject
 * only, never the PEM), its links, and the way to its status and certificates.
 */
import { useState } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatBytes, formatDuration } from '../../lib/format.ts';
import { normalizeUrl, urlProblem } from '../connections/model.ts';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import type { Health, Member } from './model.ts';

interface NodePanelProps {
  member: Member;
  label: string;
  links: Array<{ id: string; peer: string; health: Health }>;
  /** the saved connection it is reached through, for "Open status" */
  savedName: string | null;
  /** in view only because it was brought in (removable from the view) */
  removable: boolean;
  labelOf: (id: string) => string;
  onSelectLink: (id: string) => void;
  onOpen: (view: 'status' | 'certificates') => void;
  onLogIn: () => void;
  onConfirmUrl: (url: string) => void;
  onRemoveFromView: () => void;
}

function accessText(member: Member, savedName: string | null): string {
  const reading = member.reading;
  if (!reading) return 'Not asked: no saved connection and no URL for it.';
  switch (reading.access) {
    case 'current':
      return `This connection (${reading.opsUrl}).`;
    case 'saved':
      return `Saved connection “${savedName ?? reading.profileId}” (${reading.opsUrl}).`;
    case 'network':
      return `Through this connection's node (cluster_network, over its replication links)${savedName ? `; saved connection “${savedName}” acts on it` : ''}.`;
    case 'member':
      return `${reading.opsUrl} (confirmed by you)${reading.client ? ', logged in for this session' : ', not logged in'}.`;
    case 'unconfirmed':
      return 'Not asked: its operations API URL is not confirmed.';
  }
}

/** The member URL the user confirms before anything is sent there; pre-filled with a guess. */
function ConfirmUrl({ initial, hint, onConfirm }: { initial: string; hint: string; onConfirm: (url: string) => void }) {
  const [url, setUrl] = useState(initial);
  const problem = urlProblem(url.trim());
  return (
    <form
      className="stack"
      data-testid="confirm-member-url"
      onSubmit={(event) => {
        event.preventDefault();
        if (!problem) onConfirm(normalizeUrl(url));
      }}
    >
      <label className="field">
        <span>Operations API URL</span>
        <input value={url} onChange={(e) => setUrl(e.target.value)} inputMode="url" spellCheck={false} aria-invalid={!!problem} />
        {problem ? <span className="field-error">{problem}</span> : <span className="field-hint">{hint}</span>}
      </label>
      <div className="row wrap">
        <button type="submit" disabled={!!problem}>
          Confirm URL
        </button>
      </div>
    </form>
  );
}

function subscriptionsSummary(subscriptions: Record<string, Array<{ publish: boolean; subscribe: boolean }>>): string {
  const setters = Object.entries(subscriptions);
  if (setters.length === 0) return 'none (everything both ways)';
  return setters.map(([setter, list]) => `set by ${setter}: ${list.length} table${list.length === 1 ? '' : 's'} (${list.filter((s) => s.publish).length} published, ${list.filter((s) => s.subscribe).length} subscribed)`).join('; ');
}

export function NodePanel({ member, label, links, savedName, removable, labelOf, onSelectLink, onOpen, onLogIn, onConfirmUrl, onRemoveFromView }: NodePanelProps) {
  const row = member.row;
  const reading = member.reading;
  const subject = member.caInfo && typeof member.caInfo.subject === 'string' ? member.caInfo.subject : null;
  return (
    <section className="side-panel" aria-labelledby="node-panel-title" data-testid="node-panel">
      <h3 id="node-panel-title">{label}</h3>
      <p className="row wrap">
        <StatusBadge tone={member.reachable ? 'ok' : 'bad'}>{member.reachable ? 'reachable' : 'not reachable'}</StatusBadge>
        {member.isCurrent && <span className="muted small">this connection</span>}
        {!member.inCluster && <span className="muted small">not in this cluster</span>}
      </p>
      <dl className="facts">
        <dt>Node name</dt>
        <dd>{member.name ?? 'unknown'}</dd>
        <dt>Operations API</dt>
        <dd>{accessText(member, savedName)}</dd>
        <dt>Replication</dt>
        <dd>{member.replicationUrl ? <code>{member.replicationUrl}</code> : '—'}</dd>
        {reading?.access === 'network' && (
          <>
            <dt>Answer</dt>
            <dd data-testid="member-age">{reading.ageMs !== null ? `${Math.round(reading.ageMs / 100) / 10} s old` : 'none yet'}</dd>
          </>
        )}
        {reading?.system && (
          <>
            <dt>System</dt>
            <dd>
              {[reading.system.version ? `Peerdesk ${reading.system.version}` : null, reading.system.hostname, reading.system.platform, reading.system.uptime_s !== undefined ? `up ${formatDuration(reading.system.uptime_s)}` : null, reading.system.cpu_load_percent !== undefined ? `CPU ${reading.system.cpu_load_percent.toFixed(0)} %` : null, reading.system.memory_rss_bytes !== undefined ? `RSS ${formatBytes(reading.system.memory_rss_bytes)}` : null]
                .filter(Boolean)
                .join(' · ')}
            </dd>
          </>
        )}
      </dl>
      {!member.reachable && (
        <>
          {reading?.note && <p className="notice notice-warn small">{reading.note}</p>}
          <ErrorNotice error={reading?.error ?? null} testId="node-error" />
          {reading?.access === 'unconfirmed' && <ConfirmUrl initial={reading.suggestedUrl ?? ''} hint="Guessed from its replication URL; nothing is sent there until you confirm it." onConfirm={onConfirmUrl} />}
          {reading?.access === 'member' && <ConfirmUrl key={reading.opsUrl} initial={reading.opsUrl} hint="The URL you confirmed; change it if another node answers there." onConfirm={onConfirmUrl} />}
          {reading?.access !== 'unconfirmed' && reading?.access !== 'network' && (
            <div className="row wrap">
              <button type="button" onClick={onLogIn}>
                Log in…
              </button>
            </div>
          )}
        </>
      )}

      <h4>Links</h4>
      {links.length === 0 ? (
        <p className="muted small">None. Drag from this node's handle to another node to connect them.</p>
      ) : (
        <ul className="panel-list">
          {links.map((link) => (
            <li key={link.id}>
              <button type="button" className="panel-link" onClick={() => onSelectLink(link.id)}>
                <span>{labelOf(link.peer)}</span>
                <StatusBadge tone={link.health.tone}>{link.health.word}</StatusBadge>
              </button>
            </li>
          ))}
        </ul>
      )}

      <h4>hdb_nodes record</h4>
      {row ? (
        <dl className="facts" data-testid="node-record">
          <dt>name</dt>
          <dd>{row.name}</dd>
          <dt>url</dt>
          <dd>{row.url ?? '—'}</dd>
          <dt>subscriptions</dt>
          <dd>{subscriptionsSummary(row.subscriptions)}</dd>
          <dt>revoked certificates</dt>
          <dd>{row.revokedCertificates.length ? row.revokedCertificates.join(', ') : 'none'}</dd>
          {row.shard !== null && (
            <>
              <dt>shard</dt>
              <dd>{row.shard}</dd>
            </>
          )}
          <dt>ca</dt>
          <dd>{row.caPem ? (subject ?? 'a CA certificate (PEM not shown)') : 'none recorded'}</dd>
          {Object.entries(row.extra).map(([key, value]) => (
            <div key={key} className="facts-pair">
              <dt>{key}</dt>
              <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted small">No record of this node in hdb_nodes of the nodes read.</p>
      )}

      <div className="row wrap panel-actions">
        {member.profileId && (
          <>
            <button type="button" className="button-secondary" onClick={() => onOpen('status')}>
              Open status
            </button>
            <button type="button" className="button-secondary" onClick={() => onOpen('certificates')}>
              Open certificates
            </button>
          </>
        )}
        {removable && (
          <button type="button" className="button-secondary" onClick={onRemoveFromView}>
            Remove from view
          </button>
        )}
      </div>
    </section>
  );
}
