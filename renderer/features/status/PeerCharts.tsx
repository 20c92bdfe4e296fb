/** Latency and lag over the last minutes, per peer, one line per database. */
import { LineChart, type ChartSeries } from '../../components/LineChart.tsx';
import { HISTORY_WINDOW_MS, type Sample } from './history.ts';

function seriesOf(samples: readonly Sample[], peer: string, figure: 'latency' | 'lag'): ChartSeries[] {
  const databases = new Set<string>();
  for (const sample of samples) for (const database of Object.keys(sample.peers[peer] ?? {})) databases.add(database);
  return [...databases].sort().map((database) => ({
    name: database,
    points: samples.map((sample) => [sample.time, sample.peers[peer]?.[database]?.[figure] ?? null] as const),
  }));
}

export function PeerCharts({ peers, samples, now }: { peers: string[]; samples: readonly Sample[]; now: number }) {
  const domain = [now - HISTORY_WINDOW_MS, now] as const;
  return (
    <div className="chart-grid-layout">
      {peers.map((peer) => (
        <section key={peer} className="card chart-card" aria-label={`Charts for ${peer}`}>
          <h4>{peer}</h4>
          <div className="chart-pair">
            <LineChart title="Latency" unit="ms" series={seriesOf(samples, peer, 'latency')} domain={domain} windowLabel="5 min" />
            <LineChart title="Lag" unit="ms" series={seriesOf(samples, peer, 'lag')} domain={domain} windowLabel="5 min" />
          </div>
        </section>
      ))}
    </div>
  );
}
