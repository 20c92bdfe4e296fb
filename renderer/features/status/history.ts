/**
 * The last few minutes of latency and lag (the last, and the node's p50 and p99) per peer and database, sampled from each
 * cluster_status answer. Kept in memory per connection (so switching away and back keeps the
 * charts) and trimmed to the window.
 */
import { socketLagMs, type ClusterStatusResponse } from '../../api/operations/cluster-status.ts';
import { lagPercentiles } from './lag.ts';

export const HISTORY_WINDOW_MS = 5 * 60_000;
/** A bound on samples per connection whatever the refresh rate. */
const MAX_SAMPLES = 400;

export interface Sample {
  time: number;
  /** peer → database → figures (null when the socket is down) */
  peers: Record<string, Record<string, SocketFigures>>;
}

export interface SocketFigures {
  latency: number | null;
  /** the last transaction's lag */
  lag: number | null;
  /** lag percentiles over the node's window (Peerdesk nodes), null when not reported */
  lagP50: number | null;
  lagP99: number | null;
}

const DOWN: SocketFigures = { latency: null, lag: null, lagP50: null, lagP99: null };

const histories = new Map<string, Sample[]>();

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Adds the sample of one answer (once per answer time); returns the connection's history. */
export function recordSample(connectionId: string, time: number, status: ClusterStatusResponse): Sample[] {
  const samples = histories.get(connectionId) ?? [];
  if (samples.at(-1)?.time !== time) {
    const peers: Sample['peers'] = {};
    for (const connection of status.connections ?? []) {
      const perDatabase: Sample['peers'][string] = {};
      for (const socket of connection.database_sockets ?? []) {
        const percentiles = socket.connected ? lagPercentiles(socket) : null;
        perDatabase[socket.database] = socket.connected
          ? { latency: numberOrNull(socket.latency), lag: socketLagMs(socket), lagP50: percentiles?.p50 ?? null, lagP99: percentiles?.p99 ?? null }
          : DOWN;
      }
      peers[connection.name] = perDatabase;
    }
    samples.push({ time, peers });
    const cutoff = time - HISTORY_WINDOW_MS;
    while (samples.length > MAX_SAMPLES || (samples[0] && samples[0].time < cutoff)) samples.shift();
    histories.set(connectionId, samples);
  }
  return samples;
}

export function historyOf(connectionId: string): Sample[] {
  return histories.get(connectionId) ?? [];
}
