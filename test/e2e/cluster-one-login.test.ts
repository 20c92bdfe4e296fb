/**
 * End-to-end test, in Debian Chromium, of the whole cluster from one login (issue 11): a healthy
 * 3-node Peerdesk cluster (joined with add_node, gossip completing the mesh) opened with a login
 * to one node shows 3 members and 3 healthy links and nothing "not reachable", because the node
 * answers for its members (cluster_network). Then a node is removed from the cluster (the dialog
 * names every link it cuts) and re-added by dragging onto a member: the dead one-sided links it
 * leaves behind are not counted and do not block the drag. A member that stops answering is
 * shown as not reachable with why and how old its last answer is. Skipped, with the reason, when
 * dist/renderer is not built.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newAppPage, SCREENSHOTS, shoot, uiSkipReason, serialSteps } from '../support/browser.ts';
import { Cluster, waitFor, waitForLink } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

/** How long a link may take to show its new state in the view. */
const LINK_TIMEOUT_MS = 20_000;

let cluster: Cluster;
let a: NodeProcess;
let b: NodeProcess;
let c: NodeProcess;
let browser: Browser;
let page: Page;

interface Status {
  connections: Array<{ name: string; database_sockets: Array<{ connected: boolean }> }>;
}

async function openSocket(node: NodeProcess, peer: NodeProcess): Promise<boolean> {
  const status = await node.ok<Status>({ operation: 'cluster_status' });
  return status.connections.some((x) => x.name === peer.host && x.database_sockets.some((s) => s.connected));
}

function linkTestId(x: NodeProcess, y: NodeProcess): string {
  const [first, second] = [x.host, y.host].sort((p, q) => p.localeCompare(q));
  return `link-${first}-${second}`;
}

async function waitForHealth(x: NodeProcess, y: NodeProcess, expected: RegExp): Promise<void> {
  await page.waitForFunction(
    ([testId, source]) => new RegExp(source).test(document.querySelector(`[data-testid="${testId}"]`)?.getAttribute('data-health') ?? ''),
    [linkTestId(x, y), expected.source] as const,
    { timeout: LINK_TIMEOUT_MS },
  );
}

/** Where an element is once it stays put between two reads (the canvas may still be fitting the view). */
async function settledBox(testId: string): Promise<{ x: number; y: number; width: number; height: number }> {
  let last: { x: number; y: number } | null = null;
  return waitFor(
    `${testId} to stay put`,
    async () => {
      const box = await page.getByTestId(testId).boundingBox();
      const still = box && last && Math.abs(box.x - last.x) < 0.5 && Math.abs(box.y - last.y) < 0.5;
      last = box;
      return still ? box : null;
    },
    5_000,
    250,
  );
}

