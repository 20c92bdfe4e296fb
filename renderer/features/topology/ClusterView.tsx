/**
 * The cluster view: the members of this connection's cluster as a graph (or, for large
 * clusters, a latency matrix), read from one login (crawl.ts: cluster_network, or member URLs
 * the user confirmed), with drag-to-connect (add_node on the source; a dead or one-sided link is
 * repaired the same way), link health, "Remove node from cluster" (remove_node, naming every
 * link it cuts; typed on production), the subscription editor, "Add node by URL", "Log in to
 * all members", the desktop app's local node, and a side panel for the selected node or link.
 * Refreshes through the shared auto-refresh control, and every second while a link is being
 * made or a change settles. Keyboard: arrow keys move the selection between nodes, Delete asks
 * to remove the selected link's far node (after confirming), Escape clears the selection.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { bridge, viaBridge, type LocalNodeStatus } from '../../api/bridge.ts';
import { errorText, isOpsError, messageOf } from '../../api/errors.ts';
import { addNode, type AddNodeRequest } from '../../api/operations/add-node.ts';
import { removeNode } from '../../api/operations/remove-node.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon } from '../../components/Icon.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { useConnections } from '../connections/ConnectionsProvider.tsx';
import { LOCAL_ID, type ConnectionProfile } from '../connections/model.ts';
import { setViewStateOf, useViewState } from '../connections/view-state.ts';
import { RefreshControl } from '../status/RefreshControl.tsx';
import { useAutoRefresh } from '../status/use-auto-refresh.ts';
import { SubscriptionsEditor, type LinkEnd } from '../subscriptions/SubscriptionsEditor.tsx';
import { AddNodeDialog } from './AddNodeDialog.tsx';
import { ConnectDialog } from './ConnectDialog.tsx';
import { crawl } from './crawl.ts';
import { forgetMember, memberClient, useMemberSessionsVersion } from './member-sessions.ts';
import { MembersLoginDialog } from './MembersLoginDialog.tsx';
import { autoLayout, loadLayout, placeNodes, saveLayout, type ViewLayout, type XY } from './layout.ts';
import { LinkPanel } from './LinkPanel.tsx';
import { MatrixView, type StatusMemory } from './MatrixView.tsx';
import { buildTopology, confirmedBy, isLiveLink, linkEnds, linkId, otherEnd, type Health, type Link, type Member } from './model.ts';
import { NodePanel } from './NodePanel.tsx';
import { ShardLegend } from './ShardLegend.tsx';
import { shardColours, shardMark } from './shards.ts';
import './topology.css';
import { pendingHealth, TopologyGraph, type MemberView, type PendingLink, type Selection } from './TopologyGraph.tsx';

type Mode = 'graph' | 'matrix';

/** While a link is being made (or a change settles), the topology is read this often. */
const PENDING_POLL_MS = 1_000;
/** How long after add_node or remove_node the topology keeps being read that often. */
const SETTLE_MS = 10_000;

/** The server's words for a failed add_node, on one line for the link's label. */
function errorLine(error: unknown): string {
  const text = isOpsError(error) ? error.serverMessage : messageOf(error);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

function HealthLegend() {
  const items: Array<[Health['tone'], string]> = [
    ['ok', 'connected'],
    ['warn', 'partial (k of n databases)'],
    ['info', 'copying (with %) or pending'],
    ['warn', 'one-sided (only one side reports it)'],
    ['bad', 'down, or failed'],
  ];
  return (
    <ul className="legend-list">
      {items.map(([tone, word]) => (
        <li key={word}>
          <StatusBadge tone={tone}>{word}</StatusBadge>
        </li>
      ))}
    </ul>
  );
}

/** The desktop app's embedded node: its state, and Start when it is not running. */
function LocalNodeCard() {
  const api = bridge();
  const [status, setStatus] = useState<LocalNodeStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!api) return;
    let live = true;
    viaBridge(api.getLocalNode()).then(
      (info) => live && setStatus(info),
      (failure: unknown) => live && setError(failure),
    );
    const unsubscribe = api.localNode.onState((next) => live && setStatus(next));
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);
  if (!api) return null;
  const running = status?.state === 'running';
  return (
    <div className="local-node-card" data-testid="local-node-card">
      <span>
        <strong>Local node</strong> {status ? <StatusBadge tone={running ? 'ok' : status.state === 'failed' ? 'bad' : 'idle'}>{status.state}</StatusBadge> : null}
      </span>
      <span className="muted small">{running ? 'Drag it onto a member to join the cluster.' : 'Start it to join it to this cluster.'}</span>
      {!running && (
        <button
          type="button"
          className="button-secondary"
          disabled={busy || status?.state === 'starting'}
          onClick={() => {
            setBusy(true);
            setError(null);
            viaBridge(api.localNode.start())
              .then(setStatus, setError)
              .finally(() => setBusy(false));
          }}
        >
          <Icon name="play" /> {busy ? 'Starting…' : 'Start'}
        </button>
      )}
      <ErrorNotice error={error} />
    </div>
  );
}

