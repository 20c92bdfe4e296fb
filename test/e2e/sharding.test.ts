/**
 * End-to-end test, in Debian Chromium, of sharding in the app (issue 12): a 3-node cluster in two
 * shards (A and B in shard 1, C in shard 2) with database `data` sharded. Logged in to A, the
 * Cluster view colours every node by its shard, with the shard number written on it, and shows
 * the legend (shard 1: 2 nodes, shard 2: 1 node). A table's page shows where its records live:
 * the records written on A are held by A and B (C, in the other shard, is no member of the
 * database). The subscription editor shows the database's sharding settings, read-only. Then B
 * is stopped and the table's page names it as not answering, with why. Skipped, with the reason, when dist/renderer is not built.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newAppPage, SCREENSHOTS, shoot, uiSkipReason, serialSteps } from '../support/browser.ts';
import { Cluster, waitFor, waitForLink } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

/** How long the cluster or the view may take to show a change. */
const SETTLE_TIMEOUT_MS = 20_000;
const RECORDS = 12;
const SHARD_OF = [1, 1, 2] as const;

let cluster: Cluster;
let a: NodeProcess;
let b: NodeProcess;
let c: NodeProcess;
let browser: Browser;
let page: Page;

async function heldOn(node: NodeProcess): Promise<number> {
  const described = await node.op<{ record_count?: number }>({ operation: 'describe_table', database: 'data', table: 'dog' });
  return described.status === 200 ? (described.body.record_count ?? 0) : -1;
}

function linkTestId(x: NodeProcess, y: NodeProcess): string {
  return `link-${[x.host, y.host].sort((p, q) => p.localeCompare(q)).join('-')}`;
}

/** The "Records held" cell of a node's row on the table's page. */
function heldCell(node: NodeProcess) {
  return page.getByTestId('record-locations').getByTestId(`record-count-${node.host}`).locator('td.num');
}

