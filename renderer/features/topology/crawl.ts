/**
 * Reads a cluster from the current connection. The current node's cluster_status and hdb_nodes
 * (their failure fails the whole read); then, when the node offers cluster_network, every
 * member's own cluster_status as the node gathered it over its replication links (one login
 * sees the cluster). Otherwise (HarperDB) the members it names are read one by one, each only
 * through a login of its own: a saved connection for its host, or an operations API URL the user
 * confirmed for it with a session from "Log in to all members". A member with neither is not
 * asked at all: no credential ever goes to a host a record names (issue 10, item 1); its
 * reading carries a guessed URL (the replication URL's host, this connection's port) for the
 * user to confirm. A node that cannot be read is a reading with why, never a failure of the view.
 */
import { NodeFactError } from '../../api/errors.ts';
import { clusterNetwork, type ClusterNetworkMember } from '../../api/operations/cluster-network.ts';
import type { ClusterStatusResponse } from '../../api/operations/cluster-status.ts';
import { OpsClient } from '../../api/ops-client.ts';
import type { ConnectionProfile } from '../connections/model.ts';
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

/** A member's operations API as the user confirmed it, with this session's login there, if any. */
export interface ConfirmedMember {
  url: string;
  /** from "Log in to all members"; null until then */
  client: OpsClient | null;
}

