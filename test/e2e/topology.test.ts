/**
 * End-to-end test of the cluster view in Debian Chromium against three real, initially
 * unconnected nodes (the first serves the UI): bring the others into view by URL, connect by
 * dragging between node handles (a wrong password first: the error stays on the pending link
 * and no hdb_nodes record appears on either side), a third node joins and gossip completes the
 * mesh, the latency matrix and keyboard selection, removing a node with confirmation, a member
 * read through the connected node (cluster_network), and a table's
 * subscription toggled off and on in the subscriptions editor, each proven on the nodes
 * themselves. The page runs under `style-src 'self'` and must cause no CSP violation. Saves a
 * light and a dark screenshot of each step under test/e2e/screenshots/ (topology-*.png).
 * Skipped, with the reason, when dist/renderer is not built.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newAppPage, SCREENSHOTS, shoot as shootPage, STEP_TIMEOUT_MS, uiSkipReason, serialSteps } from '../support/browser.ts';
import { Cluster, waitFor, waitForConvergence } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';

/** How long a link may take to show connected after add_node. */
const LINK_TIMEOUT_MS = 20_000;
/** How long at least a blocked write is given to (wrongly) arrive, after its control arrived. */
const NEGATIVE_WINDOW_MS = 1_500;

const skipReason = uiSkipReason;

let cluster: Cluster;
let a: NodeProcess;
let b: NodeProcess;
let c: NodeProcess;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

/** A light and a dark screenshot of what is on screen now. */
function shoot(name: string): Promise<void> {
  return shootPage(page, `topology-${name}`);
}

/** The link label's test id, as the view names a pair (ends sorted). */
function linkTestId(x: NodeProcess, y: NodeProcess): string {
  const [first, second] = [x.host, y.host].sort((p, q) => p.localeCompare(q));
  return `link-${first}-${second}`;
}

const linkLabel = (x: NodeProcess, y: NodeProcess) => page.getByTestId(linkTestId(x, y));

async function waitForHealth(x: NodeProcess, y: NodeProcess, health: string | RegExp, timeout = LINK_TIMEOUT_MS): Promise<void> {
  const id = linkTestId(x, y);
  await page.waitForFunction(
    ([testId, expected, isRegExp]) => {
      const value = document.querySelector(`[data-testid="${testId}"]`)?.getAttribute('data-health') ?? '';
      return isRegExp ? new RegExp(expected).test(value) : value === expected;
    },
    [id, typeof health === 'string' ? health : health.source, typeof health !== 'string'] as const,
    { timeout },
  );
}

interface Status {
  connections: Array<{ name: string; database_sockets: Array<{ database: string; connected: boolean }> }>;
}

async function connectedTo(node: NodeProcess, peer: NodeProcess): Promise<boolean> {
  const status = await node.ok<Status>({ operation: 'cluster_status' });
  return status.connections.some((x) => x.name === peer.host && x.database_sockets.length > 0 && x.database_sockets.every((s) => s.connected));
}

async function anyOpenSocket(node: NodeProcess, peer: NodeProcess): Promise<boolean> {
  const status = await node.ok<Status>({ operation: 'cluster_status' });
  return status.connections.some((x) => x.name === peer.host && x.database_sockets.some((s) => s.connected));
}

