/**
 * Tells whether the Electron runtime can launch on this machine, and if not, why. Side-effect free:
 * requiring the `electron` package downloads a missing binary, so this reads the path it would
 * return (node_modules/electron/path.txt, ELECTRON_OVERRIDE_DIST_PATH) and probes that binary.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronRuntime =
  | { ok: true; binary: string }
  /** `installScript` is set when only the binary is missing and running it would fetch one. */
  | { ok: false; reason: string; installScript?: string };

/** How long `electron --version` may take before the binary counts as not runnable. */
const PROBE_TIMEOUT_MS = 15_000;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function detectElectronRuntime(env: NodeJS.ProcessEnv = process.env): ElectronRuntime {
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { ok: false, reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron'));
  } catch (error) {
    return { ok: false, reason: `the electron package is not installed (${message(error)})` };
  }
  const installScript = join(packageDir, 'install.js');
  const pathFile = join(packageDir, 'path.txt');
  let relative = '';
  try {
    relative = readFileSync(pathFile, 'utf8').trim();
  } catch {
    // No path.txt: the binary download never completed (unless an override dir is given).
  }
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!relative && !override) {
    return { ok: false, reason: `the Electron binary was never downloaded (${pathFile} is missing)`, installScript };
  }
  const binary = override ? join(override, relative || 'electron') : join(packageDir, 'dist', relative);
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    return {
      ok: false,
      reason: `the Electron binary ${binary} is missing or not executable`,
      ...(override ? {} : { installScript }),
    };
  }
  const probe = spawnSync(binary, ['--version'], {
    env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
  });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? message(probe.error) : probe.stderr.trim() || `exit status ${probe.status}`;
    return { ok: false, reason: `the Electron binary ${binary} does not run (${why})` };
  }
  return { ok: true, binary };
}
