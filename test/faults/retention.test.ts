/**
 * Offline past retention (issue 9 defect 2): node 2 is down while node 0 deletes records, and
 * stays down longer than logging.auditRetention, so its peers purge the deletes' tombstones
 * with the log. When it comes back, the deleted records must stay deleted everywhere (or its
 * replication stop with a clear status); today they come back. h9-tomb fixes this.
 */
import { describe } from 'node:test';
import { sleep } from '../support/history.ts';
import { awaitConvergence } from '../support/invariants.ts';
import { scenarioTests } from './scenario.ts';

const RETENTION = '2s';
const RETENTION_MS = 2_000;
/** Past the retention by more than a purge interval (at most RETENTION_MS / 4 for short ones). */
const OFFLINE_MS = 2 * RETENTION_MS + 1_000;
const KEYS = Array.from({ length: 40 }, (_, i) => `keep${i}`);

describe('offline past retention', () => {
  scenarioTests({
    name: 'offline past retention, deletes meanwhile',
    noWorkload: true,
    // Forty records converge in well under a second when they converge at all.
    convergenceTimeoutMs: 20_000,
    perNode: () => ({ retention: RETENTION }),
    setup: async ({ net, history }) => {
      await history.write(net.node(0), KEYS, 64);
      await awaitConvergence(net.nodes, 30_000);
    },
    body: async ({ net, history }) => {
      await net.node(2).stop();
      for (const key of KEYS.slice(0, 20)) await history.delete(net.node(0), key);
      await sleep(OFFLINE_MS);
      // Node 0 writes after the purge, so node 2's position is behind the purged log.
      await history.write(net.node(1), ['after-purge'], 64);
    },
  });
});
