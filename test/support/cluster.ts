/**
 * The cluster harness every multi-node test uses: N real nodes (child processes), each on its
 * own loopback address and temp root, replicating over `replication.port`; helpers that wait
 * on cluster conditions with bounds and read a table's full state (keys, records, versions).
 */
import fs from 'node:fs';
import { freshLoopbackAddress, NodeProcess, waitFor, type NodeProcessOptions } from './node-process.ts';

export const REPLICATION_PORT = 9930;
/** The TLS replication port of nodes started with `secure: true` (certificate-authenticated). */
export const SECURE_REPLICATION_PORT = 9933;

export interface ClusterNodeOptions extends NodeProcessOptions {
  /** routes to configure (host names of other nodes) */
  routes?: string[];
  /** replication.databases */
  databases?: string[];
  /** logging.auditRetention, e.g. "2s" for resync tests */
  retention?: string;
  /** replicate over TLS with certificates on SECURE_REPLICATION_PORT only (no insecure port) */
  secure?: boolean;
}

/**
 * Flags that make a node replicate over plain WebSocket on the shared replication port, or with
 * `secure`, over TLS WebSocket on the secure port only (routes then default to wss://).
 */
export function replicationArgs(options: ClusterNodeOptions): string[] {
  const ports = options.secure
    ? ['--REPLICATION_PORT=null', `--REPLICATION_SECUREPORT=${SECURE_REPLICATION_PORT}`]
    : [`--REPLICATION_PORT=${REPLICATION_PORT}`, '--REPLICATION_SECUREPORT=null'];
  const args = [...ports, '--LOGGING_LEVEL=info'];
  if (options.routes?.length) args.push(`--REPLICATION_ROUTES=${JSON.stringify(options.routes)}`);
  if (options.databases) args.push(`--REPLICATION_DATABASES=${JSON.stringify(options.databases)}`);
  if (options.retention) args.push(`--LOGGING_AUDITRETENTION=${options.retention}`);
  return [...args, ...(options.args ?? [])];
}

export async function startClusterNode(options: ClusterNodeOptions = {}): Promise<NodeProcess> {
  return NodeProcess.start({ ...options, args: replicationArgs(options) });
}

export class Cluster {
  constructor(readonly nodes: NodeProcess[]) {}

  /** `count` nodes; with `mesh`, each has routes to all the others. */
  static async start(count: number, options: { mesh?: boolean; secure?: boolean; perNode?: (index: number, hosts: string[]) => ClusterNodeOptions } = {}): Promise<Cluster> {
    const hosts = Array.from({ length: count }, () => freshLoopbackAddress());
    const started = await Promise.allSettled(
      hosts.map((host, i) => {
        const extra = options.perNode?.(i, hosts) ?? {};
        const routes = options.mesh ? hosts.filter((h) => h !== host) : extra.routes;
        return startClusterNode({ ...(options.secure ? { secure: true } : {}), ...extra, host, ...(routes ? { routes } : {}) });
      }),
    );
    const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) {
      // A node that failed to start must not leave the others running: the test process would never exit.
      await Promise.all(nodes.map((node) => node.cleanup()));
      throw failure.reason;
    }
    return new Cluster(nodes);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.cleanup()));
  }
}

/** Every record of a table on a node, keyed by JSON of its primary key. */
export async function tableState(node: NodeProcess, database: string, table: string, primaryKey = 'id'): Promise<Map<string, Record<string, unknown>>> {
  const response = await node.op<Array<Record<string, unknown>>>({ operation: 'search_by_value', database, table, attribute: primaryKey, value: '*' });
  if (response.status !== 200) throw new Error(`${node.host} ${database}.${table}: ${response.status} ${JSON.stringify(response.body)}`);
  return new Map(response.body.map((record) => [JSON.stringify(record[primaryKey]), record]));
}

