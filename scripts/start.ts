/**
 * `npm start`: opens Peerdesk in Electron when its runtime can launch here; otherwise says why
 * and runs the embedded node in the foreground, serving the web UI, until SIGINT or SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, startNode } from '../node-core/index.ts';
import { detectElectronRuntime, type ElectronRuntime } from './electron-runtime.ts';

const REPO_ROOT = join(import.meta.dirname, '..');
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** Compiles electron/ (and the node-core it imports), then runs the app; exits as Electron does. */
function runElectron(binary: string): void {
  const npmCli = process.env.npm_execpath;
  const build = npmCli
    ? spawnSync(process.execPath, [npmCli, 'run', 'build:electron'], { cwd: REPO_ROOT, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build:electron'], { cwd: REPO_ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) {
    console.error(`Peerdesk: npm run build:electron failed (${build.error?.message ?? `exit status ${build.status}`})`);
    process.exit(1);
  }
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [REPO_ROOT, ...process.argv.slice(2)], { cwd: REPO_ROOT, env, stdio: 'inherit' });
  for (const signal of FORWARDED_SIGNALS) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    console.error(`Peerdesk: could not launch Electron (${binary}): ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/** The embedded node alone, serving dist/renderer; a signal stops it cleanly and exits 0. */
async function runNodeOnly(reason: string): Promise<void> {
  console.log(`Electron not used: ${reason}; serving the Peerdesk UI from the embedded node instead.`);
  const node = await startNode({
    rootPath: process.env.ROOTPATH ?? join(homedir(), '.peerdesk', 'node'),
    argv: process.argv.slice(2),
    rendererDir: join(REPO_ROOT, 'dist', 'renderer'),
  });
  if (node.generatedAdminPassword) {
    console.log(`First start: created user 'admin' with password ${node.generatedAdminPassword} (shown only this once).`);
  }
  console.log(`Peerdesk UI: ${node.opsUrl}`);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await node.stop();
      process.exit(0);
    } catch (error) {
      console.error(`Peerdesk: stopping the node at ${node.rootPath} after ${signal} failed:`, error);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** On a desktop whose Electron binary was never fetched, fetch it once (as `electron` would). */
function detectOrInstallElectron(): ElectronRuntime {
  const runtime = detectElectronRuntime();
  if (runtime.ok || !runtime.installScript) return runtime;
  console.log(`Peerdesk: ${runtime.reason}; downloading it now.`);
  const install = spawnSync(process.execPath, [runtime.installScript], { stdio: 'inherit', timeout: INSTALL_TIMEOUT_MS });
  if (install.status === 0) return detectElectronRuntime();
  return { ok: false, reason: `${runtime.reason} and downloading it failed` };
}

const runtime = detectOrInstallElectron();
if (runtime.ok) {
  runElectron(runtime.binary);
} else {
  await runNodeOnly(runtime.reason).catch((error: unknown) => {
    // A configuration error already names the key, the value and what is expected.
    if (error instanceof ConfigError) console.error(error.message);
    else console.error('Peerdesk: the embedded node did not start:', error);
    process.exit(error instanceof ConfigError ? 2 : 1);
  });
}
