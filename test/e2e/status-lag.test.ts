/**
 * End-to-end test of replication lag percentiles on the status dashboard, in Debian Chromium
 * against two real nodes: after the remote node's writes reach the local one, the peer table
 * shows the local node's lag p50 · p99 for the link (explained in its title), and the peer's
 * lag chart draws them as lines over time. Light and dark screenshots under
 * test/e2e/screenshots/status-lag-*.png. Skipped, with the reason, when dist/renderer is not built.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newAppPage, serialSteps, shoot, uiSkipReason } from '../support/browser.ts';
import { Cluster, waitForLink } from '../support/cluster.ts';
import { ADMIN, waitFor, type NodeProcess } from '../support/node-process.ts';

const WRITES = 20;

let cluster: Cluster;
let local: NodeProcess;
let remote: NodeProcess;
let browser: Browser;
let page: Page;

/** `count` single-record transactions on `writer`, until `reader` has `total` records. */
async function replicate(writer: NodeProcess, reader: NodeProcess, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) await writer.ok({ operation: 'insert', database: 'data', table: 'dog', records: [{ id: i, name: `dog ${i}` }] });
  await waitFor(`${from + count} dogs on ${reader.host}`, async () => {
    const described = await reader.op<{ record_count?: number }>({ operation: 'describe_table', database: 'data', table: 'dog' });
    return described.status === 200 && described.body.record_count === from + count;
  });
}

before(async () => {
  if (uiSkipReason) return;
  cluster = await Cluster.start(2, { mesh: true });
  [local, remote] = cluster.nodes as [NodeProcess, NodeProcess];
  await local.ok({ operation: 'create_table', database: 'data', table: 'dog', primary_key: 'id' });
  await waitForLink(local, remote.host, 'data');
  await waitForLink(remote, local.host, 'data');
  await replicate(remote, local, 0, WRITES);
  browser = await launchChromium();
  page = await newAppPage(browser);
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
});

after(async () => {
  await browser?.close();
  await cluster?.cleanup();
});

test('the status dashboard shows replication lag percentiles per link, over time', { timeout: 90_000, skip: uiSkipReason ?? false }, async (t) => {
  const step = serialSteps(t, () => page, 'status-lag');

  await step('logged in to the local node, the peer table shows the link lag p50 · p99', async () => {
    await page.goto(local.url);
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('tab', { name: 'Status' }).click();
    await page.getByTestId('peer-table').getByRole('columnheader', { name: 'Lag p50 · p99' }).waitFor();
    const cell = page.getByTestId(`lag-percentiles-${remote.host}-data`);
    await cell.filter({ hasText: /^\d[\d.,]* ms · \d[\d.,]* ms/ }).waitFor();
    const [p50, p99] = (await cell.innerText()).split('·').map((part) => Number.parseFloat(part.replace(/,/g, '')));
    assert.ok(p50 !== undefined && p99 !== undefined && p50 >= 0 && p50 <= p99, `p50 ${p50} <= p99 ${p99}`);
    const title = (await cell.getAttribute('title')) ?? '';
    assert.match(title, /From commit on the peer to commit here: p50 and p99 of \d+ transactions in the last 60 s/);
    // The remote node applied nothing from the local one: no percentiles there, and none invented here.
    const status = await remote.ok<{ connections: Array<{ database_sockets: Array<{ database: string; lag_p50_ms: number | null }> }> }>({ operation: 'cluster_status' });
    assert.equal(status.connections[0]!.database_sockets.find((s) => s.database === 'data')!.lag_p50_ms, null);
    await shoot(page, 'status-lag-table');
  });

  await step('the lag chart draws p50 and p99 of the link as lines, refreshed over time', async () => {
    await page.getByLabel('Auto-refresh interval').selectOption('2000');
    const charts = page.getByRole('region', { name: `Charts for ${remote.host}` });
    const lagChart = charts.getByRole('img', { name: /^Lag over the 5 min:/ });
    await lagChart.waitFor();
    await charts.getByText(/^data p50 /).waitFor();
    await charts.getByText(/^data p99 /).waitFor();
    const label = (await lagChart.getAttribute('aria-label')) ?? '';
    assert.match(label, /data p50 now [\d.,]+ ms, data p99 now [\d.,]+ ms/);
    // More writes, another refresh or two: the lines get more points (one path segment per sample).
    await replicate(remote, local, WRITES, WRITES);
    await waitFor('two lag samples drawn', async () => {
      const paths = await lagChart.locator('path').evaluateAll((elements) => elements.map((e) => (e.getAttribute('d') ?? '').split('L').length));
      return paths.length >= 2 && paths.every((segments) => segments >= 2);
    }, 20_000, 200);
    await shoot(page, 'status-lag-charts');
  });
});
