/**
 * The selected link: its health, each side's database sockets (state as colour and word, the
 * error on the row where it happened, latency, lag, pending, copy progress), what flows which
 * way, and its actions: edit subscriptions, disconnect; or, for a link being made, its
 * progress or the server's error with "try again" and "dismiss".
 */
import type { DatabaseSocket } from '../../api/operations/cluster-status.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { formatNumber } from '../../lib/format.ts';
import { socketState } from '../status/socket-state.ts';
import { formatMs } from './format.ts';
import type { Health, Link, LinkView } from './model.ts';
import type { PendingLink } from './TopologyGraph.tsx';
import { otherEnd, socketLagMs } from './model.ts';
import { copyProgressText } from '../status/copy-progress.ts';

interface LinkPanelProps {
  id: string;
  link: Link | null;
  pending: PendingLink | null;
  health: Health;
  /** display names of nodes by id */
  labelOf: (id: string) => string;
  /** whether a node could be read on this refresh */
  readable: (id: string) => boolean;
  onEditSubscriptions: () => void;
  onDisconnect: () => void;
  onRetry: () => void;
  onDismiss: () => void;
}

/** A socket the node lists but does not replicate by design (a sharded database, another shard). */
const BY_DESIGN = { tone: 'idle', word: 'Not replicated (sharded)' } as const;

function SocketRow({ socket, byDesign }: { socket: DatabaseSocket; byDesign: boolean }) {
  const state = byDesign ? BY_DESIGN : socketState(socket);
  const copy = socket.copy_progress;
  return (
    <tr data-testid={`link-socket-${socket.database}`}>
      <th scope="row">{socket.database}</th>
      <td>
        <StatusBadge tone={state.tone} title={socket.lastError}>
          {state.word}
        </StatusBadge>
        {!socket.connected && socket.lastError && <span className={`${byDesign ? 'muted' : 'row-error'} small block`}>{socket.lastError}</span>}
        {copy && !copy.done && <ProgressBar value={copy.copied} max={copy.total} label={`Initial copy of ${socket.database}`} text={copyProgressText(copy)} />}
      </td>
      <td className="num">{socket.connected ? formatNumber(socket.latency ?? null, 'ms') : '—'}</td>
      <td className="num">{socket.connected ? formatMs(socketLagMs(socket)) : '—'}</td>
      <td className="num">{socket.connected ? formatNumber(socket.pending_transactions ?? null) : '—'}</td>
    </tr>
  );
}

function SideTable({ view, labelOf }: { view: LinkView; labelOf: (id: string) => string }) {
  const sockets = view.connection.database_sockets ?? [];
  return (
    <div className="link-side">
      <h4>As {labelOf(view.from)} sees it</h4>
      <div className="grid-scroll">
      <table className="grid compact-grid">
        <thead>
          <tr>
            <th scope="col">Database</th>
            <th scope="col">State</th>
            <th scope="col" className="num">Latency</th>
            <th scope="col" className="num">Lag</th>
            <th scope="col" className="num">
              <abbr title="Transactions waiting to be sent">Pend.</abbr>
            </th>
          </tr>
        </thead>
        <tbody>
          {sockets.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                No replicated databases.
              </td>
            </tr>
          ) : (
            sockets.map((socket) => <SocketRow key={socket.database} socket={socket} byDesign={view.notReplicated?.includes(socket.database) ?? false} />)
          )}
        </tbody>
      </table>
      </div>
    </div>
  );
}

function flowSentence(link: Link, labelOf: (id: string) => string): string {
  const a = labelOf(link.a);
  const b = labelOf(link.b);
  if (!link.flow.explicit) return 'Every table, both ways (no subscriptions set).';
  if (link.flow.aToB && link.flow.bToA) return 'Selected tables (explicit subscriptions), both ways.';
  if (link.flow.aToB) return `One-way: ${a} → ${b} (explicit subscriptions).`;
  if (link.flow.bToA) return `One-way: ${b} → ${a} (explicit subscriptions).`;
  return 'No tables replicate (explicit subscriptions); only the system database flows.';
}

export function LinkPanel({ id, link, pending, health, labelOf, readable, onEditSubscriptions, onDisconnect, onRetry, onDismiss }: LinkPanelProps) {
  const [a, b] = id.split('|') as [string, string];
  const silent = link && link.views.length === 1 ? otherEnd(link, link.views[0]!.from) : null;
  return (
    <section className="side-panel" aria-labelledby="link-panel-title" data-testid="link-panel">
      <h3 id="link-panel-title">
        {labelOf(a)} ⇄ {labelOf(b)}
      </h3>
      <p>
        <StatusBadge tone={health.tone}>{health.word}</StatusBadge>
      </p>

      {pending?.state === 'sending' && <p className="muted small">Running add_node on {labelOf(pending.source)}…</p>}
      {pending?.state === 'confirming' && (
        <p className="muted small">
          {labelOf(pending.source)} accepted add_node; waiting for its cluster_status to show the link connected.
        </p>
      )}
      {pending?.state === 'failed' && (
        <>
          <ErrorNotice error={pending.error} testId="link-error" />
          <p className="field-hint">Nothing was created: add_node stores the peer only after the handshake works.</p>
          <div className="row wrap">
            <button type="button" onClick={onRetry}>
              Try again
            </button>
            <button type="button" className="button-secondary" onClick={onDismiss}>
              Dismiss
            </button>
          </div>
        </>
      )}

      {link && (
        <>
          <dl className="facts">
            <dt>Latency</dt>
            <dd>{formatNumber(link.latencyMs, 'ms')}</dd>
            <dt>Lag</dt>
            <dd>{formatMs(link.lagMs)}</dd>
            <dt>Replicates</dt>
            <dd>{flowSentence(link, labelOf)}</dd>
            <dt>Actions run on</dt>
            <dd>{labelOf(link.caller)}</dd>
          </dl>
          {silent && (
            <p className="notice notice-warn small">
              {readable(silent)
                ? `${labelOf(silent)} does not report this link: only ${labelOf(link.views[0]!.from)} still has it.`
                : `${labelOf(silent)} could not be read, so only ${labelOf(link.views[0]!.from)}'s side is shown.`}
            </p>
          )}
          {link.views.map((view) => (
            <SideTable key={view.from} view={view} labelOf={labelOf} />
          ))}
          <div className="row wrap panel-actions">
            <button type="button" className="button-secondary" onClick={onEditSubscriptions}>
              Edit subscriptions
            </button>
            <button type="button" className="button-danger" onClick={onDisconnect}>
              Remove {labelOf(otherEnd(link, link.caller))} from cluster…
            </button>
          </div>
          <p className="field-hint">
            Peerdesk cannot cut only this link: remove_node takes the node out of the whole cluster (every link it has). To stop data on this link alone, edit its
            subscriptions. A one-sided or dead link is repaired by dragging between the two nodes again.
          </p>
        </>
      )}
    </section>
  );
}