export interface CrawlInput {
  current: { profile: ConnectionProfile; client: OpsClient };
  /** every saved connection other than the current one */
  saved: SavedConnection[];
  /** saved connections brought into this view (profile ids), read even when not members */
  extras: readonly string[];
  /** member node name → its confirmed operations API URL (and session) */
  confirmed: ReadonlyMap<string, ConfirmedMember>;
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

/** http(s)://<host>:<port of the current connection>: only ever a suggestion shown to the user. */
export function derivedOpsUrl(currentUrl: string, host: string): string | null {
  try {
    const url = new URL(currentUrl);
    url.hostname = host.includes(':') ? `[${host}]` : host;
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}

/** A node at a URL answered with another node's name. */
export class OtherNodeAnswered extends NodeFactError {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly answered: string,
  ) {
    super(`${url} answered as node “${answered}”, not “${expected}”: it is another node's operations API (or the same machine under another name). Confirm the right URL for ${expected}.`);
    this.name = 'OtherNodeAnswered';
  }
}

/** The reason cluster_network gave for a member it could not read. */
export class MemberNotAnswering extends NodeFactError {
  constructor(
    readonly member: ClusterNetworkMember,
    readonly reporter: string,
  ) {
    const age = member.age_ms !== null ? `; last answer ${Math.round(member.age_ms / 1000)} s ago` : '; no answer yet';
    super(`${reporter} could not reach it over its replication links (${member.status}${member.error ? `: ${member.error}` : ''})${age}.`);
    this.name = 'MemberNotAnswering';
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

type Base = Pick<NodeReading, 'access' | 'profileId' | 'opsUrl' | 'client'>;

function blank(id: string, base: Base, extra: Partial<NodeReading> = {}): NodeReading {
  return { id, name: id.startsWith('conn:') ? null : id, ...base, status: null, rows: null, error: null, note: null, ageMs: null, system: null, suggestedUrl: null, ...extra };
}

/** A member as the connected node reported it; a saved connection for it (if any) acts on it. */
function networkReading(member: ClusterNetworkMember, reporter: string, opsUrl: string, match: SavedConnection | undefined): NodeReading {
  const base: Base = { access: 'network', profileId: match?.profile.id ?? null, opsUrl, client: match?.client ?? null };
  const status = member.status === 'ok' && member.cluster_status && Array.isArray(member.cluster_status.connections) ? member.cluster_status : null;
  return blank(member.node_name, base, {
    status,
    ageMs: member.age_ms,
    system: member.system ?? null,
    ...(status ? {} : { error: new MemberNotAnswering(member, reporter) }),
  });
}

export async function crawl(input: CrawlInput): Promise<Snapshot> {
  const { current, saved, extras, confirmed, signal } = input;
  const readings = new Map<string, NodeReading>();
  const record = (reading: NodeReading) => {
    if (!readings.has(reading.id)) readings.set(reading.id, reading);
  };
  const savedFor = (name: string, host: string | null) =>
    saved.find((s) => {
      const savedHost = hostOfUrl(s.profile.url);
      return savedHost === name || (host !== null && savedHost === host);
    });

  const first = await readNode(current.client, signal);
  const currentId = first.status.node_name;
  record({ ...blank(currentId, { access: 'current', profileId: current.profile.id, opsUrl: current.profile.url, client: current.client }), status: first.status, rows: first.rows });

  /** Reads a node through a login of its own; `expected` is the member name it must answer with. */
  async function attempt(id: string, base: Base, expected: string | null): Promise<void> {
    if (!base.client) return;
    try {
      const { status, rows } = await readNode(base.client, signal, MEMBER_TIMEOUT_MS);
      if (expected !== null && status.node_name !== expected) throw new OtherNodeAnswered(base.opsUrl, expected, status.node_name);
      record({ ...blank(status.node_name, base), status, rows });
    } catch (error) {
      if (signal?.aborted) throw error;
      record(blank(id, base, { error }));
    }
  }

  // Saved connections brought into view.
  await Promise.all(
    saved
      .filter((s) => extras.includes(s.profile.id))
      .map(async ({ profile, client }) => {
        const base: Base = { access: 'saved', profileId: profile.id, opsUrl: profile.url, client };
        if (!client) record(blank(`conn:${profile.id}`, base, { note: `Not logged in to ${profile.name}.` }));
        else await attempt(`conn:${profile.id}`, base, null);
      }),
  );

  // One login sees the cluster, when the node offers it.
  const network = await clusterNetwork(current.client, { signal }).catch((error: unknown) => {
    if (signal?.aborted) throw error;
    return null;
  });
  if (network) {
    for (const member of network.members) {
      if (member.node_name === currentId || readings.has(member.node_name)) continue;
      record(networkReading(member, currentId, current.profile.url, savedFor(member.node_name, hostOfUrl(member.url))));
    }
    return { currentId, readings: [...readings.values()], at: Date.now(), source: 'cluster_network' };
  }

  // Members, level by level, until nobody mentions a node not tried yet.
  const attempted = new Set<string>([currentId]);
  for (let level = 0; level < MAX_NODES && readings.size < MAX_NODES; level++) {
    const hosts = new Map<string, string | null>();
    for (const r of readings.values()) {
      for (const c of r.status?.connections ?? []) hosts.set(c.name, hostOfUrl(c.url));
      for (const row of r.rows ?? []) if (!hosts.get(row.name)) hosts.set(row.name, hostOfUrl(row.url));
    }
    const fresh = [...hosts.entries()].filter(([name]) => !attempted.has(name) && !readings.has(name)).slice(0, MAX_NODES - readings.size);
    if (fresh.length === 0) break;
    await Promise.all(
      fresh.map(async ([name, host]) => {
        attempted.add(name);
        const match = savedFor(name, host);
        if (match) {
          const base: Base = { access: 'saved', profileId: match.profile.id, opsUrl: match.profile.url, client: match.client };
          if (!match.client) record(blank(name, base, { note: `Not logged in to ${match.profile.name}.` }));
          else await attempt(name, base, null);
          return;
        }
        const known = confirmed.get(name);
        if (known) {
          const base: Base = { access: 'member', profileId: null, opsUrl: known.url, client: known.client };
          if (!known.client) record(blank(name, base, { note: 'Its operations API URL is confirmed; use "Log in to all members" to read it.' }));
          else await attempt(name, base, name);
          return;
        }
        const suggestion = derivedOpsUrl(current.profile.url || location.origin, host ?? name);
        record(
          blank(name, { access: 'unconfirmed', profileId: null, opsUrl: '', client: null }, {
            suggestedUrl: suggestion,
            note: 'Not asked: this node does not offer cluster_network, and no login was given for this member. Confirm its operations API URL to log in to it.',
          }),
        );
      }),
    );
  }

  return { currentId, readings: [...readings.values()], at: Date.now(), source: 'members' };
}
