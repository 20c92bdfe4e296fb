/**
 * `npm run bench [-- SUITE...]`: runs the named suites (all of them without an argument) and
 * prints one JSON line per figure on stdout; progress goes to stderr. Temp dirs and child
 * processes are removed even when a suite fails or the run is interrupted.
 */
import { hookSignals, note, runCleanups, sweepStaleTempDirs } from './lib.ts';

const SUITES: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  copy: () => import('./copy.ts'),
  ops: () => import('./ops.ts'),
  replication: () => import('./replication.ts'),
  scale: () => import('./scale.ts'),
  sharding: () => import('./sharding.ts'),
  ui: () => import('./ui.ts'),
};

async function main(): Promise<number> {
  const requested = process.argv.slice(2).filter((arg) => arg !== '--');
  const unknown = requested.filter((name) => !(name in SUITES));
  if (unknown.length > 0) {
    process.stderr.write(`Unknown bench suite${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Suites: ${Object.keys(SUITES).join(', ')}\n`);
    return 2;
  }
  hookSignals();
  sweepStaleTempDirs();
  const suites = requested.length > 0 ? requested : Object.keys(SUITES);
  for (const name of suites) {
    const started = performance.now();
    try {
      const suite = await SUITES[name]!();
      await suite.run();
    } finally {
      await runCleanups();
    }
    note(`suite ${name} done in ${Math.round((performance.now() - started) / 100) / 10} s`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    await runCleanups();
    process.exit(1);
  },
);
