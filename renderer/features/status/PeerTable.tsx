/**
 * cluster_status as a table: one group of rows per peer, one row per database socket, with
 * state (colour and word, and the error on the row where it happened), latency, lag (the last,
 * and p50 · p99 over the node's window), last received, backpressure, copy progress and pending
 * transactions.
 */
import { socketLagMs, type ClusterConnection, type DatabaseSocket } from '../../api/operations/cluster-status.ts';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { formatAgo, formatNumber, parseTime } from '../../lib/format.ts';
import { copyProgressText } from './copy-progress.ts';
import { formatLagMs, lagExplanation, lagPercentiles } from './lag.ts';
import { BACKPRESSURE_WARN_PERCENT, LAG_WARN_MS, socketState } from './socket-state.ts';

function CopyCell({ socket }: { socket: DatabaseSocket }) {
  const copy = socket.copy_progress;
  if (!copy) return <span className="muted">—</span>;
  if (copy.done) return <span className="muted">{copy.total > 0 ? `done (${formatNumber(copy.total)})` : 'done'}</span>;
  return <ProgressBar value={copy.copied} max={copy.total} label={`Initial copy of ${socket.database}`} text={copyProgressText(copy)} />;
}

function LagPercentilesCell({ peer, socket }: { peer: ClusterConnection; socket: DatabaseSocket }) {
  const lag = socket.connected ? lagPercentiles(socket) : null;
  if (!lag) return <td className="num muted" data-testid={`lag-percentiles-${peer.name}-${socket.database}`}>—</td>;
  return (
    <td className={`num nowrap ${lag.p99 >= LAG_WARN_MS ? 'warn-text' : ''}`} title={lagExplanation(lag)} data-testid={`lag-percentiles-${peer.name}-${socket.database}`}>
      {formatLagMs(lag.p50)} · {formatLagMs(lag.p99)}
      {lag.clamped > 0 && <span className="muted small block">{formatNumber(lag.clamped)} below 0 (clock skew)</span>}
    </td>
  );
}

function SocketRow({ peer, socket, first, span, now }: { peer: ClusterConnection; socket: DatabaseSocket; first: boolean; span: number; now: number }) {
  const state = socketState(socket);
  const received = parseTime(socket.lastReceivedLocalTime);
  const lag = socketLagMs(socket);
  const pressure = socket.backPressurePercent ?? null;
  return (
    <tr data-testid={`socket-${peer.name}-${socket.database}`}>
      {first && (
        <th scope="rowgroup" rowSpan={span} className="peer-cell">
          <span className="peer-name">{peer.name}</span>
          {peer.url && <span className="muted small block">{peer.url}</span>}
        </th>
      )}
      <td>{socket.database}</td>
      <td>
        <StatusBadge tone={state.tone} title={socket.lastError}>
          {state.word}
        </StatusBadge>
        {!socket.connected && socket.lastError && (
          <span className="row-error small block">
            {socket.lastError}
            {socket.reconnectAttempts ? ` · ${socket.reconnectAttempts} attempts` : ''}
          </span>
        )}
      </td>
      <td className="num">{socket.connected ? formatNumber(socket.latency ?? null, 'ms') : '—'}</td>
      <td className={`num ${lag !== null && lag >= LAG_WARN_MS ? 'warn-text' : ''}`}>{socket.connected ? formatNumber(lag, 'ms') : '—'}</td>
      <LagPercentilesCell peer={peer} socket={socket} />
      <td title={socket.lastReceivedLocalTime ?? undefined}>{received ? formatAgo(received, Math.max(now, received)) : <span className="muted">never</span>}</td>
      <td className={`num ${pressure !== null && pressure >= BACKPRESSURE_WARN_PERCENT ? 'warn-text' : ''}`}>{socket.connected ? formatNumber(pressure, '%') : '—'}</td>
      <td className="copy-cell">
        <CopyCell socket={socket} />
      </td>
      <td className="num">{socket.connected ? formatNumber(socket.pending_transactions ?? null) : '—'}</td>
    </tr>
  );
}

export function PeerTable({ connections, now }: { connections: ClusterConnection[]; now: number }) {
  return (
    <div className="grid-scroll">
      <table className="grid status-grid" data-testid="peer-table">
        <caption className="visually-hidden">Connections to peers and their database sockets</caption>
        <thead>
          <tr>
            <th scope="col">Peer</th>
            <th scope="col">Database</th>
            <th scope="col">State</th>
            <th scope="col" className="num">Latency</th>
            <th scope="col" className="num">Lag</th>
            <th scope="col" className="num" title="Replication lag, commit on the peer to commit here, over the node's recent window">
              Lag p50 · p99
            </th>
            <th scope="col">Last received</th>
            <th scope="col" className="num">Backpressure</th>
            <th scope="col">Initial copy</th>
            <th scope="col" className="num">Pending</th>
          </tr>
        </thead>
        {connections.map((peer) => {
          const sockets = peer.database_sockets ?? [];
          return (
            <tbody key={peer.name}>
              {sockets.length === 0 ? (
                <tr>
                  <th scope="row" className="peer-cell">
                    {peer.name}
                  </th>
                  <td colSpan={9} className="muted">
                    No replicated databases with this peer.
                  </td>
                </tr>
              ) : (
                sockets.map((socket, index) => <SocketRow key={socket.database} peer={peer} socket={socket} first={index === 0} span={sockets.length} now={now} />)
              )}
            </tbody>
          );
        })}
      </table>
    </div>
  );
}