async function nodeRecords(node: NodeProcess): Promise<string[]> {
  const rows = await node.ok<Array<{ name: string }>>({ operation: 'search_by_value', database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*', get_attributes: ['name'] });
  return rows.map((r) => r.name).sort();
}

async function keysOf(node: NodeProcess, table: string): Promise<string[]> {
  const rows = await node.ok<Array<{ id: string }>>({ operation: 'search_by_value', database: 'data', table, attribute: 'id', value: '*', get_attributes: ['id'] });
  return rows.map((r) => r.id);
}

/** Brings a node into the view through "Add node by URL" (it becomes a saved connection). */
async function addByUrl(node: NodeProcess, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Add node by URL' }).click();
  const dialog = page.getByTestId('add-node-dialog');
  await dialog.getByLabel('Operations API URL').fill(node.url);
  await dialog.getByLabel('Connection name').fill(name);
  assert.equal(await dialog.getByLabel('User name').inputValue(), ADMIN.username, 'the user name is prefilled from this session');
  await dialog.getByLabel('Password').fill(ADMIN.password);
  await dialog.getByRole('button', { name: 'Add to view' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByTestId(`member-${node.host}`).filter({ hasText: name }).waitFor();
  await page.getByTestId(`member-${node.host}`).getByText('0 links').waitFor();
}

/** Mouse down on one node's handle, move in steps, mouse up on the other's handle. */
async function dragLink(from: NodeProcess, to: NodeProcess): Promise<void> {
  const source = await page.getByTestId(`handle-${from.host}`).boundingBox();
  const target = await page.getByTestId(`handle-${to.host}`).boundingBox();
  assert.ok(source && target, 'both handles are on screen');
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(source.x + 40, source.y + 30, { steps: 4 });
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 12 });
  await page.mouse.up();
}

/** Drags a whole node (not its handle) and drops it onto another: a node outside the cluster joins it. */
async function dropOnto(from: NodeProcess, to: NodeProcess): Promise<void> {
  const source = await page.getByTestId(`member-${from.host}`).locator('.member-title').boundingBox();
  const target = await page.getByTestId(`member-${to.host}`).boundingBox();
  assert.ok(source && target, 'both nodes are on screen');
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(source.x + source.width / 2 - 20, source.y + source.height / 2 + 10, { steps: 4 });
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 15 });
  await page.mouse.up();
}

/** Drag (from the handle, or the whole node with `drop`), then fill and send the connect dialog. */
async function connect(from: NodeProcess, to: NodeProcess, password: string, beforeSubmit?: () => Promise<void>, drop = false): Promise<void> {
  if (drop) await dropOnto(from, to);
  else await dragLink(from, to);
  const dialog = page.getByTestId('connect-dialog');
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('User name').inputValue(), ADMIN.username);
  await dialog.getByLabel('Password').fill(password);
  await beforeSubmit?.();
  await dialog.getByRole('button', { name: 'Connect' }).click();
  await dialog.waitFor({ state: 'detached' });
}

