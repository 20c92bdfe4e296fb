// The placeholder page: what Peerdesk is, that the full app is coming, and the local node card.
import { NodeCard } from './features/local-node/NodeCard.tsx';

export function App() {
  return (
    <main className="page">
      <header>
        <h1>Peerdesk</h1>
        <p className="lede">
          A desktop tool for running and administering replicated database clusters. The full app
          is coming; for now you can check the node this page is served from.
        </p>
      </header>
      <NodeCard />
    </main>
  );
}
