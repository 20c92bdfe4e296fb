/**
 * The cluster as a React Flow graph: a node per member (colour of its saved connection, its
 * state as colour and word, one handle to drag links from) and one undirected-looking link per
 * pair, drawn between the nodes' borders, with its health word, latency and lag as a label and
 * arrows only where subscriptions make it one-way. Dragging from a handle to another node asks
 * to connect them (self-links and duplicates are refused); dropping a node that is not in the
 * cluster onto a member asks to join it. Selection is the view's, not React Flow's, so the
 * side panel, the matrix and the keyboard all share it.
 */
import '@xyflow/react/dist/style.css';
import {
  applyNodeChanges,
  Background,
  BaseEdge,
  ConnectionMode,
  Controls,
  EdgeLabelRenderer,
  getStraightPath,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  useInternalNode,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeProps,
  type InternalNode,
  type Node,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react';
import { createContext, memo, useCallback, useContext, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { formatMs } from './format.ts';
import type { XY } from './layout.ts';
import type { Health, Link, Member } from './model.ts';
import { linkId } from './model.ts';
import { ShardChip } from './ShardLegend.tsx';
import type { ShardMark } from './shards.ts';

export type Selection = { kind: 'node'; id: string } | { kind: 'link'; id: string } | null;

/** A link being made (add_node in flight or waiting for cluster_status), or one that failed. */
export interface PendingLink {
  id: string;
  source: string;
  target: string;
  state: 'sending' | 'confirming' | 'failed';
  /** the server's error, when failed */
  error: unknown;
  /** the error as one short line for the link's label */
  errorLine: string | null;
  startedAt: number;
}

/** After this long without cluster_status confirming a link, it is shown as not confirmed. */
export const CONFIRM_TIMEOUT_MS = 30_000;

export function pendingHealth(pending: PendingLink, now: number): Health {
  if (pending.state === 'failed') return { kind: 'failed', word: 'failed', tone: 'bad' };
  if (pending.state === 'confirming' && now - pending.startedAt > CONFIRM_TIMEOUT_MS) return { kind: 'unconfirmed', word: 'not confirmed yet', tone: 'warn' };
  return { kind: 'pending', word: 'pending', tone: 'info' };
}

export type MemberView = {
  member: Member;
  label: string;
  /** the saved connection's colour, if any */
  colour: string | null;
  production: boolean;
  linkCount: number;
  /** its shard and the colour it is drawn in; null: no shard (neutral) */
  shard: ShardMark | null;
};

type MemberNodeData = MemberView & { selected: boolean };
type MemberFlowNode = Node<MemberNodeData, 'member'>;

type LinkEdgeData = {
  link: Link | null;
  pending: PendingLink | null;
  health: Health;
  a: string;
  b: string;
  /** a line under the health word (e.g. who reports a one-sided link) */
  note: string | null;
};
type LinkFlowEdge = Edge<LinkEdgeData, 'link'>;

/** Selecting from inside a node or a label (which React Flow does not route to onEdgeClick). */
const SelectContext = createContext<(selection: Selection) => void>(() => undefined);

function describeMember(view: MemberView): string {
  const { member } = view;
  if (member.reachable) return `${view.linkCount} link${view.linkCount === 1 ? '' : 's'}`;
  return 'not reachable';
}

const MemberNode = memo(function MemberNode({ data }: NodeProps<MemberFlowNode>) {
  const { member } = data;
  const tone = member.reachable ? (member.inCluster ? 'ok' : 'idle') : 'bad';
  return (
    <div
      className={`member-node ${member.isCurrent ? 'current' : ''} ${member.reachable ? '' : 'unreachable'} ${data.selected ? 'is-selected' : ''} ${data.shard ? 'has-shard' : ''}`}
      style={{ '--conn': data.colour ?? 'var(--border-strong)', ...(data.shard ? { '--shard': data.shard.colour } : {}) } as CSSProperties}
      data-testid={`member-${member.id}`}
      data-reachable={member.reachable}
    >
      <div className="member-title">
        <span className="member-label">{data.label}</span>
        {data.production && <span className="tag tag-prod">Prod</span>}
      </div>
      <div className="member-sub">{member.name ?? member.reading?.opsUrl ?? ''}</div>
      <div className="member-state">
        <StatusBadge tone={tone}>{describeMember(data)}</StatusBadge>
        {member.isCurrent && <span className="member-note">this connection</span>}
        {!member.inCluster && member.reachable && <span className="member-note">not in this cluster</span>}
        {data.shard && <ShardChip mark={data.shard} />}
      </div>
      <Handle
        type="source"
        position={Position.Right}
        id="link"
        className="member-handle"
        data-testid={`handle-${member.id}`}
        title={`Drag from here to another node to connect ${data.label} to it`}
      />
    </div>
  );
});

/** Where the line between two nodes' centres leaves `node`'s box. */
function borderPoint(node: InternalNode, toward: XY): XY {
  const w = node.measured.width ?? 0;
  const h = node.measured.height ?? 0;
  const cx = node.internals.positionAbsolute.x + w / 2;
  const cy = node.internals.positionAbsolute.y + h / 2;
  const dx = toward.x - cx;
  const dy = toward.y - cy;
  if (dx === 0 && dy === 0) return { x: cx, y: cy };
  const scale = Math.min(dx !== 0 ? w / 2 / Math.abs(dx) : Infinity, dy !== 0 ? h / 2 / Math.abs(dy) : Infinity);
  return { x: cx + dx * scale, y: cy + dy * scale };
}

function centre(node: InternalNode): XY {
  return { x: node.internals.positionAbsolute.x + (node.measured.width ?? 0) / 2, y: node.internals.positionAbsolute.y + (node.measured.height ?? 0) / 2 };
}

function metricsText(link: Link | null): string | null {
  if (!link || (link.health.kind !== 'connected' && link.health.kind !== 'partial' && link.health.kind !== 'copying')) return null;
  return `${link.latencyMs === null ? 'latency —' : formatMs(link.latencyMs)} · lag ${formatMs(link.lagMs)}`;
}

function flowText(link: Link | null): string | null {
  if (!link?.flow.explicit) return null;
  const { aToB, bToA } = link.flow;
  if (aToB && bToA) return 'filtered both ways';
  if (aToB) return `one-way ${link.a} → ${link.b}`;
  if (bToA) return `one-way ${link.b} → ${link.a}`;
  return 'no tables replicate';
}

const LinkEdge = memo(function LinkEdge({ id, source, target, data, selected, markerStart, markerEnd }: EdgeProps<LinkFlowEdge>) {
  const select = useContext(SelectContext);
  const from = useInternalNode(source);
  const to = useInternalNode(target);
  if (!from || !to || !data) return null;
  const s = borderPoint(from, centre(to));
  const t = borderPoint(to, centre(from));
  const [path, labelX, labelY] = getStraightPath({ sourceX: s.x, sourceY: s.y, targetX: t.x, targetY: t.y });
  const { health, link, pending } = data;
  const metrics = metricsText(link);
  const flow = flowText(link);
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        className={`link-path tone-${health.tone} ${health.kind === 'pending' ? 'pending' : ''} ${selected ? 'is-selected' : ''}`}
        {...(markerStart ? { markerStart } : {})}
        {...(markerEnd ? { markerEnd } : {})}
        interactionWidth={24}
      />
      <EdgeLabelRenderer>
        <button
          type="button"
          className={`link-label nodrag nopan tone-${health.tone} ${selected ? 'is-selected' : ''}`}
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          data-testid={`link-${data.a}-${data.b}`}
          data-health={health.kind}
          tabIndex={-1}
          aria-label={`Link ${data.a} – ${data.b}: ${health.word}`}
          onClick={(event) => {
            event.stopPropagation();
            select({ kind: 'link', id });
          }}
        >
          <StatusBadge tone={health.tone}>{health.word}</StatusBadge>
          {data.note && <span className="link-metrics">{data.note}</span>}
          {metrics && <span className="link-metrics">{metrics}</span>}
          {flow && <span className="link-metrics">{flow}</span>}
          {pending?.state === 'failed' && pending.errorLine && <span className="link-error">{pending.errorLine}</span>}
        </button>
      </EdgeLabelRenderer>
    </>
  );
});

const NODE_TYPES = { member: MemberNode };
const EDGE_TYPES = { link: LinkEdge };

const TONE_COLOUR: Record<Health['tone'], string> = {
  ok: 'var(--ok)',
  info: 'var(--info)',
  warn: 'var(--warn)',
  bad: 'var(--bad)',
  idle: 'var(--idle)',
};

interface TopologyGraphProps {
  members: MemberView[];
  links: Link[];
  pending: PendingLink[];
  positions: Record<string, XY>;
  selection: Selection;
  /** changes when the view should fit everything again (auto layout) */
  fitKey: string;
  now: number;
  onSelect: (selection: Selection) => void;
  onMoved: (id: string, position: XY) => void;
  /** a link was drawn from `source` to `target` (or a node dropped onto another) */
  onConnectRequest: (source: string, target: string) => void;
}

/** Fit-to-view never zooms out past this: labels stay readable at 7+ nodes, and the user pans to the rest. */
export const FIT_MIN_ZOOM = 0.65;

/** A link a drag may replace: one-sided, down, or failed to be made. */
export function isRepairable(health: Health | null): boolean {
  return health !== null && (health.kind === 'one-sided' || health.kind === 'down' || health.kind === 'failed');
}

export function TopologyGraph({ members, links, pending, positions, selection, fitKey, now, onSelect, onMoved, onConnectRequest }: TopologyGraphProps) {
  const { fitView, getIntersectingNodes } = useReactFlow<MemberFlowNode, LinkFlowEdge>();
  const [nodes, setNodes] = useState<MemberFlowNode[]>([]);
  const dragStart = useRef<XY | null>(null);

  useEffect(() => {
    setNodes((previous) => {
      const byId = new Map(previous.map((n) => [n.id, n]));
      return members.map((view): MemberFlowNode => {
        const old = byId.get(view.member.id);
        const isSelected = selection?.kind === 'node' && selection.id === view.member.id;
        return {
          ...(old ?? {}),
          id: view.member.id,
          type: 'member',
          position: old?.dragging ? old.position : (positions[view.member.id] ?? old?.position ?? { x: 0, y: 0 }),
          data: { ...view, selected: isSelected },
          selected: isSelected,
          ariaLabel: `${view.label}${view.member.isCurrent ? ', this connection' : ''}${view.shard ? `, shard ${view.shard.shard}` : ''}, ${describeMember(view)}`,
        };
      });
    });
  }, [members, positions, selection]);

  const edges = useMemo<LinkFlowEdge[]>(() => {
    const labels = new Map(members.map((m) => [m.member.id, m.label]));
    const byId = new Map<string, LinkFlowEdge>();
    for (const link of links) {
      const oneWay = link.flow.explicit && link.flow.aToB !== link.flow.bToA;
      const colour = TONE_COLOUR[link.health.tone];
      byId.set(link.id, {
        id: link.id,
        type: 'link',
        source: link.a,
        target: link.b,
        data: {
          link,
          pending: null,
          health: link.health,
          a: link.a,
          b: link.b,
          note: link.health.reporter ? `only ${labels.get(link.health.reporter) ?? link.health.reporter} reports it` : null,
        },
        selected: selection?.kind === 'link' && selection.id === link.id,
        ...(oneWay && link.flow.aToB ? { markerEnd: { type: MarkerType.ArrowClosed, color: colour, width: 18, height: 18 } } : {}),
        ...(oneWay && link.flow.bToA ? { markerStart: { type: MarkerType.ArrowClosed, color: colour, width: 18, height: 18 } } : {}),
      });
    }
    for (const p of pending) {
      const existing = byId.get(p.id);
      const health = pendingHealth(p, now);
      const [a, b] = p.id.split('|') as [string, string];
      byId.set(p.id, {
        id: p.id,
        type: 'link',
        source: p.source,
        target: p.target,
        data: { link: existing?.data?.link ?? null, pending: p, health, a, b, note: null },
        selected: selection?.kind === 'link' && selection.id === p.id,
        animated: p.state !== 'failed',
      });
    }
    return [...byId.values()];
  }, [links, pending, selection, now, members]);

  // Only a working link (or one being made) blocks a new one: a one-sided or dead link is repaired by dragging again.
  const pairs = useMemo(() => new Set(edges.filter((e) => !isRepairable(e.data?.health ?? null)).map((e) => e.id)), [edges]);
  const memberIds = useMemo(() => new Set(members.map((m) => m.member.id)), [members]);

  const isValidConnection = useCallback(
    (connection: Connection | LinkFlowEdge) =>
      connection.source !== connection.target && memberIds.has(connection.source) && memberIds.has(connection.target) && !pairs.has(linkId(connection.source, connection.target)),
    [pairs, memberIds],
  );

  const onNodesChange = useCallback((changes: NodeChange<MemberFlowNode>[]) => {
    // Selection and removal are the view's business; React Flow only moves and measures.
    const allowed = changes.filter((c) => c.type === 'position' || c.type === 'dimensions');
    if (allowed.length) setNodes((current) => applyNodeChanges(allowed, current));
  }, []);

  // Fit the view once the nodes have been measured: on a new layout, or when a node never shown
  // before appears. A node that drops out and comes back between refreshes does not move the
  // canvas under the user's pointer.
  const initialized = useNodesInitialized();
  const fitted = useRef({ key: '', seen: new Set<string>() });
  const shownIds = members.map((m) => m.member.id);
  const unseen = fitted.current.key !== fitKey || shownIds.some((id) => !fitted.current.seen.has(id));
  const fitSignature = `${fitKey}#${shownIds.join(',')}`;
  useEffect(() => {
    if (!initialized || nodes.length === 0 || !unseen) return;
    fitted.current = { key: fitKey, seen: new Set([...(fitted.current.key === fitKey ? fitted.current.seen : []), ...shownIds]) };
    void fitView({ padding: 0.25, maxZoom: 1.1, minZoom: FIT_MIN_ZOOM });
    // fitSignature stands for shownIds.
  }, [initialized, nodes.length, fitSignature, fitView, unseen, fitKey]);

  return (
    <SelectContext.Provider value={onSelect}>
      <ReactFlow<MemberFlowNode, LinkFlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        onNodesChange={onNodesChange}
        connectionMode={ConnectionMode.Loose}
        connectionRadius={36}
        isValidConnection={isValidConnection}
        onConnect={(connection) => {
          if (isValidConnection(connection)) onConnectRequest(connection.source, connection.target);
        }}
        onNodeClick={(_event, node) => onSelect({ kind: 'node', id: node.id })}
        onEdgeClick={(_event, edge) => onSelect({ kind: 'link', id: edge.id })}
        onPaneClick={() => onSelect(null)}
        onNodeDragStart={(_event, node) => {
          dragStart.current = { ...node.position };
        }}
        onNodeDragStop={(_event, node) => {
          const dropped = getIntersectingNodes(node).filter((n) => n.id !== node.id);
          const view = members.find((m) => m.member.id === node.id);
          const outsider = view && view.linkCount === 0 && !view.member.isCurrent;
          const onto = dropped.find((n) => !pairs.has(linkId(node.id, n.id)));
          if (outsider && onto && dragStart.current) {
            // Dropped onto a member: join it. The node goes back where it was.
            const back = dragStart.current;
            setNodes((current) => current.map((n) => (n.id === node.id ? { ...n, position: back } : n)));
            onConnectRequest(node.id, onto.id);
          } else {
            onMoved(node.id, node.position);
          }
          dragStart.current = null;
        }}
        deleteKeyCode={null}
        selectionKeyCode={null}
        multiSelectionKeyCode={null}
        disableKeyboardA11y
        nodesFocusable={false}
        edgesFocusable={false}
        colorMode="system"
        minZoom={0.2}
        maxZoom={2}
      >
        <Background gap={24} size={1.2} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </SelectContext.Provider>
  );
}