/** Wait until every node holds exactly the same records (same keys, same contents) for a table. */
export async function waitForConvergence(nodes: NodeProcess[], database: string, table: string, options: { primaryKey?: string; timeoutMs?: number; expectKeys?: string[] } = {}): Promise<Map<string, Record<string, unknown>>> {
  let last = '';
  return waitFor(
    `${database}.${table} to converge on ${nodes.map((n) => n.host).join(', ')} (${last})`,
    async () => {
      const states = await Promise.all(nodes.map((node) => tableState(node, database, table, options.primaryKey).catch(() => undefined)));
      if (states.some((s) => s === undefined)) return undefined;
      const serialized = states.map((s) => JSON.stringify([...s!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
      last = states.map((s, i) => `${nodes[i]!.host}: ${s!.size} keys`).join('; ');
      if (!serialized.every((s) => s === serialized[0])) return undefined;
      if (options.expectKeys) {
        const keys = [...states[0]!.keys()].sort();
        if (JSON.stringify(keys) !== JSON.stringify([...options.expectKeys].sort())) return undefined;
      }
      return states[0];
    },
    options.timeoutMs ?? 30_000,
    100,
  );
}

/** Wait until `node` reports an open link to `peer` for `database` in cluster_status. */
export async function waitForLink(node: NodeProcess, peer: string, database: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${node.host} linked to ${peer} for ${database}`, async () => {
    const status = await node.ok<{ connections: Array<{ name: string; database_sockets: Array<{ database: string; connected: boolean }> }> }>({ operation: 'cluster_status' });
    return status.connections.some((c) => c.name === peer && c.database_sockets.some((s) => s.database === database && s.connected));
  }, timeoutMs);
}

export { waitFor };

/**
 * Wait until cluster_verify on every node says all its linked nodes hold the same keys with
 * the same versions for the table (digests of (key, version, origin) agree).
 */
export async function waitForVersionsAgree(nodes: NodeProcess[], database: string, table: string, timeoutMs = 30_000): Promise<string> {
  let last = '';
  return waitFor(`versions of ${database}.${table} to agree (${last})`, async () => {
    const digests = new Set<string>();
    for (const node of nodes) {
      const result = await node.ok<{ agree: boolean; tables: Array<{ nodes: Array<{ node: string; digest?: string }> }> }>({ operation: 'cluster_verify', database, table });
      last = JSON.stringify(result.tables[0]?.nodes ?? result);
      if (!result.agree) return undefined;
      for (const entry of result.tables[0]?.nodes ?? []) if (entry.digest) digests.add(entry.digest);
    }
    return digests.size === 1 ? [...digests][0] : undefined;
  }, timeoutMs, 200);
}

// ---- larger clusters (ten-node mesh test, the scale bench) ----

/** The cluster_status fields the mesh helpers read. */
interface MeshStatus {
  connections: Array<{ name: string; database_sockets: Array<{ database: string; connected: boolean }> }>;
}

/**
 * Whether `status` shows a connected socket to each of `peers` for every one of `databases`
 * (the socket list of a connection must hold all of them).
 */
export function linkedToAll(status: MeshStatus, peers: readonly string[], databases: readonly string[]): boolean {
  return peers.every((peer) => {
    const connection = status.connections.find((c) => c.name === peer);
    return !!connection && databases.every((database) => connection.database_sockets.some((s) => s.database === database && s.connected));
  });
}

/**
 * Wait until every node reports a connected link to every other node for each of `databases`:
 * a full mesh, as each member sees it. Returns the milliseconds it took.
 */
export async function waitForFullMesh(nodes: readonly NodeProcess[], databases: readonly string[], timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  const missing = new Map<string, number>();
  await waitFor(
    `a full mesh of ${nodes.length} nodes for ${databases.join(', ')} (links missing per node: ${JSON.stringify(Object.fromEntries(missing))})`,
    async () => {
      const statuses = await Promise.all(nodes.map((node) => node.ok<MeshStatus>({ operation: 'cluster_status' })));
      statuses.forEach((status, i) => {
        const peers = nodes.filter((_, j) => j !== i).map((n) => n.host);
        missing.set(nodes[i]!.host, peers.filter((peer) => !linkedToAll(status, [peer], databases)).length);
      });
      return [...missing.values()].every((n) => n === 0);
    },
    timeoutMs,
    200,
  );
  return Date.now() - started;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
export const PROC_TICKS_PER_S = 100;

/**
 * CPU seconds (user + system) a running node has used so far, from /proc/<pid>/stat; undefined
 * when it is not running. CPU time, not wall time: it is what the node costs on a loaded machine.
 */
export function cpuSeconds(node: NodeProcess): number | undefined {
  const pid = node.pid;
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / PROC_TICKS_PER_S;
  } catch {
    return undefined;
  }
}
