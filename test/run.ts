/**
 * Runs every test file (unit, integration, e2e, and the quick subset of the fault suite: the
 * faults files define only their quick scenarios unless `npm run test:faults` runs them) with
 * Node's test runner, files in sequence so multi-process tests do not compete for two cores.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const suites = (process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'replication', 'security', 'e2e', 'faults']).map((s) => path.join('test', s));
const files = suites.flatMap((dir) =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(dir, f)) : [],
);
if (files.length === 0) {
  console.error(`No test files under ${suites.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-force-exit', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
