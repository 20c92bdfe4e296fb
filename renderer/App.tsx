/**
 * The app shell: the connections sidebar, the active connection's header band in its colour,
 * and its workspace (Tables, Cluster, Status, Certificates, Node), or its login form. Each connection keeps its own
 * view, table and page while another is shown.
 */
import { lazy, Suspense, type KeyboardEvent } from 'react';
import type { OpsClient } from './api/ops-client.ts';
import { EmptyState } from './components/EmptyState.tsx';
import { ConnectionHeader } from './features/connections/ConnectionHeader.tsx';
import { useConnections } from './features/connections/ConnectionsProvider.tsx';
import { LoginForm } from './features/connections/LoginForm.tsx';
import type { ConnectionProfile } from './features/connections/model.ts';
import { Sidebar } from './features/connections/Sidebar.tsx';
import { useViewState } from './features/connections/view-state.ts';
import { NodePanel } from './features/local-node/NodePanel.tsx';
import { CertificatesView } from './features/certificates/CertificatesView.tsx';
import { HorizonBanner } from './features/horizon/HorizonBanner.tsx';
import { StatusView } from './features/status/StatusView.tsx';
import { TablesView } from './features/tables/TablesView.tsx';

// The cluster view brings React Flow and dagre: loaded when the Cluster tab is first opened.
const ClusterView = lazy(() => import('./features/topology/ClusterView.tsx').then((module) => ({ default: module.ClusterView })));

const VIEWS = [
  { id: 'tables', label: 'Tables' },
  { id: 'cluster', label: 'Cluster' },
  { id: 'status', label: 'Status' },
  { id: 'certificates', label: 'Certificates' },
  { id: 'node', label: 'Node' },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

function Workspace({ client, profile }: { client: OpsClient; profile: ConnectionProfile }) {
  const [view, setView] = useViewState<ViewId>(profile.id, 'view', 'tables');

  function onTabKey(event: KeyboardEvent<HTMLDivElement>) {
    const index = VIEWS.findIndex((v) => v.id === view);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = VIEWS[(index + step + VIEWS.length) % VIEWS.length]!;
    setView(next.id);
    document.getElementById(`tab-${next.id}`)?.focus();
  }

  return (
    <>
      <div className="tabs" role="tablist" aria-label="Views" onKeyDown={onTabKey}>
        {VIEWS.map((v) => (
          <button
            key={v.id}
            id={`tab-${v.id}`}
            type="button"
            role="tab"
            aria-selected={view === v.id}
            aria-controls="view-panel"
            tabIndex={view === v.id ? 0 : -1}
            onClick={() => setView(v.id)}
          >
            {v.label}
          </button>
        ))}
      </div>
      <div id="view-panel" role="tabpanel" aria-labelledby={`tab-${view}`} className="view-panel">
        <HorizonBanner client={client} />
        {view === 'tables' && <TablesView client={client} profile={profile} />}
        {view === 'cluster' && (
          <Suspense fallback={<p className="muted pad">Loading the cluster view…</p>}>
            <ClusterView client={client} profile={profile} />
          </Suspense>
        )}
        {view === 'status' && <StatusView client={client} profile={profile} />}
        {view === 'certificates' && <CertificatesView client={client} profile={profile} />}
        {view === 'node' && <NodePanel client={client} profile={profile} />}
      </div>
    </>
  );
}

export function App() {
  const { ready, active, clientFor, localNote } = useConnections();
  const client = active ? clientFor(active.id) : null;
  return (
    <div className="app">
      <Sidebar />
      <main className="main">
        {!ready ? (
          <p className="muted pad">Loading connections…</p>
        ) : !active ? (
          <EmptyState title="No connection yet">
            {localNote ?? ''} Add a node with the + button beside “Connections”: give it a name, its operations API URL (for example http://127.0.0.1:9925) and
            log in.
          </EmptyState>
        ) : (
          <>
            <ConnectionHeader profile={active} />
            {client ? <Workspace key={active.id} client={client} profile={active} /> : <LoginForm key={active.id} profile={active} />}
          </>
        )}
      </main>
    </div>
  );
}
