/**
 * Reads a cluster from the current connection outwards: cluster_status and hdb_nodes of the
 * current node (its failure fails the whole read), then of every node it mentions and of the
 * saved connections brought into view, level by level, in parallel. A member is asked through
 * a saved connection whose URL names its host, else at http(s)://<member host>:<the current
 * connection's port> with the current connection's credentials. A node that cannot be read
 * is a reading with its error ("not reachable"), never a failure of the whole view.
 */
import type { ClusterStatusResponse } from '../../api/operations/cluster-status.ts';
import { OpsClient, type OpsAuth } from '../../api/ops-client.ts';
import type { ConnectionProfile } from '../connections/model.ts';
import { nodeLabel } from '../connections/model.ts';
import { readNodeRows } from './hdb-nodes.ts';
import type { NodeReading, Snapshot } from './model.ts';

/** Per-member request timeout: a dead member must not hold the view for long. */
export const MEMBER_TIMEOUT_MS = 5_000;
/** At most this many nodes are read per refresh. */
export const MAX_NODES = 64;

export interface SavedConnection {
  profile: ConnectionProfile;
  /** null when it has no session (not logged in) */
  client: OpsClient | null;
}

export interface CrawlInput {
  current: { profile: ConnectionProfile; client: OpsClient };
  /** every saved connection other than the current one */
  saved: SavedConnection[];
  /** saved connections brought into this view (profile ids), read even when not members */
  extras: readonly string[];
  /** credentials to try on members without a saved connection; null = do not try */
  memberAuth: OpsAuth | null;
  signal?: AbortSignal | undefined;
}

export function hostOfUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return null;
  }
}

/** http(s)://<host>:<port of the current connection>, the guess for a member's operations API. */
export function derivedOpsUrl(currentUrl: string, host: string): string | null {
  try {
    const url = new URL(currentUrl);
    url.hostname = host.includes(':') ? `[${host}]` : host;
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}

async function readNode(client: OpsClient, signal: AbortSignal | undefined, timeoutMs?: number): Promise<{ status: ClusterStatusResponse; rows: NodeReading['rows'] }> {
  const options = { signal, ...(timeoutMs ? { timeoutMs } : {}) };
  const status = await client.call<ClusterStatusResponse>('cluster_status', {}, options);
  if (!status || typeof status !== 'object' || typeof status.node_name !== 'string' || !Array.isArray(status.connections)) {
    throw new Error('cluster_status did not answer with node_name and connections');
  }
  // Records are a detail: a node that does not let this user read them is still in the graph.
  const rows = await readNodeRows(client, status.node_name, options).catch(() => null);
  return { status, rows };
}

export async function crawl(input: CrawlInput): Promise<Snapshot> {
  const { current, saved, extras, memberAuth, signal } = input;
  const readings = new Map<string, NodeReading>();
  const attempted = new Set<string>();

  const first = await readNode(current.client, signal);
  const currentId = first.status.node_name;
  readings.set(currentId, {
    id: currentId,
    name: currentId,
    access: 'current',
    profileId: current.profile.id,
    opsUrl: current.profile.url,
    client: current.client,
    status: first.status,
    rows: first.rows,
    error: null,
    note: null,
  });
  attempted.add(currentId);

  const record = (reading: NodeReading) => {
    if (!readings.has(reading.id)) readings.set(reading.id, reading);
  };

  async function attempt(base: Omit<NodeReading, 'id' | 'name' | 'status' | 'rows' | 'error' | 'note'>, fallbackId: string): Promise<void> {
    if (!base.client) return;
    try {
      const { status, rows } = await readNode(base.client, signal, MEMBER_TIMEOUT_MS);
      record({ ...base, id: status.node_name, name: status.node_name, status, rows, error: null, note: null });
    } catch (error) {
      if (signal?.aborted) throw error;
      record({ ...base, id: fallbackId, name: fallbackId.startsWith('conn:') ? null : fallbackId, status: null, rows: null, error, note: null });
    }
  }

  // Saved connections brought into view.
  await Promise.all(
    saved
      .filter((s) => extras.includes(s.profile.id))
      .map(async ({ profile, client }) => {
        attempted.add(`conn:${profile.id}`);
        if (!client) {
          record({ id: `conn:${profile.id}`, name: null, access: 'saved', profileId: profile.id, opsUrl: profile.url, client: null, status: null, rows: null, error: null, note: `Not logged in to ${profile.name}.` });
          return;
        }
        await attempt({ access: 'saved', profileId: profile.id, opsUrl: profile.url, client }, `conn:${profile.id}`);
      }),
  );

  // Members, level by level, until nobody mentions a node not tried yet.
  for (let level = 0; level < MAX_NODES && readings.size < MAX_NODES; level++) {
    const hosts = new Map<string, string>();
    for (const r of readings.values()) {
      for (const c of r.status?.connections ?? []) hosts.set(c.name, hostOfUrl(c.url) ?? c.name);
      for (const row of r.rows ?? []) if (!hosts.has(row.name)) hosts.set(row.name, hostOfUrl(row.url) ?? row.name);
    }
    const fresh = [...hosts.entries()].filter(([name]) => !attempted.has(name) && !readings.has(name)).slice(0, MAX_NODES - readings.size);
    if (fresh.length === 0) break;
    await Promise.all(
      fresh.map(async ([name, host]) => {
        attempted.add(name);
        const match = saved.find((s) => {
          const savedHost = hostOfUrl(s.profile.url);
          return savedHost === name || savedHost === host;
        });
        if (match) {
          if (!match.client) {
            record({ id: name, name, access: 'saved', profileId: match.profile.id, opsUrl: match.profile.url, client: null, status: null, rows: null, error: null, note: `Not logged in to ${match.profile.name}.` });
            return;
          }
          await attempt({ access: 'saved', profileId: match.profile.id, opsUrl: match.profile.url, client: match.client }, name);
          return;
        }
        const opsUrl = derivedOpsUrl(current.profile.url || location.origin, host);
        if (!opsUrl || !memberAuth) {
          record({ id: name, name, access: 'derived', profileId: null, opsUrl: opsUrl ?? '', client: null, status: null, rows: null, error: null, note: 'No operations API URL could be derived for this node.' });
          return;
        }
        const client = new OpsClient({
          connectionId: `${current.profile.id}~member~${name}`,
          nodeLabel: nodeLabel({ name, url: opsUrl }),
          baseUrl: opsUrl,
          auth: memberAuth,
          timeoutMs: MEMBER_TIMEOUT_MS,
        });
        await attempt({ access: 'derived', profileId: null, opsUrl, client }, name);
      }),
    );
  }

  return { currentId, readings: [...readings.values()], at: Date.now() };
}