export function ClusterView(props: { client: OpsClient; profile: ConnectionProfile }) {
  return (
    <ReactFlowProvider>
      <ClusterWorkspace {...props} />
    </ReactFlowProvider>
  );
}

function ClusterWorkspace({ client, profile }: { client: OpsClient; profile: ConnectionProfile }) {
  const { profiles, sessions, clientFor, select } = useConnections();
  const { getNodes } = useReactFlow();
  const [layout, setLayoutState] = useState<ViewLayout>(() => loadLayout(profile.id));
  const [mode, setMode] = useViewState<Mode>(profile.id, 'cluster:mode', 'graph');
  const [intervalMs, setIntervalMs] = useViewState(profile.id, 'cluster:interval', 5_000);
  const [selection, setSelection] = useViewState<Selection>(profile.id, 'cluster:selection', null);
  const [pending, setPending] = useViewState<PendingLink[]>(profile.id, 'cluster:pending', []);
  const [connecting, setConnecting] = useState<{ caller: string; peer: string; swapped: boolean } | null>(null);
  const [adding, setAdding] = useState<{ url?: string } | null>(null);
  const [disconnecting, setDisconnecting] = useState<string | null>(null);
  const [disconnectBusy, setDisconnectBusy] = useState(false);
  const [disconnectError, setDisconnectError] = useState<unknown>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [loggingInMembers, setLoggingInMembers] = useState(false);
  const [fitNonce, setFitNonce] = useState(0);
  const [announcement, setAnnouncement] = useState('');

  const setLayout = useCallback(
    (update: (current: ViewLayout) => ViewLayout) =>
      setLayoutState((current) => {
        const next = update(current);
        saveLayout(profile.id, next);
        return next;
      }),
    [profile.id],
  );

  // ---- reading the cluster ----
  const api = bridge();
  const extras = useMemo(() => {
    const list = [...layout.extras];
    if (api && profile.id !== LOCAL_ID && !list.includes(LOCAL_ID)) list.push(LOCAL_ID);
    return list.filter((id) => id !== profile.id && profiles.some((p) => p.id === id));
  }, [layout.extras, profiles, profile.id, api]);
  const saved = profiles.filter((p) => p.id !== profile.id).map((p) => ({ profile: p, client: clientFor(p.id) }));
  const savedKey = saved.map((s) => `${s.profile.id}@${s.profile.url}@${sessions[s.profile.id]?.since ?? 0}`).join(',');
  const session = sessions[profile.id];
  // Members asked directly only at URLs the user confirmed, with logins of their own (never this session's).
  const memberSessions = useMemberSessionsVersion();
  const memberUrls = layout.memberUrls;
  const confirmed = useMemo(
    () => new Map(Object.entries(memberUrls).map(([name, url]) => [name, { url, client: memberClient(profile.id, name) }])),
    // memberSessions is the store's version: a new member login makes a new map.
    [memberUrls, memberSessions, profile.id],
  );
  const confirmedKey = Object.entries(memberUrls).map(([n, u]) => `${n}=${u}`).join(',');

  const query = useQuery({
    queryKey: [profile.id, 'topology', extras.join(','), savedKey, confirmedKey, memberSessions],
    queryFn: ({ signal }) => crawl({ current: { profile, client }, saved, extras, confirmed, signal }),
    placeholderData: keepPreviousData,
    structuralSharing: false,
    staleTime: 0,
  });
  const { refetch, isFetching, dataUpdatedAt } = query;
  const refresh = useCallback(() => refetch({ cancelRefetch: false }), [refetch]);
  useAutoRefresh({ intervalMs, refresh, isFetching, updatedAt: dataUpdatedAt });

  const snapshot = query.data ?? null;
  const topology = useMemo(() => (snapshot ? buildTopology(snapshot) : null), [snapshot]);
  const now = Date.now();

  // Last known cluster_status of every node, for the matrix's stale cells.
  const memory = useRef(new Map<string, StatusMemory>());
  useEffect(() => {
    for (const r of snapshot?.readings ?? []) if (r.status) memory.current.set(r.id, { status: r.status, at: snapshot!.at });
  }, [snapshot]);

  const profileById = useMemo(() => new Map(profiles.map((p) => [p.id, p])), [profiles]);
  const views = useMemo<MemberView[]>(() => {
    if (!topology) return [];
    const colours = shardColours(topology.members.map((m) => m.shard));
    return topology.members.map((member) => {
      const saved = member.isCurrent ? profile : member.profileId ? profileById.get(member.profileId) : undefined;
      return {
        member,
        label: saved?.name ?? member.name ?? member.id,
        colour: saved?.colour ?? null,
        production: saved?.production ?? false,
        linkCount: topology.links.filter((l) => l.a === member.id || l.b === member.id).length,
        shard: shardMark(member.shard, colours),
      };
    });
  }, [topology, profileById, profile]);
  const viewOf = useCallback((id: string) => views.find((v) => v.member.id === id), [views]);
  const labelOf = useCallback((id: string) => viewOf(id)?.label ?? id, [viewOf]);
  const links = useMemo(() => topology?.links ?? [], [topology]);
  const linkById = useCallback((id: string) => links.find((l) => l.id === id) ?? null, [links]);

  // ---- positions ----
  const idsKey = views.map((v) => v.member.id).join(',');
  const positions = useMemo(
    () => placeNodes(views.map((v) => v.member.id), layout.positions, links, topology?.currentId),
    [idsKey, layout.positions, links],
  );
  useEffect(() => {
    const missing = Object.keys(positions).filter((id) => !layout.positions[id]);
    if (missing.length === 0) return;
    setLayout((current) => ({ ...current, positions: { ...current.positions, ...Object.fromEntries(missing.map((id) => [id, positions[id]!])) } }));
  }, [positions, layout.positions, setLayout]);

  function runAutoLayout() {
    const measured = new Map(getNodes().map((n) => [n.id, n.measured]));
    const placed = autoLayout(
      views.map((v) => ({ id: v.member.id, width: measured.get(v.member.id)?.width, height: measured.get(v.member.id)?.height })),
      links,
      topology?.currentId,
    );
    setLayout((current) => ({ ...current, positions: { ...current.positions, ...placed } }));
    setFitNonce((n) => n + 1);
    setAnnouncement('Nodes laid out automatically.');
  }

  // ---- links being made ----
  useEffect(() => {
    if (!snapshot) return;
    setPending((list) => {
      const next = list.filter((p) => !(p.state === 'confirming' && confirmedBy(snapshot, p.source, p.target)));
      return next.length === list.length ? list : next;
    });
  }, [snapshot, setPending]);

  // After a change, the topology is read every PENDING_POLL_MS until SETTLE_MS have passed, so
  // links show their new state as soon as the nodes report it, not at the next auto-refresh.
  const [settleUntil, setSettleUntil] = useState(0);
  const settle = useCallback(() => {
    setSettleUntil(Date.now() + SETTLE_MS);
    void refetch();
  }, [refetch]);
  const inFlight = pending.some((p) => p.state !== 'failed') || settleUntil > Date.now();
  const fetching = useRef(isFetching);
  fetching.current = isFetching;
  useEffect(() => {
    if (!inFlight) return;
    const timer = setInterval(() => {
      if (settleUntil && Date.now() > settleUntil && !pending.some((p) => p.state !== 'failed')) setSettleUntil(0);
      if (!fetching.current && !document.hidden) void refetch();
    }, PENDING_POLL_MS);
    return () => clearInterval(timer);
  }, [inFlight, refetch, settleUntil, pending]);

  function requestConnect(sourceId: string, targetId: string) {
    const source = viewOf(sourceId);
    const target = viewOf(targetId);
    if (!source || !target || sourceId === targetId) return;
    const usable = (v: MemberView) => v.member.reachable && v.member.reading?.client != null;
    const swapped = !usable(source) && usable(target);
    setConnecting({ caller: swapped ? targetId : sourceId, peer: swapped ? sourceId : targetId, swapped });
  }

  async function runConnect(callerId: string, peerId: string, request: AddNodeRequest) {
    setConnecting(null);
    const callerClient = viewOf(callerId)?.member.reading?.client;
    if (!callerClient) return;
    const id = linkId(callerId, peerId);
    setPending((list) => [...list.filter((p) => p.id !== id), { id, source: callerId, target: peerId, state: 'sending', error: null, errorLine: null, startedAt: Date.now() }]);
    setSelection({ kind: 'link', id });
    setAnnouncement(`Connecting ${labelOf(callerId)} to ${labelOf(peerId)}…`);
    try {
      await addNode(callerClient, request);
      setPending((list) => list.map((p) => (p.id === id ? { ...p, state: 'confirming', startedAt: Date.now() } : p)));
      setAnnouncement(`${labelOf(callerId)} accepted add_node; waiting for the link to connect.`);
      settle();
    } catch (error) {
      setPending((list) => list.map((p) => (p.id === id ? { ...p, state: 'failed', error, errorLine: errorLine(error) } : p)));
      setAnnouncement(`Connecting failed: ${errorText(error)}`);
    }
  }

  function dismissPending(id: string) {
    setPending((list) => list.filter((p) => p.id !== id));
  }

  // ---- disconnect ----
  function requestDisconnect(id: string) {
    if (linkById(id)) {
      setDisconnectError(null);
      setDisconnecting(id);
    } else if (pending.some((p) => p.id === id && p.state === 'failed')) {
      dismissPending(id);
      setSelection(null);
    }
  }

  /** The saved connection whose production flag guards an action run on `member`. */
  function guardingProfile(member: Member | undefined): ConnectionProfile | undefined {
    if (!member) return undefined;
    if (member.isCurrent || member.reading?.access === 'member' || (member.reading?.access === 'network' && !member.profileId)) return profile;
    return member.profileId ? profileById.get(member.profileId) : undefined;
  }

  async function runDisconnect(link: Link) {
    const caller = viewOf(link.caller)?.member;
    const callerClient = caller?.reading?.client;
    if (!callerClient) return;
    setDisconnectBusy(true);
    setDisconnectError(null);
    try {
      await removeNode(callerClient, { hostname: otherEnd(link, link.caller) });
      setDisconnecting(null);
      setSelection(null);
      dismissPending(link.id);
      setAnnouncement(`Removed ${labelOf(otherEnd(link, link.caller))} from the cluster.`);
      settle();
    } catch (error) {
      setDisconnectError(error);
    } finally {
      setDisconnectBusy(false);
    }
  }

  // ---- selection and keyboard ----
  const select_ = useCallback(
    (next: Selection) => {
      setSelection(next);
      if (next?.kind === 'node') setAnnouncement(`Selected ${labelOf(next.id)}.`);
      else if (next?.kind === 'link') {
        const [a, b] = linkEnds(next.id);
        setAnnouncement(`Selected the link ${labelOf(a)} – ${labelOf(b)}.`);
      }
    },
    [setSelection, labelOf],
  );

  function moveSelection(dx: number, dy: number) {
    if (!topology) return;
    const fromId = selection?.kind === 'node' ? selection.id : selection?.kind === 'link' ? linkEnds(selection.id)[0] : null;
    if (!fromId || !positions[fromId]) {
      select_({ kind: 'node', id: topology.currentId });
      return;
    }
    const origin = positions[fromId]!;
    let best: { id: string; score: number } | null = null;
    for (const v of views) {
      const p = positions[v.member.id];
      if (!p || v.member.id === fromId) continue;
      const along = (p.x - origin.x) * dx + (p.y - origin.y) * dy;
      const across = Math.abs((p.x - origin.x) * dy) + Math.abs((p.y - origin.y) * dx);
      if (along <= 0) continue;
      const score = along + 2 * across;
      if (!best || score < best.score) best = { id: v.member.id, score };
    }
    if (best) select_({ kind: 'node', id: best.id });
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const target = event.target as HTMLElement;
    if (target.closest('dialog, input, select, textarea, [role="grid"]')) return;
    if (event.key === 'Delete' || event.key === 'Backspace') {
      if (selection?.kind === 'link') {
        event.preventDefault();
        requestDisconnect(selection.id);
      }
      return;
    }
    if (event.key === 'Escape' && selection) {
      setSelection(null);
      return;
    }
    const step: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = step[event.key];
    if (move && mode === 'graph') {
      event.preventDefault();
      moveSelection(...move);
    }
  }

  // ---- rendering ----
  const selectedMember = selection?.kind === 'node' ? viewOf(selection.id) : undefined;
  const selectedLinkId = selection?.kind === 'link' ? selection.id : null;
  const selectedLink = selectedLinkId ? linkById(selectedLinkId) : null;
  const selectedPending = selectedLinkId ? (pending.find((p) => p.id === selectedLinkId) ?? null) : null;
  const unreachable = views.filter((v) => !v.member.reachable).length;
  const liveLinks = links.filter(isLiveLink).length;
  const membersToLogIn = views.flatMap((v) => (v.member.reading?.access === 'member' && !v.member.reading.client ? [{ member: v.member.id, url: v.member.reading.opsUrl }] : []));
  const defaultUsername = session?.username ?? profile.username ?? '';
  const linkHealthOf = (id: string): Health | null => {
    const p = pending.find((x) => x.id === id);
    if (p) return pendingHealth(p, now);
    return linkById(id)?.health ?? null;
  };

  let panel;
  if (selectedMember) {
    const m = selectedMember.member;
    panel = (
      <NodePanel
        member={m}
        label={selectedMember.label}
        links={links.filter((l) => l.a === m.id || l.b === m.id).map((l) => ({ id: l.id, peer: otherEnd(l, m.id), health: linkHealthOf(l.id) ?? l.health }))}
        savedName={m.profileId ? (profileById.get(m.profileId)?.name ?? null) : null}
        removable={!!m.profileId && layout.extras.includes(m.profileId)}
        labelOf={labelOf}
        onSelectLink={(id) => select_({ kind: 'link', id })}
        onOpen={(view) => {
          if (!m.profileId) return;
          setViewStateOf(m.profileId, 'view', view);
          if (m.profileId !== profile.id) select(m.profileId);
        }}
        onLogIn={() => setAdding({ url: m.reading?.opsUrl || m.reading?.suggestedUrl || (m.profileId ? profileById.get(m.profileId)?.url : undefined) || profile.url || location.origin })}
        onConfirmUrl={(url) => {
          // A new URL drops the session held for the old one: a login goes only where it was typed.
          if (layout.memberUrls[m.id] !== url) forgetMember(profile.id, m.id);
          setLayout((current) => ({ ...current, memberUrls: { ...current.memberUrls, [m.id]: url } }));
          setAnnouncement(`Operations API URL of ${m.id} confirmed: ${url}.`);
        }}
        onRemoveFromView={() => {
          setLayout((current) => ({ ...current, extras: current.extras.filter((x) => x !== m.profileId) }));
          setSelection(null);
        }}
      />
    );
  } else if (selectedLinkId && (selectedLink || selectedPending)) {
    panel = (
      <LinkPanel
        id={selectedLinkId}
        link={selectedLink}
        pending={selectedPending}
        health={linkHealthOf(selectedLinkId)!}
        labelOf={labelOf}
        readable={(id) => !!viewOf(id)?.member.reachable}
        onEditSubscriptions={() => setEditing(selectedLinkId)}
        onDisconnect={() => requestDisconnect(selectedLinkId)}
        onRetry={() => selectedPending && requestConnect(selectedPending.source, selectedPending.target)}
        onDismiss={() => {
          dismissPending(selectedLinkId);
          setSelection(null);
        }}
      />
    );
  } else {
    panel = (
      <section className="side-panel" aria-labelledby="cluster-help-title">
        <h3 id="cluster-help-title">Working with the cluster</h3>
        <ul className="help-list small">
          <li>Drag from a node's handle (the dot on its right edge) to another node to connect them.</li>
          <li>Select a link for its databases, errors, subscriptions and Remove node from cluster; a node for its hdb_nodes record.</li>
          <li>Keyboard: focus the graph, then arrow keys move between nodes; Delete asks to remove the selected link's far node from the cluster; Escape clears.</li>
          <li>A one-sided or dead link does not block a new one: drag between the two nodes again to repair it.</li>
        </ul>
        <h4>Link health</h4>
        <HealthLegend />
        <p className="field-hint">Latency and lag are on each link; an arrow means replication is one-way (subscriptions).</p>
      </section>
    );
  }

  const disconnectLink = disconnecting ? linkById(disconnecting) : null;
  const editLink = editing ? linkById(editing) : null;
  const connectCaller = connecting ? viewOf(connecting.caller) : undefined;
  const connectPeer = connecting ? viewOf(connecting.peer) : undefined;

  return (
    <div className="cluster-view" onKeyDown={onKeyDown}>
      <div className="view-toolbar">
        <div>
          <h3>Cluster</h3>
          {topology && (
            <span className="muted small" data-testid="cluster-summary" title={`${views.length} nodes · ${liveLinks} links${unreachable > 0 ? ` · ${unreachable} not reachable` : ''}`}>
              {views.length} node{views.length === 1 ? '' : 's'} · {liveLinks} link{liveLinks === 1 ? '' : 's'}
              {unreachable > 0 ? ` · ${unreachable} not reachable` : ''}
            </span>
          )}
        </div>
        <div className="row wrap cluster-actions">
          <div className="segmented" role="radiogroup" aria-label="Show as">
            {(['graph', 'matrix'] as const).map((m) => (
              <label key={m} className={mode === m ? 'active' : ''}>
                <input type="radio" name="cluster-mode" checked={mode === m} onChange={() => setMode(m)} />
                {m === 'graph' ? 'Graph' : 'Matrix'}
              </label>
            ))}
          </div>
          <button type="button" className="button-secondary" onClick={() => setAdding({})}>
            <Icon name="plus" /> Add node by URL
          </button>
          {membersToLogIn.length > 0 && (
            <button type="button" className="button-secondary" onClick={() => setLoggingInMembers(true)}>
              Log in to all members
            </button>
          )}
          {/* Always there (disabled in the matrix), so the toolbar does not jump between Graph and Matrix. */}
          <button type="button" className="button-secondary" onClick={runAutoLayout} disabled={mode !== 'graph' || views.length === 0} title={mode === 'graph' ? undefined : 'Lays out the graph'}>
            Auto layout
          </button>
          <RefreshControl intervalMs={intervalMs} onIntervalChange={setIntervalMs} onRefreshNow={() => void refresh()} isFetching={isFetching} updatedAt={dataUpdatedAt} />
        </div>
      </div>
      <LocalNodeCard />
      <ErrorNotice error={query.error} onRetry={() => void refetch()} />
      {query.isPending && !query.error && <p className="muted pad">Reading the cluster…</p>}
      {topology && (
        <div className="cluster-body">
          <div
            className={`cluster-canvas ${mode}`}
            tabIndex={mode === 'graph' ? 0 : -1}
            role={mode === 'graph' ? 'group' : undefined}
            aria-label={mode === 'graph' ? 'Cluster graph. Arrow keys move the selection between nodes; Delete asks to remove the selected link\'s far node from the cluster.' : undefined}
            data-testid="cluster-canvas"
          >
            {mode === 'graph' && <ShardLegend shards={views.map((v) => v.member.shard)} />}
            {mode === 'graph' ? (
              <TopologyGraph
                members={views}
                links={links}
                pending={pending}
                positions={positions}
                selection={selection}
                fitKey={`${profile.id}:${fitNonce}`}
                now={pending.length > 0 ? now : 0}
                onSelect={select_}
                onMoved={(id: string, position: XY) => setLayout((current) => ({ ...current, positions: { ...current.positions, [id]: position } }))}
                onConnectRequest={requestConnect}
              />
            ) : (
              <MatrixView
                members={views}
                statusOf={(id) => viewOf(id)?.member.reading?.status ?? null}
                memory={memory.current}
                selection={selection}
                now={now}
                onSelect={select_}
              />
            )}
          </div>
          <aside className="cluster-panel" aria-label="Selection">
            {panel}
          </aside>
        </div>
      )}
      <p className="visually-hidden" aria-live="polite" data-testid="cluster-announcement">
        {announcement}
      </p>

      {connecting && connectCaller && connectPeer && (
        <ConnectDialog
          caller={connectCaller}
          peer={connectPeer}
          swapped={connecting.swapped}
          defaultUsername={defaultUsername}
          onSubmit={(request) => void runConnect(connecting.caller, connecting.peer, request)}
          onCancel={() => setConnecting(null)}
        />
      )}
      {adding && (
        <AddNodeDialog
          {...(adding.url ? { initialUrl: adding.url } : {})}
          defaultUsername={defaultUsername}
          onCancel={() => setAdding(null)}
          onAdded={(added) => {
            setAdding(null);
            if (added.id !== profile.id) setLayout((current) => ({ ...current, extras: current.extras.includes(added.id) ? current.extras : [...current.extras, added.id] }));
            setAnnouncement(`${added.name} added to the view.`);
          }}
        />
      )}
      {disconnectLink &&
        (() => {
          const removed = otherEnd(disconnectLink, disconnectLink.caller);
          const cut = links.filter((l) => l.a === removed || l.b === removed);
          return (
            <ConfirmDialog
              title={`Remove ${labelOf(removed)} from the cluster?`}
              confirmLabel="Remove node from cluster"
              requireTyping={(() => {
                const guard = guardingProfile(viewOf(disconnectLink.caller)?.member);
                return guard?.production ? guard.name : undefined;
              })()}
              busy={disconnectBusy}
              error={disconnectError}
              onCancel={() => setDisconnecting(null)}
              onConfirm={() => void runDisconnect(disconnectLink)}
            >
              <p>
                <code>remove_node</code> runs on <strong>{labelOf(disconnectLink.caller)}</strong> for <strong>{removed}</strong>: it deletes that node's hdb_nodes
                record, which replicates, so every member stops replicating with it. These links are cut:
              </p>
              <ul className="panel-list small" data-testid="links-to-cut">
                {cut.map((l) => (
                  <li key={l.id}>
                    {labelOf(l.a)} – {labelOf(l.b)} <StatusBadge tone={l.health.tone}>{l.health.word}</StatusBadge>
                  </li>
                ))}
              </ul>
              <p className="field-hint">Data already copied stays where it is. Peerdesk cannot cut one link alone; subscriptions stop data on a link without removing anyone.</p>
            </ConfirmDialog>
          );
        })()}
      {loggingInMembers && membersToLogIn.length > 0 && (
        <MembersLoginDialog
          viewId={profile.id}
          members={membersToLogIn}
          defaultUsername={defaultUsername}
          onCancel={() => setLoggingInMembers(false)}
          onDone={() => {
            setLoggingInMembers(false);
            setAnnouncement('Logged in to the members.');
          }}
        />
      )}
      {editLink &&
        (() => {
          const end = (id: string): LinkEnd => {
            const m = viewOf(id)?.member;
            return { name: id, label: labelOf(id), client: m?.reachable ? (m.reading?.client ?? null) : null };
          };
          const first = end(editLink.caller);
          const second = end(otherEnd(editLink, editLink.caller));
          return (
            <SubscriptionsEditor
              ends={[end(editLink.a), end(editLink.b)]}
              editable={[first, second].filter((e) => e.client !== null)}
              onClose={() => setEditing(null)}
              onSaved={() => {
                setEditing(null);
                setAnnouncement('Subscriptions saved.');
                void refetch();
              }}
            />
          );
        })()}
    </div>
  );
}
