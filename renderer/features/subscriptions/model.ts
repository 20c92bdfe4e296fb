/**
 * Explicit subscriptions of a link, as the node applies them (SPEC 4.9, node-core
 * Membership.policy): on node S for peer P, the list P's record holds under S ("own") wins;
 * else the list S's record holds under P, read mirrored (P's publish is S's subscribe); else
 * every table flows both ways. The system database always flows unless a list names it, so
 * the editor leaves it out.
 */
import type { NodeSubscription } from '../../api/operations/update-node.ts';
import type { NodeRow } from '../topology/hdb-nodes.ts';

export interface Direction {
  /** S sends the table to P */
  publish: boolean;
  /** S receives the table from P */
  subscribe: boolean;
}

export interface TableRef {
  database: string;
  table: string;
}

export type PolicySource = 'own' | 'mirror' | 'default';

export interface LinkPolicy {
  /** where the rule comes from on this node */
  source: PolicySource;
  /** the explicit list as this node applies it (mirrored when source is 'mirror'), else null */
  list: NodeSubscription[] | null;
  direction(database: string, table: string): Direction;
}

export const SYSTEM_DATABASE = 'system';

export function tableKey(database: string, table: string): string {
  return `${database}.${table}`;
}

function fromList(list: NodeSubscription[], source: PolicySource): LinkPolicy {
  const byTable = new Map(list.map((s) => [tableKey(s.database, s.table), s]));
  return {
    source,
    list,
    direction(database, table) {
      const s = byTable.get(tableKey(database, table));
      return { publish: s?.publish ?? false, subscribe: s?.subscribe ?? false };
    },
  };
}

/** Mirror image: what one side publishes the other subscribes. */
export function mirror(list: NodeSubscription[]): NodeSubscription[] {
  return list.map((s) => ({ database: s.database, table: s.table, publish: s.subscribe, subscribe: s.publish }));
}

export const DEFAULT_POLICY: LinkPolicy = { source: 'default', list: null, direction: () => ({ publish: true, subscribe: true }) };

/** The policy node `self` applies to its link with `peer`, from `self`'s own hdb_nodes records. */
export function policyOn(rows: ReadonlyMap<string, NodeRow>, self: string, peer: string): LinkPolicy {
  const own = rows.get(peer)?.subscriptions[self];
  if (own) return fromList(own, 'own');
  const mirrored = rows.get(self)?.subscriptions[peer];
  if (mirrored) return fromList(mirror(mirrored), 'mirror');
  return DEFAULT_POLICY;
}

/** Whether anything (outside system) flows from self to peer and from peer to self. */
export function flowOf(policy: LinkPolicy): { out: boolean; in: boolean } {
  if (!policy.list) return { out: true, in: true };
  const user = policy.list.filter((s) => s.database !== SYSTEM_DATABASE);
  return { out: user.some((s) => s.publish), in: user.some((s) => s.subscribe) };
}

export interface Change {
  database: string;
  table: string;
  field: 'publish' | 'subscribe';
  before: boolean;
  after: boolean;
}

/** What saving `after` changes compared with `before`, table by table. */
export function diffPolicies(tables: readonly TableRef[], before: (t: TableRef) => Direction, after: (t: TableRef) => Direction): Change[] {
  const changes: Change[] = [];
  for (const t of tables) {
    const b = before(t);
    const a = after(t);
    for (const field of ['publish', 'subscribe'] as const) {
      if (b[field] !== a[field]) changes.push({ database: t.database, table: t.table, field, before: b[field], after: a[field] });
    }
  }
  return changes;
}

/** The full list update_node is given: every table of the source, in a stable order. */
export function subscriptionList(tables: readonly TableRef[], direction: (t: TableRef) => Direction): NodeSubscription[] {
  return [...tables]
    .sort((x, y) => x.database.localeCompare(y.database) || x.table.localeCompare(y.table))
    .map((t) => ({ database: t.database, table: t.table, ...direction(t) }));
}
