/**
 * Link policies (what flows on a link, from hdb_nodes subscriptions) remembered per peer and
 * database until hdb_nodes changes. Publishers and subscribers ask for every write they pass on
 * or apply; computed afresh, each answer decoded both hdb_nodes rows (certificates included),
 * about a fifth of a replica's CPU per record. Rows of hdb_nodes change only through commits of
 * the system database, and every such commit (logged, replicated or copied) forgets all policies
 * as it becomes visible to reads (Database.onVisible where lmdb-js tells it, else when its write
 * resolves), so an answer lags the rows it is computed from by no more than that notice.
 */
import type { Database } from '../storage/database.ts';
import type { LinkPolicy } from './link.ts';
import { NODES_TABLE } from './membership.ts';

/** Policies remembered at most (peers × databases; peer names come from the network). */
export const MAX_CACHED_POLICIES = 4096;

export class PolicyCache {
  /** peer → database → policy */
  readonly #policies = new Map<string, Map<string, LinkPolicy>>();
  #size = 0;
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
      if (tables === null || tables.includes(NODES_TABLE)) this.#forget();
    };
    // Earlier still: any system commit becoming visible, before its fsync (visibility.ts), since
    // a relay woken then reads the log already; system commits are rare, so this costs little.
    const unsubscribers = [system.onVisible(() => forget(null)), system.onTablesCommitted(forget), system.onTablesChanged(forget)];
    this.#unsubscribe = () => unsubscribers.forEach((unsubscribe) => unsubscribe());
  }

  readonly get = (peer: string, database: string): LinkPolicy => {
    if (this.#disposed) return this.compute(peer, database);
    // Nested maps: asked several times per record, a joined string key cost more than the lookup.
    let byDatabase = this.#policies.get(peer);
    let policy = byDatabase?.get(database);
    if (!policy) {
      policy = this.compute(peer, database);
      if (this.#size >= MAX_CACHED_POLICIES) this.#forget();
      if (!byDatabase) this.#policies.set(peer, (byDatabase = new Map()));
      byDatabase.set(database, policy);
      this.#size++;
    }
    return policy;
  };

  #forget(): void {
    this.#policies.clear();
    this.#size = 0;
  }

  dispose(): void {
    this.#disposed = true;
    this.#unsubscribe();
    this.#forget();
  }
}
