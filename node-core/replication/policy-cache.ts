/**
 * Link policies (what flows on a link, from hdb_nodes subscriptions) remembered per peer and
 * database until hdb_nodes changes. Publishers and subscribers ask for every write they pass on
 * or apply; computed afresh, each answer decoded both hdb_nodes rows (certificates included),
 * about a fifth of a replica's CPU per record. Rows of hdb_nodes change only through commits of
 * the system database, and every such commit (logged, replicated or copied) forgets all policies
 * the moment it is visible to reads, so an answer never lags the rows it is computed from.
 */
import type { Database } from '../storage/database.ts';
import type { LinkPolicy } from './link.ts';
import { NODES_TABLE } from './membership.ts';

/** Policies remembered at most (peers × databases; peer names come from the network). */
export const MAX_CACHED_POLICIES = 4096;

export class PolicyCache {
  readonly #policies = new Map<string, LinkPolicy>();
  readonly #unsubscribe: () => void;
  /** after dispose nothing tells of changes any more: every answer is computed afresh */
  #disposed = false;

  constructor(
    private readonly compute: (peer: string, database: string) => LinkPolicy,
    system: Database,
  ) {
    // Forgotten as soon as the commit is visible (as a policy computed afresh would read it),
    // not only once it is durable; notifyTablesChanged (a copy's merge) forgets them too.
    const forget = (tables: readonly string[] | null) => {
      if (tables === null || tables.includes(NODES_TABLE)) this.#policies.clear();
    };
    const unsubscribers = [system.onTablesCommitted(forget), system.onTablesChanged(forget)];
    this.#unsubscribe = () => unsubscribers.forEach((unsubscribe) => unsubscribe());
  }

  readonly get = (peer: string, database: string): LinkPolicy => {
    if (this.#disposed) return this.compute(peer, database);
    const key = `${peer}\u0000${database}`;
    let policy = this.#policies.get(key);
    if (!policy) {
      policy = this.compute(peer, database);
      if (this.#policies.size >= MAX_CACHED_POLICIES) this.#policies.clear();
      this.#policies.set(key, policy);
    }
    return policy;
  };

  dispose(): void {
    this.#disposed = true;
    this.#unsubscribe();
    this.#policies.clear();
  }
}
