/**
 * Attack: a web page opens a replication socket (issue 10 item 3). A page in a browser on a
 * member's host connects with the member's source IP, so on the plain-ws listener it would be
 * taken for that member. Browsers always send Origin (and Sec-Fetch-*) on a WebSocket upgrade and
 * a page cannot remove them: both listeners refuse any upgrade carrying them, with 403 and why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REPLICATION_PORT, SECURE_REPLICATION_PORT, startClusterNode } from '../support/cluster.ts';
import { freshLoopbackAddress, NodeProcess } from '../support/node-process.ts';
import { rawPeer } from './peer-support.ts';

const BROWSER_HEADERS: Array<Record<string, string>> = [
  { Origin: 'http://evil.example' },
  { Origin: 'null' },
  { 'Sec-Fetch-Mode': 'websocket' },
  { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Dest': 'empty' },
  { 'Sec-CH-UA': '"Chromium";v="120"' },
];

describe('replication upgrades from browsers are refused', () => {
  let plain: NodeProcess;
  let secure: NodeProcess;
  /** a member of `plain` (hdb_nodes row) whose source address the raw peer uses */
  const member = freshLoopbackAddress();
  before(async () => {
    [plain, secure] = await Promise.all([startClusterNode({}), startClusterNode({ secure: true })]);
    await plain.ok({ operation: 'add_node', hostname: member });
  });
  after(async () => Promise.all([plain?.cleanup(), secure?.cleanup()]));

  test('control: the member without browser headers is admitted on ws', async () => {
    const outcome = await rawPeer(`ws://${plain.host}:${REPLICATION_PORT}`, member, { localAddress: member, until: (r) => r.length > 0 });
    assert.equal(outcome.admitted, true, JSON.stringify(outcome));
  });

  for (const headers of BROWSER_HEADERS) {
    test(`ws: the member's address with ${Object.keys(headers).join(', ')} (${Object.values(headers)[0]}) is refused at the upgrade`, async () => {
      const outcome = await rawPeer(`ws://${plain.host}:${REPLICATION_PORT}`, member, { localAddress: member, headers });
      assert.equal(outcome.admitted, false, JSON.stringify(outcome));
      assert.equal(outcome.upgradeStatus, 403, JSON.stringify(outcome));
      assert.match(outcome.upgradeBody, /refuses upgrades from browsers/);
    });
  }

  for (const headers of BROWSER_HEADERS.slice(0, 3)) {
    test(`wss: ${Object.keys(headers).join(', ')} (${Object.values(headers)[0]}) is refused at the upgrade`, async () => {
      const outcome = await rawPeer(`wss://${secure.host}:${SECURE_REPLICATION_PORT}`, 'somebody', { headers });
      assert.equal(outcome.upgradeStatus, 403, JSON.stringify(outcome));
    });
  }

  test('replication on the operations API port (no replication port set) refuses browsers too', async () => {
    const opsOnly = await NodeProcess.start({ args: ['--REPLICATION_PORT=null', '--REPLICATION_SECUREPORT=null'] });
    try {
      const outcome = await rawPeer(`ws://${opsOnly.host}:${opsOnly.port}`, 'somebody', { headers: { Origin: 'http://evil.example' } });
      assert.equal(outcome.upgradeStatus, 403, JSON.stringify(outcome));
      assert.match(outcome.upgradeBody, /refuses upgrades from browsers/);
      // Without browser headers the same endpoint answers (and refuses the stranger by name).
      const stranger = await rawPeer(`ws://${opsOnly.host}:${opsOnly.port}`, 'somebody.example', {});
      assert.equal(stranger.upgradeStatus, null, JSON.stringify(stranger));
      assert.equal(stranger.code, 4003, JSON.stringify(stranger));
    } finally {
      await opsOnly.cleanup();
    }
  });

  test('the node still serves, and nothing was written to its users', async () => {
    const users = await plain.ok<Array<{ username: string }>>({ operation: 'list_users' });
    assert.deepEqual(users.map((u) => u.username), ['admin']);
  });
});
