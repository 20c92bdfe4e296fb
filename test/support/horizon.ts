/**
 * Bringing a node back past its peers' tombstone horizon (SPEC 4.6), for the horizon tests and
 * the app's e2e test: three meshed nodes with short log and tombstone retentions; C is stopped,
 * A deletes a row, A and B forget the delete (their horizons move), C restarts and halts.
 */
import { Cluster, waitFor, waitForConvergence, waitForLink } from './cluster.ts';
import type { NodeProcess } from './node-process.ts';

export const HORIZON_DB = 'dev';
export const HORIZON_TABLE = 'row';
export const HORIZON_LOG_RETENTION = '500ms';
export const HORIZON_TOMBSTONE_RETENTION = '5s';

export interface HorizonSocket {
  database: string;
  connected: boolean;
  lastReceivedStatus?: string;
  halt_reason?: string;
  halted_since?: string;
}

/** A, B, C meshed, `dev.row` holding `keys` everywhere. */
export async function startHorizonCluster(keys: string[]): Promise<Cluster> {
  const cluster = await Cluster.start(3, {
    mesh: true,
    perNode: () => ({ retention: HORIZON_LOG_RETENTION, args: [`--REPLICATION_TOMBSTONERETENTION=${HORIZON_TOMBSTONE_RETENTION}`] }),
  });
  const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
  await a.ok({ operation: 'create_table', database: HORIZON_DB, table: HORIZON_TABLE, primary_key: 'id' });
  for (const [x, y] of [[a, b], [a, c], [b, c]] as const) {
    await waitForLink(x, y.host, HORIZON_DB);
    await waitForLink(y, x.host, HORIZON_DB);
  }
  await waitFor(`${HORIZON_DB}.${HORIZON_TABLE} on B and C`, async () =>
    (await Promise.all([b, c].map((n) => n.op({ operation: 'describe_table', database: HORIZON_DB, table: HORIZON_TABLE })))).every((r) => r.status === 200),
  );
  await a.ok({ operation: 'insert', database: HORIZON_DB, table: HORIZON_TABLE, records: keys.map((id) => ({ id, note: `row ${id}` })) });
  await waitForConvergence(cluster.nodes, HORIZON_DB, HORIZON_TABLE, { expectKeys: keys.map((k) => JSON.stringify(k)) });
  return cluster;
}

export async function socketTo(node: NodeProcess, peer: string): Promise<HorizonSocket | undefined> {
  const status = await node.ok<{ connections: Array<{ name: string; database_sockets: HorizonSocket[] }> }>({ operation: 'cluster_status' });
  return status.connections.find((c) => c.name === peer)?.database_sockets.find((s) => s.database === HORIZON_DB);
}

/** This node's tombstone horizon of the database (0: it forgot no delete yet). */
export async function horizonOf(node: NodeProcess): Promise<number> {
  const result = await node.ok<{ databases: Array<{ database: string; tombstone_horizon: number }> }>({ operation: 'cluster_horizon', database: HORIZON_DB });
  return result.databases[0]?.tombstone_horizon ?? 0;
}

/** Stop C, delete `key` on A, wait until A and B forgot the delete, start C and wait for its halt. */
export async function awayPastHorizon(cluster: Cluster, key: string): Promise<void> {
  const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
  await c.stop();
  const before = await Promise.all([horizonOf(a), horizonOf(b)]);
  await a.ok({ operation: 'delete', database: HORIZON_DB, table: HORIZON_TABLE, ids: [key] });
  await waitFor(`A and B to forget the delete of ${key}`, async () => (await horizonOf(a)) > before[0]! && (await horizonOf(b)) > before[1]!, 30_000, 200);
  await c.startProcess();
  await waitFor('C to halt replication', async () => (await socketTo(c, a.host))?.lastReceivedStatus === 'Halted', 20_000, 100);
  // A link can read Halted (held by the peer's side) a moment before C has recorded its own
  // halt and can list its rows: wait for what the tests then ask of cluster_horizon.
  await waitFor('C to list the database as halted', async () => {
    const horizon = await c.ok<{ halted: Array<{ database: string }> }>({ operation: 'cluster_horizon' });
    return horizon.halted.some((h) => h.database === HORIZON_DB);
  }, 20_000, 100);
}
