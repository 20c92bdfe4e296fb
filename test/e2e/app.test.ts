/**
 * End-to-end test of the renderer in Debian Chromium against two real replicating nodes: log in
 * to the node serving the UI, browse system.hdb_nodes, insert/edit/delete a record, export,
 * watch the status dashboard refresh, read the node view, add the second node as a production
 * connection and switch between them without losing place, and see clear errors for a bad URL
 * and a wrong password. Saves a light and a dark screenshot of every view under
 * test/e2e/screenshots/. Skipped, with the reason, when dist/renderer is not built.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newAppPage, SCREENSHOTS, shoot as shootPage, STEP_TIMEOUT_MS, uiSkipReason } from '../support/browser.ts';
import { Cluster, waitForConvergence } from '../support/cluster.ts';
import { ADMIN, type NodeProcess } from '../support/node-process.ts';



const skipReason = uiSkipReason;

let cluster: Cluster;
let local: NodeProcess;
let remote: NodeProcess;
let browser: Browser;
let page: Page;

/** A light and a dark screenshot of what is on screen now. */
function shoot(name: string): Promise<void> {
  return shootPage(page, `${name}`);
}

/** The UI comes from the local node's own origin: the node serves dist/renderer on GET. */
async function assertNodeServesUi(node: NodeProcess): Promise<void> {
  const response = await fetch(`${node.url}/`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/, `${node.url} does not serve the UI`);
}

before(async () => {
  if (skipReason) return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  cluster = await Cluster.start(2, { mesh: true });
  [local, remote] = cluster.nodes as [NodeProcess, NodeProcess];
  await local.ok({ operation: 'create_table', database: 'data', table: 'dog', primary_key: 'id' });
  await local.ok({
    operation: 'insert',
    database: 'data',
    table: 'dog',
    records: [
      { id: 1, name: 'Rex', breed: 'Collie', age: 4 },
      { id: 2, name: 'Fido, "the brave"', breed: 'Beagle', age: 2 },
      { id: 3, name: 'Luna', breed: 'Husky', age: 6, tags: ['fast', 'loud'] },
    ],
  });
  await waitForConvergence([local, remote], 'data', 'dog', { expectKeys: ['1', '2', '3'] });
  browser = await launchChromium();
  page = await newAppPage(browser, { acceptDownloads: true });
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
  await assertNodeServesUi(local);
});

after(async () => {
  await browser?.close();
  await cluster?.cleanup();
});