before(async () => {
  if (uiSkipReason) return;
  cluster = await Cluster.start(3);
  [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
  // Joined the way an operator joins nodes (no routes, which would bring a removed node back).
  await a.ok({ operation: 'add_node', hostname: b.host, authorization: ADMIN });
  await c.ok({ operation: 'add_node', hostname: b.host, authorization: ADMIN });
  for (const [x, y] of [[a, b], [b, a], [b, c], [c, b], [a, c], [c, a]] as const) await waitForLink(x, y.host, 'system', LINK_TIMEOUT_MS);
  browser = await launchChromium();
  page = await newAppPage(browser);
});

after(async () => {
  await browser?.close();
  await cluster?.cleanup();
});

test('the whole cluster from one login; remove a node and re-add it by drag', { timeout: 120_000, skip: uiSkipReason ?? false }, async (t) => {
  const step = serialSteps(t, () => page, 'cluster-one-login');

  await step('one login: 3 members, 3 healthy links, nothing "not reachable"', async () => {
    await page.goto(a.url);
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('header-user').filter({ hasText: 'admin · super_user' }).waitFor();
    await page.getByRole('tab', { name: 'Cluster' }).click();
    await page.getByTestId('cluster-summary').filter({ hasText: /^3 nodes · 3 links$/ }).waitFor({ timeout: LINK_TIMEOUT_MS });
    for (const [x, y] of [[a, b], [b, c], [a, c]] as const) await waitForHealth(x, y, /^connected$/);
    assert.equal(await page.getByText('not reachable').count(), 0, 'no member is shown as not reachable');
    await page.getByTestId(`member-${b.host}`).click();
    const panel = page.getByTestId('node-panel');
    await panel.getByText(/Through this connection's node \(cluster_network/).waitFor();
    await panel.getByTestId('member-age').waitFor();
    await shoot(page, 'cluster-one-login-01-mesh');
  });

  await step('bring C into view as a saved connection (so it stays in view once removed)', async () => {
    await page.getByRole('button', { name: 'Add node by URL' }).click();
    const dialog = page.getByTestId('add-node-dialog');
    await dialog.getByLabel('Operations API URL').fill(c.url);
    await dialog.getByLabel('Connection name').fill('Node C');
    await dialog.getByLabel('Password').fill(ADMIN.password);
    await dialog.getByRole('button', { name: 'Add to view' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId(`member-${c.host}`).filter({ hasText: 'Node C' }).waitFor();
  });

  await step('"Remove node from cluster" names every link it cuts, and cuts them', async () => {
    await page.getByTestId(linkTestId(a, c)).click();
    await page.getByTestId('link-panel').getByRole('button', { name: /^Remove .* from cluster…$/ }).click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.waitFor();
    assert.match(await confirm.getByRole('heading').innerText(), /^Remove Node C from the cluster\?$/);
    const cut = await confirm.getByTestId('links-to-cut').getByRole('listitem').allInnerTexts();
    assert.equal(cut.length, 2, `both of C's links are named: ${cut.join(' | ')}`);
    await shoot(page, 'cluster-one-login-02-remove-node');
    await confirm.getByRole('button', { name: 'Remove node from cluster' }).click();
    await confirm.waitFor({ state: 'detached' });
    await waitFor('A and B to stop replicating with C', async () => !(await openSocket(a, c)) && !(await openSocket(b, c)), LINK_TIMEOUT_MS);
    // C's own dead links may linger one-sided; they are not counted as links.
    await page.getByTestId('cluster-summary').filter({ hasText: /^3 nodes · 1 link/ }).waitFor({ timeout: LINK_TIMEOUT_MS });
  });

  await step('drag C onto A: no stale link in the way; C rejoins and the mesh is whole again', async () => {
    const source = await settledBox(`handle-${c.host}`);
    const target = await settledBox(`handle-${a.host}`);
    await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
    await page.mouse.down();
    // First towards the target: near the canvas edge a connection drag pans the canvas.
    await page.mouse.move(source.x - 40, source.y + 20, { steps: 4 });
    await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 12 });
    // The canvas takes A as a valid end for the new link: the dead one-sided link is not in the way.
    await page.locator(`[data-testid="handle-${a.host}"].connectingto.valid`).waitFor();
    await page.mouse.up();
    const dialog = page.getByTestId('connect-dialog');
    await dialog.waitFor();
    await dialog.getByLabel('Password').fill(ADMIN.password);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.waitFor({ state: 'detached' });
    await waitFor('A and C to replicate again', async () => (await openSocket(a, c)) && (await openSocket(c, a)), LINK_TIMEOUT_MS);
    for (const [x, y] of [[a, b], [b, c], [a, c]] as const) await waitForHealth(x, y, /^connected$/);
    await page.getByTestId('cluster-summary').filter({ hasText: /^3 nodes · 3 links$/ }).waitFor({ timeout: LINK_TIMEOUT_MS });
    await shoot(page, 'cluster-one-login-03-rejoined');
  });

  await step('a member that stops answering is shown as not reachable, with why and the age of its last answer', async () => {
    await page.getByTestId('connection-Node C').hover();
    await page.getByRole('button', { name: 'Remove Node C', exact: true }).click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Remove connection' }).click();
    await b.stop();
    const member = page.getByTestId(`member-${b.host}`);
    await member.getByText('not reachable').waitFor({ timeout: LINK_TIMEOUT_MS });
    await member.click();
    const error = page.getByTestId('node-panel').getByTestId('node-error');
    const text = await error.innerText();
    assert.match(text, new RegExp(`^${a.host.replaceAll('.', '\\.')} could not reach it over its replication links \\((unreachable|timeout|error)`));
    assert.match(text, /; (last answer \d+ s ago|no answer yet)\.$/);
    await shoot(page, 'cluster-one-login-04-member-down');
  });
});
