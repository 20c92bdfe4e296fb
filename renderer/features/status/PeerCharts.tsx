/**
 * Latency and lag over the last minutes, per peer, one line per database; the lag chart draws the
 * node's p50 and p99 per database where it reports them (Peerdesk), else the last lag.
 */
import { LineChart, type ChartSeries } from '../../components/LineChart.tsx';
import { HISTORY_WINDOW_MS, type Sample, type SocketFigures } from './history.ts';

function databasesOf(samples: readonly Sample[], peer: string): string[] {
  const databases = new Set<string>();
  for (const sample of samples) for (const database of Object.keys(sample.peers[peer] ?? {})) databases.add(database);
  return [...databases].sort();
}

function line(samples: readonly Sample[], peer: string, database: string, figure: keyof SocketFigures, name = database): ChartSeries {
  return { name, points: samples.map((sample) => [sample.time, sample.peers[peer]?.[database]?.[figure] ?? null] as const) };
}

function latencySeries(samples: readonly Sample[], peer: string): ChartSeries[] {
  return databasesOf(samples, peer).map((database) => line(samples, peer, database, 'latency'));
}

function lagSeries(samples: readonly Sample[], peer: string): ChartSeries[] {
  return databasesOf(samples, peer).flatMap((database) => {
    const hasPercentiles = samples.some((sample) => sample.peers[peer]?.[database]?.lagP50 != null);
    if (!hasPercentiles) return [line(samples, peer, database, 'lag')];
    return [line(samples, peer, database, 'lagP50', `${database} p50`), line(samples, peer, database, 'lagP99', `${database} p99`)];
  });
}

export function PeerCharts({ peers, samples, now }: { peers: string[]; samples: readonly Sample[]; now: number }) {
  const domain = [now - HISTORY_WINDOW_MS, now] as const;
  return (
    <div className="chart-grid-layout">
      {peers.map((peer) => (
        <section key={peer} className="card chart-card" aria-label={`Charts for ${peer}`}>
          <h4>{peer}</h4>
          <div className="chart-pair">
            <LineChart title="Latency" unit="ms" series={latencySeries(samples, peer)} domain={domain} windowLabel="5 min" />
            <LineChart title="Lag" unit="ms" series={lagSeries(samples, peer)} domain={domain} windowLabel="5 min" />
          </div>
        </section>
      ))}
    </div>
  );
}
