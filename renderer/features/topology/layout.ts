/**
 * Where nodes sit, kept stable between refreshes: positions are remembered per cluster view
 * (the connection it is opened from) in localStorage, together with the saved connections
 * brought into that view. New nodes are placed beside the existing ones; "Auto layout" runs
 * dagre over the whole graph.
 */
import { Graph, layout } from '@dagrejs/dagre';

export interface XY {
  x: number;
  y: number;
}

export type Positions = Record<string, XY>;

export interface ViewLayout {
  positions: Positions;
  /** saved connection ids brought into view */
  extras: string[];
  /** member node name → the operations API URL the user confirmed for it (clusters without cluster_network) */
  memberUrls: Record<string, string>;
}

const STORAGE_KEY = 'peerdesk.topology.v1';
/** Node box used for layout when it has not been measured yet. */
export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 84;

function readAll(): Record<string, unknown> {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function loadLayout(viewId: string): ViewLayout {
  const stored = readAll()[viewId] as { positions?: unknown; extras?: unknown; memberUrls?: unknown } | undefined;
  const positions: Positions = {};
  if (stored?.positions && typeof stored.positions === 'object') {
    for (const [id, p] of Object.entries(stored.positions as Record<string, unknown>)) {
      const xy = p as { x?: unknown; y?: unknown } | null;
      if (xy && finite(xy.x) && finite(xy.y)) positions[id] = { x: xy.x, y: xy.y };
    }
  }
  const extras = Array.isArray(stored?.extras) ? stored.extras.filter((e): e is string => typeof e === 'string') : [];
  const memberUrls: Record<string, string> = {};
  const urls = (stored as { memberUrls?: unknown } | undefined)?.memberUrls;
  if (urls && typeof urls === 'object') {
    for (const [name, url] of Object.entries(urls as Record<string, unknown>)) if (typeof url === 'string' && /^https?:\/\//.test(url)) memberUrls[name] = url;
  }
  return { positions, extras, memberUrls };
}

export function saveLayout(viewId: string, view: ViewLayout): void {
  try {
    const all = readAll();
    all[viewId] = view;
    localStorage.setItem(STORAGE_KEY, JSON.stringify(all));
  } catch {
    // A full or unavailable storage only loses the remembered layout.
  }
}

export interface LayoutNode {
  id: string;
  width?: number | undefined;
  height?: number | undefined;
}

/** Nodes of one rank with at least this many members are staggered, so a straight link between
 * two of them does not run through the one between. */
const STAGGER_FROM = 3;

/**
 * Automatic layout with dagre, left to right, by hops from `root` (the current node): dagre is
 * given a breadth-first spanning tree of the links (a layered layout of a full mesh would put
 * every node in its own rank and run links through nodes), so direct peers share a column.
 * Columns of three or more are staggered. Positions are top-left corners as React Flow takes them.
 */
export function autoLayout(nodes: readonly LayoutNode[], edges: ReadonlyArray<{ a: string; b: string }>, root?: string): Positions {
  const ids = nodes.map((n) => n.id);
  const present = new Set(ids);
  const neighbours = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (!present.has(e.a) || !present.has(e.b) || e.a === e.b) continue;
    neighbours.get(e.a)!.push(e.b);
    neighbours.get(e.b)!.push(e.a);
  }
  const tree: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const start of root && present.has(root) ? [root, ...ids] : ids) {
    if (seen.has(start)) continue;
    seen.add(start);
    const queue = [start];
    while (queue.length) {
      const id = queue.shift()!;
      for (const next of [...neighbours.get(id)!].sort()) {
        if (seen.has(next)) continue;
        seen.add(next);
        tree.push([id, next]);
        queue.push(next);
      }
    }
  }

  const g = new Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 90, ranksep: 220, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width ?? NODE_WIDTH, height: n.height ?? NODE_HEIGHT });
  for (const [from, to] of tree) g.setEdge(from, to);
  layout(g);

  const positions: Positions = {};
  const ranks = new Map<number, Array<{ id: string; y: number }>>();
  for (const n of nodes) {
    const placed = g.node(n.id) as { x: number; y: number; width: number; height: number } | undefined;
    if (!placed) continue;
    positions[n.id] = { x: Math.round(placed.x - placed.width / 2), y: Math.round(placed.y - placed.height / 2) };
    const rank = Math.round(placed.x);
    ranks.set(rank, [...(ranks.get(rank) ?? []), { id: n.id, y: placed.y }]);
  }
  for (const members of ranks.values()) {
    if (members.length < STAGGER_FROM) continue;
    members.sort((x, y) => x.y - y.y);
    members.forEach((m, i) => {
      if (i % 2 === 1) positions[m.id] = { ...positions[m.id]!, x: positions[m.id]!.x + Math.round(NODE_WIDTH * 0.75) };
    });
  }
  return positions;
}

/**
 * Positions for every node: remembered ones as they are; when none is remembered, an automatic
 * layout; otherwise new nodes in a column to the right of the others (room for a link label).
 */
export function placeNodes(ids: readonly string[], remembered: Positions, edges: ReadonlyArray<{ a: string; b: string }>, root?: string): Positions {
  const known = ids.filter((id) => remembered[id]);
  if (known.length === 0) return autoLayout(ids.map((id) => ({ id })), edges, root);
  const result: Positions = {};
  for (const id of known) result[id] = remembered[id]!;
  const fresh = ids.filter((id) => !remembered[id]);
  if (fresh.length === 0) return result;
  const right = Math.max(...known.map((id) => remembered[id]!.x)) + NODE_WIDTH + 240;
  const top = Math.min(...known.map((id) => remembered[id]!.y));
  fresh.forEach((id, i) => {
    result[id] = { x: right, y: top + i * (NODE_HEIGHT + 50) };
  });
  return result;
}