test('the Peerdesk renderer against real nodes', { timeout: 90_000, skip: skipReason ?? false }, async (t) => {
  await t.test('a wrong password on the local node says so and what to do', async () => {
    await page.goto(local.url);
    await page.getByRole('heading', { name: 'Peerdesk' }).waitFor();
    await page.getByRole('heading', { name: 'Log in to Local node' }).waitFor();
    await shoot('01-login');
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    const error = page.getByTestId('login-error');
    await error.waitFor();
    const text = await error.innerText();
    assert.match(text, /Logging in to Local node \(http:\/\/[\d.]+:9925\) failed: Login failed \(HTTP 401\)\. Check the user name and password\./);
    assert.doesNotMatch(text, /\[object Object\]/);
    await shoot('02-login-wrong-password');
  });

  await t.test('logs in to the node serving the UI', async () => {
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('header-user').filter({ hasText: 'admin · super_user' }).waitFor();
    // Only tokens are kept, never the password.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    assert.ok(!stored.includes(ADMIN.password), 'the password must not be stored');
    assert.match(stored, /operationToken/);
  });

  await t.test('browses system.hdb_nodes (and hdb_user without password hashes)', async () => {
    await page.getByTestId('table-system.hdb_nodes').click();
    const grid = page.getByTestId('records-grid');
    await grid.getByRole('cell', { name: remote.host, exact: true }).waitFor();
    await grid.getByRole('cell', { name: local.host, exact: true }).waitFor();
    await shoot('03-tables-hdb-nodes');
    await page.getByTestId('table-system.hdb_user').click();
    await grid.getByRole('cell', { name: 'admin', exact: true }).waitFor();
    const headers = await grid.locator('thead th').allInnerTexts();
    assert.ok(!headers.some((h) => /password/i.test(h)), `no password column: ${headers.join(', ')}`);
    assert.equal(await grid.getByText(/scrypt|argon2|\$/).count(), 0);
  });

  await t.test('inserts, edits and deletes a record in a user table', async () => {
    await page.getByTestId('table-data.dog').click();
    const grid = page.getByTestId('records-grid');
    await grid.getByRole('cell', { name: 'Luna' }).waitFor();
    await shoot('04-tables-data-dog');

    await page.getByRole('button', { name: 'Insert record' }).click();
    const editor = page.getByTestId('record-editor');
    const json = editor.getByRole('textbox');
    await json.fill('{"id": 100, "name": ');
    await editor.getByRole('button', { name: 'Insert' }).click();
    await editor.getByText(/Not valid JSON/).waitFor();
    await json.fill('{"id": 100, "name": "Nova", "breed": "Samoyed", "age": 1}');
    await shoot('05-record-insert');
    await editor.getByRole('button', { name: 'Insert' }).click();
    await editor.waitFor({ state: 'detached' });
    await page.getByTestId('record-json').filter({ hasText: '"Samoyed"' }).waitFor();
    await grid.getByRole('cell', { name: 'Nova' }).waitFor();
    assert.equal((await local.ok<Array<{ name: string }>>({ operation: 'search_by_id', database: 'data', table: 'dog', ids: [100] }))[0]?.name, 'Nova');
    await shoot('06-record-panel');

    await page.getByTestId('record-panel').getByRole('button', { name: 'Edit' }).click();
    await editor.waitFor();
    const edited = JSON.parse(await json.inputValue()) as Record<string, unknown>;
    assert.equal(edited.__createdtime__, undefined, 'node timestamps are left out of the editor');
    await json.fill(JSON.stringify({ ...edited, name: 'Nova Star', age: 2 }, null, 2));
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.waitFor({ state: 'detached' });
    await grid.getByRole('cell', { name: 'Nova Star' }).waitFor();
    const [after] = await local.ok<Array<{ name: string; age: number; breed: string }>>({ operation: 'search_by_id', database: 'data', table: 'dog', ids: [100] });
    assert.deepEqual([after?.name, after?.age, after?.breed], ['Nova Star', 2, 'Samoyed']);

    await page.getByTestId('record-panel').getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByTestId('confirm-dialog');
    assert.equal(await confirm.getByLabel('Connection name to confirm').count(), 0, 'no typed confirmation off production');
    await shoot('07-confirm-delete');
    await confirm.getByRole('button', { name: 'Delete record' }).click();
    await confirm.waitFor({ state: 'detached' });
    await grid.getByRole('cell', { name: 'Nova Star' }).waitFor({ state: 'detached' });
    assert.deepEqual(await local.ok({ operation: 'search_by_id', database: 'data', table: 'dog', ids: [100] }), []);
  });

  await t.test('sorts on the node and exports the page as CSV and JSON', async () => {
    const grid = page.getByTestId('records-grid');
    await grid.getByRole('button', { name: 'name' }).click();
    await grid.getByRole('button', { name: 'name' }).click(); // descending
    await grid.locator('th[aria-sort="descending"]', { hasText: 'name' }).waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="records-grid"] tbody tr td:first-child')].map((td) => td.textContent).join() === '1,3,2');
    const ids = await grid.locator('tbody tr td:first-child').allInnerTexts();
    assert.deepEqual(ids, ['1', '3', '2'], 'Rex, Luna, Fido by name descending');

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.equal(csvDownload.suggestedFilename(), 'data.dog.csv');
    const csv = fs.readFileSync((await csvDownload.path())!, 'utf8').split('\r\n');
    assert.equal(csv[0], 'id,age,breed,name,tags,__createdtime__,__updatedtime__');
    assert.match(csv[1]!, /^1,4,Collie,Rex,,\d+,\d+$/);
    assert.match(csv[2]!, /^3,6,Husky,Luna,"\[""fast"",""loud""\]",\d+,\d+$/);
    assert.match(csv[3]!, /^2,2,Beagle,"Fido, ""the brave""",,\d+,\d+$/);

    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    const exported = JSON.parse(fs.readFileSync((await jsonDownload.path())!, 'utf8')) as Array<{ id: number; name: string; tags?: string[] }>;
    assert.deepEqual(exported.map((r) => r.id), [1, 3, 2]);
    assert.deepEqual(exported[1]?.tags, ['fast', 'loud']);
  });

  await t.test('searches by conditions', async () => {
    await page.getByText('By conditions', { exact: true }).click();
    await page.getByLabel('Attribute of condition 1').selectOption('age');
    await page.getByLabel('Comparator of condition 1').selectOption('greater_than');
    await page.getByLabel('Value of condition 1').fill('3');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const grid = page.getByTestId('records-grid');
    await grid.getByRole('cell', { name: 'Beagle' }).waitFor({ state: 'detached' });
    // Still sorted by name, descending: a search keeps the sort.
    assert.deepEqual(await grid.locator('tbody tr td:first-child').allInnerTexts(), ['1', '3']);
    await shoot('08-search-conditions');
  });

  await t.test('the status dashboard shows the peer and refreshes on its own', async () => {
    await page.getByRole('tab', { name: 'Status' }).click();
    const row = page.getByTestId(`socket-${remote.host}-data`);
    await row.waitFor();
    await row.getByText(/Receiving|Waiting|Copying/).waitFor();
    await page.getByTestId('system-summary').getByTestId('node-name').filter({ hasText: local.host }).waitFor();
    const isStatusRequest = (request: { method(): string; postData(): string | null }) => request.method() === 'POST' && (request.postData() ?? '').includes('"cluster_status"');
    await page.getByLabel('Auto-refresh interval').selectOption('2000');
    const before = await page.getByTestId('updated-ago').innerText();
    await page.waitForRequest(isStatusRequest, { timeout: 5_000 });
    await page.waitForRequest(isStatusRequest, { timeout: 5_000 });
    await page.waitForFunction((text) => document.querySelector('[data-testid="updated-ago"]')?.textContent !== text, before, { timeout: 5_000 });
    await shoot('09-status');

    // Hidden document: the ticks are skipped; visible again: one refresh at once.
    let requests = 0;
    const count = (request: { method(): string; postData(): string | null }) => {
      if (isStatusRequest(request)) requests += 1;
    };
    // As text: tsx would wrap the getters in a helper the page does not have.
    await page.evaluate(`
      Object.defineProperty(document, 'hidden', { configurable: true, value: true });
      Object.defineProperty(document, 'visibilityState', { configurable: true, value: 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    `);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a fetch already in flight may finish
    page.on('request', count);
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    assert.equal(requests, 0, 'no refresh while the document is hidden');
    const visibleAgain = page.waitForRequest(isStatusRequest, { timeout: 1_000 });
    await page.evaluate(`
      delete document.hidden;
      delete document.visibilityState;
      document.dispatchEvent(new Event('visibilitychange'));
    `);
    await visibleAgain;
    page.off('request', count);
    await page.getByLabel('Auto-refresh interval').selectOption('0');
  });

  await t.test('the node view shows configuration, log lines and users', async () => {
    await page.getByRole('tab', { name: 'Node' }).click();
    await page.getByTestId('config-table').getByText('replication.hostname').waitFor();
    await page.getByTestId('log-table').getByText('Node started').waitFor();
    await page.getByTestId('users-table').getByRole('cell', { name: 'admin' }).waitFor();
    await page.getByTestId('lifecycle-note').getByText(/desktop app/).waitFor();
    assert.equal(await page.getByTestId('lifecycle-buttons').count(), 0, 'no Start/Stop/Restart that cannot work in a browser');
    await shoot('10-node');
  });

  await t.test('a bad URL and a wrong password for a new connection each say what failed', async () => {
    await page.getByRole('button', { name: 'Add connection' }).click();
    const form = page.getByTestId('connection-form');
    await form.getByLabel('Name', { exact: true }).fill('Node B');
    await form.getByLabel('Operations API URL').fill('http://127.0.0.1:59999');
    await form.getByRole('button', { name: 'Test connection' }).click();
    const testError = form.getByTestId('connection-test-error');
    await testError.waitFor();
    assert.match(await testError.innerText(), /Testing the connection to Node B \(http:\/\/127\.0\.0\.1:59999\) failed: the node could not be reached .*Check that the node is running, that the URL/);
    await shoot('11-connection-bad-url');

    await form.getByLabel('Operations API URL').fill(remote.url);
    await form.getByLabel('User name').fill(ADMIN.username);
    await form.getByLabel('Password').fill('wrong-password');
    await form.getByRole('button', { name: 'Log in and save' }).click();
    const saveError = form.getByTestId('connection-save-error');
    await saveError.waitFor();
    assert.match(await saveError.innerText(), /Logging in to Node B \(http:\/\/[\d.]+:9925\) failed: Login failed \(HTTP 401\)\. Check the user name and password\./);
    await shoot('12-connection-wrong-password');
  });

  await t.test('adds the second node as a production connection and switches to it', async () => {
    const form = page.getByTestId('connection-form');
    await form.getByLabel('Password').fill(ADMIN.password);
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.getByTestId('connection-test-result').getByText(`on node ${remote.host}`).waitFor();
    await form.getByLabel('Violet').check();
    await form.getByLabel('Production').check();
    await shoot('13-connection-form');
    await form.getByRole('button', { name: 'Log in and save' }).click();
    await form.waitFor({ state: 'detached' });

    const header = page.getByTestId('connection-header');
    await header.getByRole('heading', { name: 'Node B' }).waitFor();
    await header.getByText('Production').waitFor();
    assert.equal(await header.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(124, 58, 237)');
    await page.getByTestId('header-user').filter({ hasText: 'admin · super_user' }).waitFor();

    // The replicated table on the second node; a delete there needs the name typed.
    await page.getByTestId('table-data.dog').click();
    await page.getByTestId('records-grid').getByRole('cell', { name: 'Luna' }).click();
    await page.getByTestId('record-panel').getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByTestId('confirm-dialog');
    const button = confirm.getByRole('button', { name: 'Delete record' });
    assert.equal(await button.isDisabled(), true);
    await confirm.getByLabel('Connection name to confirm').fill('Node');
    assert.equal(await button.isDisabled(), true);
    await confirm.getByLabel('Connection name to confirm').fill('Node B');
    assert.equal(await button.isDisabled(), false);
    await shoot('14-confirm-production');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await shoot('15-remote-tables');
  });

  await t.test('switching connections keeps each one’s place', async () => {
    await page.getByTestId('connection-Local node').click();
    await page.getByRole('tab', { name: 'Node', selected: true }).waitFor();
    await page.getByTestId('connection-header').getByRole('heading', { name: 'Local node' }).waitFor();
    await page.getByTestId('connection-Node B').click();
    await page.getByRole('tab', { name: 'Tables', selected: true }).waitFor();
    await page.getByTestId('record-panel').getByText('"Luna"').waitFor();

    // Keyboard: from Node B, ArrowUp moves to Local node and Enter opens it.
    await page.getByTestId('connection-Node B').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.getByTestId('connection-header').getByRole('heading', { name: 'Local node' }).waitFor();
  });
});
