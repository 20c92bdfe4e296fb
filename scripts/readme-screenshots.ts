/**
 * Regenerates the README's screenshots (docs/screenshots/<view>-light.png and -dark.png): a
 * real 3-node Peerdesk cluster on fresh loopback addresses (joined with add_node), a table of
 * sample records, the built UI in Debian Chromium logged in to one node, and each view shot in
 * both colour schemes. Run after `npm run build:renderer`:
 *   node --import tsx scripts/readme-screenshots.ts
 * Everything it starts is stopped before it exits, also on failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, newAppPage, uiSkipReason } from '../test/support/browser.ts';
import { Cluster, waitForLink } from '../test/support/cluster.ts';
import { ADMIN, type NodeProcess } from '../test/support/node-process.ts';

const OUT = path.join(import.meta.dirname, '..', 'docs', 'screenshots');
/** How long the cluster may take to link up and the view to show it. */
const SETTLE_TIMEOUT_MS = 20_000;

const DOGS = [
  { id: 1, name: 'Luna', breed: 'Border Collie', age: 4, owner: { name: 'Ada', city: 'Lyon' } },
  { id: 2, name: 'Max', breed: 'Labrador Retriever', age: 7, owner: { name: 'Grace', city: 'Oslo' } },
  { id: 3, name: 'Bella', breed: 'Samoyed', age: 2, owner: { name: 'Edsger', city: 'Utrecht' } },
  { id: 4, name: 'Charlie', breed: 'Dachshund', age: 11, owner: { name: 'Barbara', city: 'Boston' } },
  { id: 5, name: 'Nova', breed: 'Australian Shepherd', age: 1, owner: { name: 'Donald', city: 'Stanford' } },
];

async function shoot(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: path.join(OUT, `${name}-${colorScheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  console.log(`docs/screenshots/${name}-{light,dark}.png`);
}

async function views(page: Page, a: NodeProcess, b: NodeProcess): Promise<void> {
  await page.goto(a.url);
  await page.getByLabel('User name').fill(ADMIN.username);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('header-user').waitFor();

  await page.getByRole('tab', { name: 'Cluster' }).click();
  await page.getByTestId('cluster-summary').filter({ hasText: /^3 nodes · 3 links$/ }).waitFor({ timeout: SETTLE_TIMEOUT_MS });
  await page.getByRole('button', { name: 'Auto layout' }).click();
  const [first, second] = [a.host, b.host].sort((p, q) => p.localeCompare(q));
  await page.getByTestId(`link-${first}-${second}`).click();
  await page.getByTestId('link-panel').waitFor();
  await page.waitForTimeout(400);
  await shoot(page, 'topology');

  await page.getByTestId('link-panel').getByRole('button', { name: 'Edit subscriptions' }).click();
  const editor = page.getByTestId('subscriptions-editor');
  await editor.getByText('Selected databases').click();
  await editor.getByText('Advanced: per table').click();
  await shoot(page, 'subscriptions');
  await editor.getByRole('button', { name: 'Cancel' }).click();

  await page.getByText('Matrix', { exact: true }).click();
  await page.getByTestId('latency-matrix').waitFor();
  await shoot(page, 'matrix');
  await page.getByText('Graph', { exact: true }).click();

  await page.getByRole('tab', { name: 'Tables' }).click();
  await page.getByTestId('table-data.dog').click();
  await page.getByTestId('records-grid').getByRole('cell', { name: 'Luna' }).click();
  await page.getByTestId('record-json').waitFor();
  await shoot(page, 'tables');

  await page.getByRole('tab', { name: 'Status' }).click();
  await page.getByTestId('system-summary').waitFor();
  await page.waitForTimeout(3_000);
  await shoot(page, 'status');

  await page.getByRole('tab', { name: 'Certificates' }).click();
  await page.getByTestId(`certificate-${a.host}`).click();
  await shoot(page, 'certificates');

  await page.getByRole('tab', { name: 'Node' }).click();
  await page.getByTestId('config-table').waitFor();
  await shoot(page, 'node');
}

async function main(): Promise<void> {
  if (uiSkipReason) throw new Error(`cannot take screenshots: ${uiSkipReason}`);
  fs.mkdirSync(OUT, { recursive: true });
  const cluster = await Cluster.start(3);
  const browser = await launchChromium().catch(async (error: unknown) => {
    await cluster.cleanup();
    throw error;
  });
  try {
    const [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    await a.ok({ operation: 'add_node', hostname: b.host, authorization: ADMIN });
    await c.ok({ operation: 'add_node', hostname: b.host, authorization: ADMIN });
    await a.ok({ operation: 'create_table', database: 'data', table: 'dog', primary_key: 'id' });
    await a.ok({ operation: 'insert', database: 'data', table: 'dog', records: DOGS });
    for (const [x, y] of [[a, b], [b, c], [a, c]] as const) await waitForLink(x, y.host, 'data', SETTLE_TIMEOUT_MS);
    const page = await newAppPage(browser);
    await views(page, a, b);
  } finally {
    await browser.close();
    await cluster.cleanup();
  }
}

await main();
