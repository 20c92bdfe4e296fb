/**
 * Faults during an initial sync: the third node joins two that hold data and is killed -9 at
 * 10 %, 50 % and 90 % of its copy (it must finish the copy after its restart, with nothing
 * lost or duplicated); and a slow link (200 ms delay, 64 KB/s) under the whole copy.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe } from 'node:test';
import { waitFor, type NodeProcess } from '../support/node-process.ts';
import { DATABASE, sleep } from '../support/history.ts';
import { FULL_RUN, scenarioTests, type ScenarioContext } from './scenario.ts';

/** Records node 0 holds before node 2 joins (kill scenario) */
const COPY_RECORDS = 10_000;
/** The kill scenario slows node 2's links to this so 10 % of the copy is observable. */
const KILL_SCENARIO_BYTES_PER_SECOND = 1024 * 1024;
/** The slow-link scenario (the figures). */
const SLOW_LINK = { delayMs: 200, jitterMs: 40, bytesPerSecond: 64 * 1024 } as const;
const SLOW_COPY_RECORDS = FULL_RUN ? 2_000 : 500;
const RECORDS_PER_REQUEST = 500;
const COPY_DONE_TIMEOUT_MS = 120_000;

interface CopyProgress {
  copied: number;
  total: number;
  done: boolean;
}

/** The largest copied/total fraction any of node's links for the test database reports (null: no copy seen). */
async function copyProgress(node: NodeProcess): Promise<CopyProgress | null> {
  const status = await node.ok<{ connections: Array<{ database_sockets: Array<{ database: string; copy_progress?: CopyProgress }> }> }>({ operation: 'cluster_status' });
  const copies = status.connections.flatMap((c) => c.database_sockets.filter((s) => s.database === DATABASE && s.copy_progress).map((s) => s.copy_progress!));
  return copies.sort((a, b) => b.copied / Math.max(1, b.total) - a.copied / Math.max(1, a.total))[0] ?? null;
}

/** How many copies of the test database `node` has started receiving (its log). */
function copiesReceived(node: NodeProcess): number {
  const file = path.join(node.root, 'log', 'hdb.log');
  if (!fs.existsSync(file)) return 0;
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes('Receiving database copy'))
    .filter((line) => (JSON.parse(line) as { database?: string }).database === DATABASE).length;
}

async function load({ net, history }: ScenarioContext, records: number): Promise<void> {
  for (let start = 0; start < records; start += RECORDS_PER_REQUEST) {
    const keys = Array.from({ length: Math.min(RECORDS_PER_REQUEST, records - start) }, (_, i) => `bulk${start + i}`);
    await history.write(net.node(0), keys, 160);
  }
}

function slowLinksToJoiner(context: ScenarioContext, fault: { delayMs?: number; jitterMs?: number; bytesPerSecond: number }): void {
  for (const peer of [0, 1]) context.net.setLinkFault(peer, 2, { mode: 'pass', ...fault });
}

function killAt(fraction: number) {
  return async (context: ScenarioContext) => {
    const joiner = await context.net.startNode(2);
    const seen = await waitFor(`node 2's copy to pass ${fraction * 100} %`, async () => {
      const progress = await copyProgress(joiner).catch(() => null);
      return progress && progress.total > 0 && progress.copied / progress.total >= fraction ? progress : null;
    }, COPY_DONE_TIMEOUT_MS, 20);
    await joiner.kill();
    context.note(`killed at ${seen.copied}/${seen.total}`);
    await sleep(500);
    context.net.heal();
    await joiner.startProcess();
  };
}

describe('initial sync under faults', () => {
  for (const fraction of [0.1, 0.5, 0.9]) {
    scenarioTests({
      name: `kill the joining node at ${fraction * 100} % of its initial sync`,
      startNow: [0, 1],
      setup: async (context) => {
        await load(context, COPY_RECORDS);
        slowLinksToJoiner(context, { bytesPerSecond: KILL_SCENARIO_BYTES_PER_SECOND });
      },
      body: killAt(fraction),
    }, { timeoutMs: 300_000 });
  }
  scenarioTests({
    name: 'slow link (200 ms, 64 KB/s) during an initial sync',
    startNow: [0, 1],
    workload: { pauseMs: 100 },
    setup: async (context) => {
      await load(context, SLOW_COPY_RECORDS);
      slowLinksToJoiner(context, SLOW_LINK);
    },
    body: async (context) => {
      const joiner = await context.net.startNode(2);
      const started = Date.now();
      await waitFor('node 2 to finish its copy over the slow link', async () => (await copyProgress(joiner).catch(() => null))?.done, COPY_DONE_TIMEOUT_MS, 200);
      const copies = copiesReceived(joiner);
      context.note(`copy over the slow link took ${Date.now() - started} ms, ${copies} copy start(s)`);
      // A slow link is not a dead one: liveness must not drop it mid-copy (the copy would restart).
      assert.equal(copies, 1, `node 2 started ${copies} copies of ${DATABASE}: the slow link was dropped mid-copy`);
    },
  }, { timeoutMs: 300_000 });
});
