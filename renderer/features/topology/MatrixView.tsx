/**
 * The node-by-node matrix for large clusters: a row per node as it sees the others (its
 * cluster_status), a column per peer, each cell the link's latency as a heat colour AND a
 * number or word. Cells of a node that is not answering now show its last known values,
 * greyed and marked stale. A table with row and column headers; arrow keys, Home and End
 * move between cells, Enter selects the link (or the node, on the diagonal).
 */
import { useRef, useState, type KeyboardEvent } from 'react';
import type { ClusterStatusResponse } from '../../api/operations/cluster-status.ts';
import { formatAgo, formatNumber } from '../../lib/format.ts';
import { heatBucket, linkId, matrixCell, type MatrixCell } from './model.ts';
import type { MemberView, Selection } from './TopologyGraph.tsx';
import { ShardChip } from './ShardLegend.tsx';

export interface StatusMemory {
  status: ClusterStatusResponse;
  at: number;
}

interface MatrixViewProps {
  members: MemberView[];
  /** current readings' cluster_status, by node id */
  statusOf: (id: string) => ClusterStatusResponse | null;
  /** last known cluster_status of nodes not answering now */
  memory: ReadonlyMap<string, StatusMemory>;
  selection: Selection;
  now: number;
  onSelect: (selection: Selection) => void;
}

function cellText(cell: MatrixCell): string {
  switch (cell.kind) {
    case 'self':
      return '—';
    case 'no-data':
      return 'no data';
    case 'none':
      return 'not linked';
    case 'down':
      return 'down';
    case 'partial':
      return `${cell.up}/${cell.total} · ${formatNumber(cell.latencyMs, 'ms')}`;
    case 'up':
      return cell.latencyMs === null ? 'up · —' : formatNumber(cell.latencyMs, 'ms');
  }
}

function cellClass(cell: MatrixCell): string {
  if (cell.kind === 'self') return 'cell-self';
  if (cell.stale || cell.kind === 'no-data') return 'cell-stale';
  if (cell.kind === 'none') return 'cell-none';
  if (cell.kind === 'down') return 'cell-down';
  const bucket = heatBucket(cell.latencyMs);
  return `${cell.kind === 'partial' ? 'cell-partial ' : ''}${bucket === null ? 'cell-unmeasured' : `heat-${bucket}`}`;
}

export function MatrixView({ members, statusOf, memory, selection, now, onSelect }: MatrixViewProps) {
  const [focus, setFocus] = useState<[number, number]>([0, 0]);
  const table = useRef<HTMLTableElement>(null);
  const ids = members.map((m) => m.member.id);
  const labelOf = (id: string) => members.find((m) => m.member.id === id)?.label ?? id;
  const shardOf = (id: string) => members.find((m) => m.member.id === id)?.shard ?? null;

  function move(row: number, col: number) {
    const r = Math.max(0, Math.min(ids.length - 1, row));
    const c = Math.max(0, Math.min(ids.length - 1, col));
    setFocus([r, c]);
    table.current?.querySelector<HTMLElement>(`[data-cell="${r}:${c}"]`)?.focus();
  }

  function activate(r: number, c: number) {
    const from = ids[r]!;
    const to = ids[c]!;
    onSelect(from === to ? { kind: 'node', id: from } : { kind: 'link', id: linkId(from, to) });
  }

  function onKeyDown(event: KeyboardEvent<HTMLTableElement>) {
    const [r, c] = focus;
    const moves: Record<string, [number, number]> = {
      ArrowUp: [r - 1, c],
      ArrowDown: [r + 1, c],
      ArrowLeft: [r, c - 1],
      ArrowRight: [r, c + 1],
      Home: [r, 0],
      End: [r, ids.length - 1],
    };
    const next = moves[event.key];
    if (next) {
      event.preventDefault();
      move(...next);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      activate(r, c);
    }
  }

  return (
    <div className="matrix-view">
      <div className="grid-scroll">
        <table ref={table} className="grid matrix" role="grid" aria-label="Latency between nodes: rows are the node reporting, columns the peer" onKeyDown={onKeyDown} data-testid="latency-matrix">
          <caption className="visually-hidden">Each cell: the latency the row's node measures to the column's node, or the link's state.</caption>
          <thead>
            <tr>
              <th scope="col" className="matrix-corner">
                <span className="muted small">seen by ↓ · peer →</span>
              </th>
              {ids.map((id) => (
                <th key={id} scope="col">
                  {labelOf(id)}
                  {shardOf(id) && <ShardChip mark={shardOf(id)!} />}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {ids.map((from, r) => {
              const live = statusOf(from);
              const remembered = live ? null : memory.get(from);
              const status = live ?? remembered?.status ?? null;
              return (
                <tr key={from}>
                  <th scope="row">
                    {labelOf(from)}
                    {shardOf(from) && <ShardChip mark={shardOf(from)!} />}
                    {remembered && <span className="muted small block">stale · {formatAgo(remembered.at, now)}</span>}
                  </th>
                  {ids.map((to, c) => {
                    const cell = matrixCell(from, to, status, remembered !== null && remembered !== undefined);
                    const selected =
                      (selection?.kind === 'link' && from !== to && selection.id === linkId(from, to)) || (selection?.kind === 'node' && from === to && selection.id === from);
                    const focused = focus[0] === r && focus[1] === c;
                    return (
                      <td
                        key={to}
                        role="gridcell"
                        className={`matrix-cell ${cellClass(cell)} ${selected ? 'selected' : ''}`}
                        tabIndex={focused ? 0 : -1}
                        data-cell={`${r}:${c}`}
                        data-testid={`matrix-${from}-${to}`}
                        data-state={cell.stale ? 'stale' : cell.kind}
                        aria-selected={selected}
                        title={cell.stale ? `Last known value, ${formatAgo(memory.get(from)?.at ?? now, now)}: ${from} is not answering now` : undefined}
                        onClick={() => {
                          setFocus([r, c]);
                          activate(r, c);
                        }}
                      >
                        {cellText(cell)}
                        {cell.stale && <span className="visually-hidden"> (stale)</span>}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="matrix-legend" aria-label="Legend">
        {['< 5 ms', '5–20 ms', '20–50 ms', '50–150 ms', '≥ 150 ms'].map((text, i) => (
          <span key={text} className="legend-item">
            <span className={`legend-swatch heat-${i}`} aria-hidden="true" />
            {text}
          </span>
        ))}
        <span className="legend-item">
          <span className="legend-swatch cell-down" aria-hidden="true" />
          down
        </span>
        <span className="legend-item">
          <span className="legend-swatch cell-stale" aria-hidden="true" />
          stale or no data
        </span>
      </div>
    </div>
  );
}