before(async () => {
  if (uiSkipReason) return;
  cluster = await Cluster.start(3, {
    perNode: (i) => ({ args: [`--REPLICATION_SHARD=${SHARD_OF[i]}`, `--REPLICATION_DATABASES=${JSON.stringify([{ name: 'data', sharded: true }])}`] }),
  });
  [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
  // The table in each shard (a sharded database is copied only within its shard), then joined
  // the way an operator joins nodes; gossip completes the mesh.
  for (const node of [a, c]) await node.ok({ operation: 'create_table', database: 'data', table: 'dog', primary_key: 'id' });
  await a.ok({ operation: 'add_node', hostname: b.host, authorization: ADMIN });
  await c.ok({ operation: 'add_node', hostname: b.host, authorization: ADMIN });
  for (const [x, y] of [[a, b], [a, c], [b, c]] as const) {
    await waitForLink(x, y.host, 'system', SETTLE_TIMEOUT_MS);
    await waitForLink(y, x.host, 'system', SETTLE_TIMEOUT_MS);
  }
  await waitForLink(a, b.host, 'data', SETTLE_TIMEOUT_MS);
  await waitForLink(b, a.host, 'data', SETTLE_TIMEOUT_MS);
  await a.ok({ operation: 'insert', database: 'data', table: 'dog', records: Array.from({ length: RECORDS }, (_, i) => ({ id: i + 1, name: `dog ${i + 1}` })) });
  await waitFor('B to hold every record written on A', async () => (await heldOn(b)) === RECORDS, SETTLE_TIMEOUT_MS);
  browser = await launchChromium();
  page = await newAppPage(browser);
});

after(async () => {
  await browser?.close();
  await cluster?.cleanup();
});

test('shard colours and legend, records per node, sharding settings, a member that did not answer', { timeout: 150_000, skip: uiSkipReason ?? false }, async (t) => {
  const step = serialSteps(t, () => page, 'sharding');

  await step('C holds none of the records A wrote to the sharded database', async () => {
    assert.equal(await heldOn(a), RECORDS);
    assert.equal(await heldOn(c), 0);
  });

  await step('the topology colours each node by shard, with its number, and a legend', async () => {
    await page.goto(a.url);
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('header-user').filter({ hasText: 'admin · super_user' }).waitFor();
    await page.getByRole('tab', { name: 'Cluster' }).click();
    await page.getByTestId('cluster-summary').filter({ hasText: /^3 nodes · 3 links$/ }).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    const legend = page.getByTestId('shard-legend');
    await legend.getByTestId('shard-legend-1').filter({ hasText: /shard 1\s*2 nodes/ }).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    await legend.getByTestId('shard-legend-2').filter({ hasText: /shard 2\s*1 node/ }).waitFor();
    assert.equal(await legend.getByTestId('shard-legend-none').count(), 0, 'every node has a shard');
    const colours = new Map<number, string>();
    for (const [node, shard] of [[a, 1], [b, 1], [c, 2]] as const) {
      const chip = page.getByTestId(`member-${node.host}`).getByTestId('shard-chip');
      assert.equal(await chip.innerText(), `shard ${shard}`);
      const colour = await chip.locator('.shard-swatch').evaluate((el) => getComputedStyle(el).backgroundColor);
      if (colours.has(shard)) assert.equal(colour, colours.get(shard), `every node of shard ${shard} has one colour`);
      colours.set(shard, colour);
    }
    assert.notEqual(colours.get(1), colours.get(2), 'the two shards have different colours');
    // Across shards the sharded database is not replicated by design: the link is healthy, not partial.
    await page.waitForFunction((testId) => document.querySelector(`[data-testid="${testId}"]`)?.getAttribute('data-health') === 'connected', linkTestId(a, c), { timeout: SETTLE_TIMEOUT_MS });
    await page.getByTestId(linkTestId(a, c)).click();
    await page.getByTestId('link-panel').getByTestId('link-socket-data').first().filter({ hasText: /Not replicated \(sharded\)/ }).waitFor();
    await shoot(page, 'sharding-01-topology');
    await page.getByText('Matrix', { exact: true }).click();
    const matrix = page.getByTestId('latency-matrix');
    assert.deepEqual((await matrix.locator('thead [data-testid="shard-chip"]').allInnerTexts()).sort(), ['shard 1', 'shard 1', 'shard 2'], 'the matrix writes each node\'s shard in its header');
    await page.getByText('Graph', { exact: true }).click();
  });

  await step('the subscription editor shows the database as sharded, read-only, and how to change it', async () => {
    await page.getByTestId(linkTestId(a, b)).click();
    await page.getByTestId('link-panel').getByRole('button', { name: /subscriptions/i }).click();
    const panel = page.getByTestId('subscriptions-editor').getByTestId('sharding-panel');
    await panel.getByTestId('sharding-data').filter({ hasText: /sharded: replicates only among nodes of the same shard/ }).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    await panel.getByText(/replication\.databases/).waitFor();
    assert.equal(await panel.locator('input, select, button').count(), 0, 'nothing to edit there');
    await panel.scrollIntoViewIfNeeded();
    await shoot(page, 'sharding-02-subscriptions-panel');
    await page.getByTestId('subscriptions-editor').getByRole('button', { name: 'Close dialog' }).click();
    await page.getByTestId('subscriptions-editor').waitFor({ state: 'detached' });
  });

  await step("the table's page shows where its records live: A and B hold them; C, in the other shard, is no member of it", async () => {
    await page.getByRole('tab', { name: 'Tables' }).click();
    await page.getByTestId('table-data.dog').click();
    const locations = page.getByTestId('record-locations');
    await locations.waitFor({ timeout: SETTLE_TIMEOUT_MS });
    for (const node of [a, b]) {
      await heldCell(node).filter({ hasText: new RegExp(`^${RECORDS}$`) }).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    }
    assert.equal(await locations.locator(`[data-testid$="-${c.host}"]`).count(), 0, 'C is not listed');
    await locations.getByText(/sharded: replicates only among nodes of the same shard/).waitFor();
    await shoot(page, 'sharding-03-record-locations');
  });

  await step('B stopped: the page names it as not answering, with why', async () => {
    await b.stop();
    await waitFor('A to see B go', async () => {
      const described = await a.ok<{ record_count_errors?: Record<string, string> }>({ operation: 'describe_table', database: 'data', table: 'dog' });
      return described.record_count_errors?.[b.host] !== undefined;
    }, SETTLE_TIMEOUT_MS, 250);
    await page.getByRole('button', { name: 'Refresh records' }).click();
    const row = page.getByTestId('record-locations').getByTestId(`record-count-error-${b.host}`);
    await row.filter({ hasText: /did not answer: \S+/ }).waitFor({ timeout: SETTLE_TIMEOUT_MS });
    assert.equal(await page.getByTestId(`record-count-${b.host}`).count(), 0, 'no count is shown for it');
    await heldCell(a).filter({ hasText: new RegExp(`^${RECORDS}$`) }).waitFor();
    await shoot(page, 'sharding-04-member-not-answering');
  });
});
