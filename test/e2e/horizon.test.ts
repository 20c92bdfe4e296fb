/**
 * End-to-end test of the tombstone horizon in the app (issue 9, defect 2) in Debian Chromium
 * against three real nodes: C comes back after its peers forgot a delete, halts replication of
 * `dev`, and the app, logged in to C, shows the halted database with the one row only C holds;
 * Drop asks for confirmation (Cancel changes nothing), then drops it, the banner goes and every
 * node converges. Light and dark screenshots under test/e2e/screenshots/horizon-*.png. Skipped,
 * with the reason, when dist/renderer is not built.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newAppPage, shoot, uiSkipReason } from '../support/browser.ts';
import { tableState, waitForConvergence, type Cluster } from '../support/cluster.ts';
import { awayPastHorizon, HORIZON_DB, HORIZON_TABLE, socketTo, startHorizonCluster } from '../support/horizon.ts';
import { ADMIN, waitFor, type NodeProcess } from '../support/node-process.ts';

let cluster: Cluster;
let browser: Browser;
let page: Page;

before(async () => {
  if (uiSkipReason) return;
  cluster = await startHorizonCluster(['k1', 'k2']);
  browser = await launchChromium();
  page = await newAppPage(browser);
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
});

after(async () => {
  await browser?.close();
  await cluster?.cleanup();
});

test('the app shows a halted database, its local-only rows, and drops them with confirmation', { timeout: 120_000, skip: uiSkipReason ?? false }, async (t) => {
  const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
  await awayPastHorizon(cluster, 'k1');

  await t.test('logged in to C, the banner names the database, the reason and the row', async () => {
    await page.goto(c.url);
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    const banner = page.getByTestId(`horizon-${HORIZON_DB}`);
    await banner.getByText(`Replication of “${HORIZON_DB}” is halted`).waitFor();
    await banner.getByText('no longer remembers deletes').waitFor();
    const row = banner.getByTestId(`horizon-row-${HORIZON_TABLE}-k1`);
    await row.getByText(a.host).waitFor();
    await row.getByText('row k1').waitFor();
    assert.equal(await banner.getByTestId(`horizon-row-${HORIZON_TABLE}-k2`).count(), 0, 'k2 is on every node: not listed');
    await shoot(page, 'horizon-halted');
  });

  await t.test('the Status view shows the links as Halted, the banner still above it', async () => {
    await page.getByRole('tab', { name: 'Status' }).click();
    await page.getByTestId('peer-table').getByText('Halted').first().waitFor();
    await page.getByTestId(`horizon-${HORIZON_DB}`).waitFor();
    await shoot(page, 'horizon-status');
  });

  await t.test('Drop asks first; Cancel changes nothing', async () => {
    const banner = page.getByTestId(`horizon-${HORIZON_DB}`);
    await banner.getByRole('button', { name: 'Drop 1 row' }).click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.getByText('deleted on this node').waitFor();
    await shoot(page, 'horizon-confirm-drop');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual([...(await tableState(c, HORIZON_DB, HORIZON_TABLE)).keys()].sort(), ['"k1"', '"k2"']);
  });

  await t.test('Drop, confirmed: the banner goes, replication resumes, all nodes hold [k2]', async () => {
    const banner = page.getByTestId(`horizon-${HORIZON_DB}`);
    await banner.getByRole('button', { name: 'Drop 1 row' }).click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Drop rows' }).click();
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    await waitForConvergence([a, b, c], HORIZON_DB, HORIZON_TABLE, { expectKeys: ['"k2"'], timeoutMs: 20_000 });
    await waitFor('C streaming again', async () => {
      const socket = await socketTo(c, a.host);
      return socket?.connected === true && socket.lastReceivedStatus !== 'Halted';
    }, 20_000, 100);
    await shoot(page, 'horizon-resolved');
  });
});
