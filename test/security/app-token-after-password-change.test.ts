/**
 * Tokens die with the password (issue 10 item 6) for the desktop app's own per-launch token too:
 * once the admin's password changes, the held token no longer verifies, and the app issues a
 * fresh one instead of handing out the dead one until its half-life.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { NodeLifecycle } from '../../electron/node-lifecycle.ts';
import { postOperation } from '../../electron/ops-http.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-app-token-'));
const node = new NodeLifecycle({ rootPath: path.join(dir, 'node'), env: {} });
after(async () => {
  await node.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function status(url: string, token: string | null): Promise<number> {
  const response = await postOperation(url, JSON.stringify({ operation: 'user_info' }), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return response.status;
}

test("the app's launch token is replaced when the admin's password changes", async () => {
  assert.equal((await node.start()).state, 'running');
  const first = node.localNode();
  assert.equal(await status(first.url!, first.token), 200);
  const admin = node.node!.services.users.records().find((r) => r.role === 'super_user')!;
  await node.node!.services.users.alter({ username: String(admin.username), password: 'a-new-password' }, null);
  assert.equal(await status(first.url!, first.token), 401, 'the old token died with the password');
  const second = node.localNode();
  assert.notEqual(second.token, first.token);
  assert.equal(await status(second.url!, second.token), 200);
});