before(async () => {
  if (skipReason) return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  cluster = await Cluster.start(3);
  [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
  for (const table of ['t1', 't2']) await a.ok({ operation: 'create_table', database: 'data', table, primary_key: 'id' });
  browser = await launchChromium();
  page = await newAppPage(browser);
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  // The desktop window's policy for styles (electron/policy.ts): nothing may need an inline
  // <style> element or a parsed style attribute. A <meta> policy added before any script runs
  // (as text: tsx would wrap a function in a helper the page does not have).
  await page.addInitScript(`
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sample + ' @' + event.sourceFile + ':' + event.lineNumber));
    const addPolicy = () => {
      const meta = document.createElement('meta');
      meta.httpEquiv = 'Content-Security-Policy';
      meta.content = "style-src 'self'";
      document.head.prepend(meta);
    };
    if (document.head) addPolicy();
    else new MutationObserver((records, observer) => { if (document.head) { observer.disconnect(); addPolicy(); } }).observe(document, { childList: true, subtree: true });
  `);
});

after(async () => {
  await browser?.close();
  await cluster?.cleanup();
});

test('the cluster view against real nodes', { timeout: 90_000, skip: skipReason ?? false }, async (t) => {
  // Each step builds on the last: after a failure the rest are skipped, and the screen is kept.
  const step = serialSteps(t, () => page, 'topology');

  await step('logs in and shows the node serving the UI alone', async () => {
    await page.goto(a.url);
    await page.getByRole('heading', { name: 'Log in to Local node' }).waitFor();
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('header-user').filter({ hasText: 'admin · super_user' }).waitFor();
    await page.getByRole('tab', { name: 'Cluster' }).click();
    await page.getByTestId(`member-${a.host}`).getByText('this connection').waitFor();
    assert.equal(await page.locator('.react-flow__edge').count(), 0);
  });

  await step('brings a second node into view by URL', async () => {
    await addByUrl(b, 'Node B');
    await page.getByTestId('cluster-summary').filter({ hasText: '2 nodes · 0 links' }).waitFor();
    // It became a saved connection, logged in (tokens only).
    await page.getByTestId('connection-Node B').getByText('admin').waitFor();
    await shoot('01-two-nodes');
  });

  await step('a wrong password: the error is on the pending link and nothing is created', async () => {
    await connect(a, b, 'not-the-password');
    await waitForHealth(a, b, 'failed');
    const label = linkLabel(a, b);
    assert.match(await label.innerText(), /Login failed/);
    const notice = page.getByTestId('link-panel').getByTestId('link-error');
    assert.match(await notice.innerText(), /Adding the peer on Local node \(http:\/\/[\d.]+:9925\) failed: .*Login failed.*\(HTTP 502\)\. Check the user name and password/);
    assert.doesNotMatch(await notice.innerText(), /\[object Object\]/);
    assert.deepEqual(await nodeRecords(a), [a.host], 'A has no record of B');
    assert.deepEqual(await nodeRecords(b), [b.host], 'B has no record of A');
    assert.equal(await anyOpenSocket(a, b), false);
    await shoot('02-wrong-password');
    await page.getByTestId('link-panel').getByRole('button', { name: 'Dismiss' }).click();
    await label.waitFor({ state: 'detached' });
  });

  await step('drag from A to B and fill the dialog: the link turns connected and replicates', async () => {
    await connect(a, b, ADMIN.password, async () => {
      const dialog = page.getByTestId('connect-dialog');
      await dialog.getByLabel("Verify the peer's TLS certificate").uncheck();
      await dialog.getByTestId('verify-tls-warning').getByText(/pose as it/).waitFor();
      await shoot('03-connect-dialog');
      await dialog.getByLabel("Verify the peer's TLS certificate").check();
    });
    await waitForHealth(a, b, /^(pending|connected|copying.*)$/, 5_000);
    await waitForHealth(a, b, 'connected');
    await waitFor('A and B to report each other connected', async () => (await connectedTo(a, b)) && (await connectedTo(b, a)), LINK_TIMEOUT_MS);
    await a.ok({ operation: 'insert', database: 'data', table: 't2', records: [{ id: 'from-a', note: 'written on A' }] });
    await waitForConvergence([a, b], 'data', 't2', { expectKeys: ['"from-a"'] });
    assert.match(await linkLabel(a, b).innerText(), /connected[\s\S]*lag/);
    await page.getByTestId('link-panel').getByTestId('link-socket-data').first().waitFor();
    await shoot('04-connected');
    // A second link between the same pair, or a link to itself, is refused: no dialog opens.
    await dragLink(a, b);
    await dragLink(b, a);
    const self = (await page.getByTestId(`member-${a.host}`).boundingBox())!;
    const handle = (await page.getByTestId(`handle-${a.host}`).boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(self.x + 30, self.y + self.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.waitForTimeout(200);
    assert.equal(await page.getByTestId('connect-dialog').count(), 0, 'duplicate and self links are refused');
    assert.equal(await page.locator('.react-flow__edge').count(), 1);
  });

  await step('a third node joins by drag; gossip links it to the rest: the full mesh', async () => {
    await addByUrl(c, 'Node C');
    // Where C sits relative to A: the canvas may pan while a node is dragged near its edge.
    const offsetFromA = async () => {
      const [from, to] = [(await page.getByTestId(`member-${a.host}`).boundingBox())!, (await page.getByTestId(`member-${c.host}`).boundingBox())!];
      return [Math.round(to.x - from.x), Math.round(to.y - from.y)];
    };
    const before = await offsetFromA();
    // Dropped onto a member, a node outside the cluster asks to join it (and goes back where it was).
    await connect(c, b, ADMIN.password, async () => {
      assert.match(await page.getByTestId('connect-dialog').getByRole('heading').innerText(), /Connect Node C to Node B/);
    }, true);
    assert.deepEqual(await offsetFromA(), before);
    for (const [x, y] of [[a, b], [b, c], [a, c]] as const) await waitForHealth(x, y, 'connected');
    assert.equal(await page.locator('.react-flow__edge').count(), 3);
    await page.getByTestId('cluster-summary').filter({ hasText: '3 nodes · 3 links' }).waitFor();
    await page.getByRole('button', { name: 'Auto layout' }).click();
    await page.waitForTimeout(300);
    await shoot('05-mesh');
  });

  await step('keyboard: arrow keys move the selection between nodes', async () => {
    await page.getByTestId(`member-${a.host}`).click();
    const title = page.getByTestId('node-panel').getByRole('heading', { level: 3 });
    await title.filter({ hasText: 'Local node' }).waitFor();
    await page.getByTestId('node-panel').getByTestId('node-record').getByText(a.host).first().waitFor();
    const seen = new Set<string>(['Local node']);
    for (const key of ['ArrowRight', 'ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight']) {
      await page.keyboard.press(key);
      seen.add(await title.innerText());
    }
    assert.ok(seen.size >= 2, `arrow keys reached another node: ${[...seen].join(', ')}`);
    await shoot('06-node-panel');
  });

  await step('the matrix view: a table with headers, keyboard navigation to a link', async () => {
    await page.getByText('Matrix', { exact: true }).click();
    const matrix = page.getByTestId('latency-matrix');
    await matrix.waitFor();
    assert.equal(await matrix.getByRole('columnheader').count(), 4);
    assert.equal(await matrix.getByRole('rowheader').count(), 3);
    assert.equal(await matrix.getByTestId(`matrix-${a.host}-${a.host}`).getAttribute('data-state'), 'self');
    assert.match((await matrix.getByTestId(`matrix-${a.host}-${b.host}`).getAttribute('data-state')) ?? '', /^(up|partial)$/);
    await matrix.getByTestId(`matrix-${a.host}-${a.host}`).click();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.getByTestId('link-panel').waitFor();
    await shoot('07-matrix');
    await page.getByText('Graph', { exact: true }).click();
    await page.getByTestId(`member-${a.host}`).waitFor();
  });

  await step('remove a node from the cluster with confirmation: both nodes stop replicating', async () => {
    await linkLabel(a, c).click();
    await page.getByTestId('link-panel').waitFor();
    // Delete on the selected link asks first.
    await page.keyboard.press('Delete');
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.waitFor();
    assert.equal(await confirm.getByLabel('Connection name to confirm').count(), 0, 'no typed confirmation off production');
    await shoot('08-confirm-disconnect');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await connectedTo(a, c), true, 'cancel changed nothing');

    await page.getByTestId('link-panel').getByRole('button', { name: /^Remove .* from cluster…$/ }).click();
    await confirm.getByRole('button', { name: 'Remove node from cluster' }).click();
    await confirm.waitFor({ state: 'detached' });
    await waitFor('A to stop replicating with C', async () => !(await anyOpenSocket(a, c)), LINK_TIMEOUT_MS);
    await waitFor('C to stop replicating with A', async () => !(await anyOpenSocket(c, a)), LINK_TIMEOUT_MS);
    await waitForHealth(a, c, /^(one-sided|down)$/);
    await shoot('09-disconnected');
  });

  await step('subscriptions: one table not received any more, then again', async () => {
    await waitFor('data.t1 to exist on B', async () => (await b.op({ operation: 'describe_table', database: 'data', table: 't1' })).status === 200);
    const bLabel = 'Node B';

    async function setReceive(on: boolean): Promise<void> {
      await linkLabel(a, b).click();
      await page.getByTestId('link-panel').getByRole('button', { name: 'Edit subscriptions' }).click();
      const editor = page.getByTestId('subscriptions-editor');
      await editor.waitFor();
      if (!on) {
        await editor.getByText('Selected databases').click();
        await editor.getByText('Advanced: per table').click();
      }
      const receive = editor.getByLabel(`Receive data.t1 from ${bLabel}`);
      await receive.setChecked(on);
      if (!on) await shoot('10-subscriptions-editor');
      await editor.getByRole('button', { name: 'Review changes' }).click();
      const diff = editor.getByTestId('subscription-diff');
      await diff.getByText(`receive from ${bLabel}: ${on ? 'off' : 'on'} →`).waitFor();
      if (!on) await shoot('11-subscriptions-diff');
      await editor.getByRole('button', { name: 'Save subscriptions' }).click();
      await editor.waitFor({ state: 'detached' });
    }

    await setReceive(false);
    const rows = await a.ok<Array<{ subscriptions_by_node: Record<string, Array<{ table: string; subscribe: boolean; publish: boolean }>> }>>({
      operation: 'search_by_id',
      database: 'system',
      table: 'hdb_nodes',
      ids: [b.host],
    });
    const list = rows[0]?.subscriptions_by_node[a.host] ?? [];
    assert.deepEqual(
      list.map((s) => [s.table, s.publish, s.subscribe]),
      [
        ['t1', true, false],
        ['t2', true, true],
      ],
    );
    // B writes to the blocked table, then to the control table on the same link.
    await b.ok({ operation: 'insert', database: 'data', table: 't1', records: [{ id: 'blocked' }] });
    await b.ok({ operation: 'insert', database: 'data', table: 't2', records: [{ id: 'control' }] });
    const started = Date.now();
    await waitFor('the control write to reach A', async () => (await keysOf(a, 't2')).includes('control'), LINK_TIMEOUT_MS);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, NEGATIVE_WINDOW_MS - (Date.now() - started))));
    assert.equal((await keysOf(a, 't1')).includes('blocked'), false, 'data.t1 from B must not reach A');
    await shoot('12-subscriptions-saved');

    await setReceive(true);
    await b.ok({ operation: 'insert', database: 'data', table: 't1', records: [{ id: 'flows-again' }] });
    await waitFor('data.t1 from B to reach A again', async () => (await keysOf(a, 't1')).includes('flows-again'), LINK_TIMEOUT_MS);
  });

  await step('positions are remembered; "Open status" switches to the node\'s connection', async () => {
    const box = async (node: NodeProcess) => (await page.getByTestId(`member-${node.host}`).boundingBox())!;
    const offset = async () => {
      const [from, to] = [await box(a), await box(b)];
      return [Math.round(to.x - from.x), Math.round(to.y - from.y)];
    };
    const before = await offset();
    await page.reload();
    await page.getByRole('tab', { name: 'Cluster' }).click();
    await waitForHealth(a, b, 'connected');
    assert.deepEqual(await offset(), before, 'B sits where it was, relative to A');

    await page.getByTestId(`member-${b.host}`).click();
    await page.getByTestId('node-panel').getByRole('button', { name: 'Open status' }).click();
    await page.getByTestId('connection-header').getByRole('heading', { name: 'Node B' }).waitFor();
    await page.getByRole('tab', { name: 'Status', selected: true }).waitFor();
    await page.getByTestId(`socket-${a.host}-data`).waitFor();
    await page.getByTestId('connection-Local node').click();
    await page.getByRole('tab', { name: 'Cluster', selected: true }).waitFor();
  });

  await step('a member without a saved connection is read through this node (cluster_network), never asked with this login', async () => {
    // Forget Node B: the local node answers for it over its replication link; nothing is sent to B with this session.
    await page.getByTestId('connection-Node B').hover();
    await page.getByRole('button', { name: 'Remove Node B' }).click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Remove connection' }).click();
    const member = page.getByTestId(`member-${b.host}`);
    await member.filter({ hasNotText: 'Node B' }).waitFor();
    await waitForHealth(a, b, 'connected');
    assert.equal(await member.getByText('not reachable').count(), 0);
    await member.click();
    const panel = page.getByTestId('node-panel');
    await panel.getByText(/Through this connection's node \(cluster_network/).waitFor();
    await shoot('13-member-through-network');
  });

  await step('no CSP violation, no console error, no password kept', async () => {
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    assert.ok(!stored.includes(ADMIN.password), 'passwords given to add_node or Add node by URL are never stored');
    assert.match(stored, /peerdesk\.topology\.v1/);
    assert.equal(await page.evaluate('document.querySelector(\'meta[http-equiv="Content-Security-Policy"]\')?.content'), "style-src 'self'");
    assert.deepEqual(await page.evaluate('window.cspViolations'), []);
    // Failed requests to a node (the wrong password, a token another node does not accept) are
    // logged by Chromium as console errors; nothing else may be.
    const unexpected = consoleErrors.filter((text) => !/Failed to load resource: the server responded with a status of (401|502)/.test(text));
    assert.deepEqual(unexpected, []);
  });
});
