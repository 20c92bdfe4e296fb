/**
 * system.hdb_nodes as the views use it: one record per node of the cluster (it replicates, so
 * every member holds every record), read with search_by_value. Peerdesk keeps each setter's
 * subscriptions in `subscriptions_by_node` (older Peerdesk rows: a map in `subscriptions`); a
 * HarperDB 4 `subscriptions` array alone is taken as set by the node it was read from. The CA certificate is kept aside so no view shows a PEM by accident.
 */
import type { OpsClient } from '../../api/ops-client.ts';
import type { NodeSubscription } from '../../api/operations/update-node.ts';

export interface NodeRow {
  name: string;
  url: string | null;
  /** subscriptions for this node, keyed by the node that set them */
  subscriptions: Record<string, NodeSubscription[]>;
  revokedCertificates: string[];
  shard: number | null;
  /** the node's CA certificate (PEM) as recorded; never shown in full */
  caPem: string | null;
  /** any other attributes, for display */
  extra: Record<string, unknown>;
}

const KNOWN = new Set(['name', 'url', 'subscriptions', 'subscriptions_by_node', 'revoked_certificates', 'shard', 'ca', '__createdtime__', '__updatedtime__']);

function subscriptionList(value: unknown): NodeSubscription[] | null {
  if (!Array.isArray(value)) return null;
  return value.flatMap((item): NodeSubscription[] => {
    if (!item || typeof item !== 'object') return [];
    const s = item as Record<string, unknown>;
    const database = typeof s.database === 'string' ? s.database : typeof s.schema === 'string' ? s.schema : null;
    if (!database || typeof s.table !== 'string') return [];
    return [{ database, table: s.table, publish: s.publish === true, subscribe: s.subscribe === true }];
  });
}

/** One stored record as a NodeRow (null when it has no name). `readFrom` is the node it was read on. */
export function parseNodeRow(raw: Record<string, unknown>, readFrom: string): NodeRow | null {
  if (typeof raw.name !== 'string' || !raw.name) return null;
  const subscriptions: Record<string, NodeSubscription[]> = {};
  // Peerdesk keeps every setter's list in subscriptions_by_node (subscriptions is HarperDB's one array).
  const bySetter = raw.subscriptions_by_node;
  const stored = bySetter && typeof bySetter === 'object' && !Array.isArray(bySetter) ? bySetter : raw.subscriptions;
  const asList = subscriptionList(stored);
  if (asList) subscriptions[readFrom] = asList;
  else if (stored && typeof stored === 'object') {
    for (const [setter, list] of Object.entries(stored as Record<string, unknown>)) {
      const parsed = subscriptionList(list);
      if (parsed) subscriptions[setter] = parsed;
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!KNOWN.has(key)) extra[key] = value;
  return {
    name: raw.name,
    url: typeof raw.url === 'string' ? raw.url : null,
    subscriptions,
    revokedCertificates: Array.isArray(raw.revoked_certificates) ? raw.revoked_certificates.filter((s): s is string => typeof s === 'string') : [],
    shard: typeof raw.shard === 'number' ? raw.shard : null,
    caPem: typeof raw.ca === 'string' && raw.ca ? raw.ca : null,
    extra,
  };
}

/** Every hdb_nodes record on the node behind `client` (whose node name is `readFrom`). */
export async function readNodeRows(client: OpsClient, readFrom: string, options: { signal?: AbortSignal | undefined; timeoutMs?: number } = {}): Promise<NodeRow[]> {
  const raw = await client.call<Array<Record<string, unknown>>>(
    'search_by_value',
    { database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*', get_attributes: ['*'] },
    { signal: options.signal, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
  );
  return (Array.isArray(raw) ? raw : []).flatMap((r) => {
    const row = parseNodeRow(r, readFrom);
    return row ? [row] : [];
  });
}

export function rowsByName(rows: readonly NodeRow[] | undefined): Map<string, NodeRow> {
  return new Map((rows ?? []).map((r) => [r.name, r]));
}
