// End-to-end smoke test of the desktop app: launches the compiled Electron main with Playwright
// and checks the window moves from the status page to the UI the embedded node serves, with the
// preload bridge in place; skipped (with the reason) where Electron cannot run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { _electron } from 'playwright-core';
import { detectElectronRuntime } from '../../scripts/electron-runtime.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const LAUNCH_TIMEOUT_MS = 60_000;

function npmRun(script: string): void {
  const npmCli = process.env.npm_execpath;
  const result = npmCli
    ? spawnSync(process.execPath, [npmCli, 'run', script], { cwd: REPO_ROOT, stdio: 'inherit' })
    : spawnSync('npm', ['run', script], { cwd: REPO_ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  assert.equal(result.status, 0, `npm run ${script} failed`);
}

test('the Electron app opens a window titled Peerdesk', { timeout: 3 * LAUNCH_TIMEOUT_MS }, async (t) => {
  const runtime = detectElectronRuntime();
  if (!runtime.ok) {
    console.log(`skipped: ${runtime.reason}`);
    t.skip(runtime.reason);
    return;
  }
  if (!existsSync(join(REPO_ROOT, 'dist', 'renderer', 'index.html'))) npmRun('build:renderer');
  npmRun('build:electron');

  const userData = mkdtempSync(join(tmpdir(), 'peerdesk-e2e-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  delete env.ELECTRON_RUN_AS_NODE;
  env.PEERDESK_USER_DATA = userData;
  env.HDB_ADMIN_USERNAME = 'admin';
  env.HDB_ADMIN_PASSWORD = 'e2e-secret';

  const app = await _electron.launch({
    executablePath: runtime.binary,
    args: [REPO_ROOT],
    cwd: REPO_ROOT,
    env,
    timeout: LAUNCH_TIMEOUT_MS,
  });
  try {
    const window = await app.firstWindow({ timeout: LAUNCH_TIMEOUT_MS });
    await window.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//, { timeout: LAUNCH_TIMEOUT_MS });
    await window.waitForLoadState('domcontentloaded');
    assert.equal(await window.title(), 'Peerdesk');
    await window.getByRole('heading', { name: 'Peerdesk' }).waitFor({ timeout: LAUNCH_TIMEOUT_MS });
    const bridge = await window.evaluate(async () => {
      const api = (window as unknown as { peerdesk: import('../../electron/ipc/contract.ts').PeerdeskApi }).peerdesk;
      const local = await api.getLocalNode();
      return {
        keys: Object.keys(api).sort(),
        state: local.ok ? local.value.state : local.error.message,
        hasToken: local.ok && typeof local.value.token === 'string',
        sameOrigin: local.ok && local.value.url === location.origin,
      };
    });
    assert.deepEqual(bridge, {
      keys: ['appVersion', 'connections', 'getLocalNode', 'localNode', 'openExternal', 'pickPemFile', 'request'],
      state: 'running',
      hasToken: true,
      sameOrigin: true,
    });
  } finally {
    await app.close();
    rmSync(userData, { recursive: true, force: true });
  }
});
