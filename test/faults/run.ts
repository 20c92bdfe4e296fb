/**
 * `npm run test:faults`: every fault scenario over ws and wss, and the fuzzers, in full (the
 * 60 s partition, 10 restarts, 10,000 fuzzed requests), files in sequence. Prints the seed
 * (PEERDESK_FAULTS_SEED=<seed> reproduces a run) and then the table the issue asks for:
 * scenario → runs → lost acked writes → resurrected deletes → convergence time after heal →
 * peak RSS. Exits non-zero when any test failed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPORT_ENV, type ScenarioResult } from './scenario.ts';

const DIR = path.join('test', 'faults');
const seed = process.env.PEERDESK_FAULTS_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-faults-report-')), 'results.jsonl');
const only = process.argv.slice(2);
const files = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.test.ts') && (only.length === 0 || only.some((o) => f.includes(o))))
  .sort()
  .map((f) => path.join(DIR, f));
console.log(`fault suite: ${files.length} files, seed ${seed}`);
const started = Date.now();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-force-exit', ...files], {
  stdio: 'inherit',
  env: { ...process.env, PEERDESK_FAULTS_FULL: '1', PEERDESK_FAULTS_SEED: seed, [REPORT_ENV]: report },
});
const rows: ScenarioResult[] = fs.existsSync(report) ? fs.readFileSync(report, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ScenarioResult) : [];
console.log(`\nfault suite: ${Math.round((Date.now() - started) / 1000)} s, seed ${seed}\n`);
console.log(formatTable(rows));
fs.rmSync(path.dirname(report), { recursive: true, force: true });
process.exit(result.status ?? 1);

function formatTable(results: ScenarioResult[]): string {
  const byScenario = new Map<string, ScenarioResult[]>();
  for (const row of results) byScenario.set(row.scenario, [...(byScenario.get(row.scenario) ?? []), row]);
  const header = ['scenario', 'runs', 'lost acked writes', 'resurrected deletes', 'convergence after heal (max ms)', 'peak RSS (MB)', 'violations'];
  const lines = [...byScenario].map(([scenario, runs]) => [
    scenario,
    `${runs.length} (${runs.map((r) => r.scheme).join('+')})`,
    sum(runs.map((r) => r.lostWrites)),
    sum(runs.map((r) => r.resurrectedDeletes)),
    max(runs.map((r) => r.convergenceMs)),
    max(runs.map((r) => Math.round(r.peakRssBytes / (1024 * 1024)))),
    String(runs.reduce((n, r) => n + r.violations.length, 0)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(format)].join('\n');
}

/** NaN (JSON null in the report): a run that could not measure it. A declaration, not a const:
 * the table is printed by top-level code above, before a const here would be initialised. */
function unmeasured(values: Array<number | null>): boolean {
  return values.some((v) => v === null || Number.isNaN(v));
}

function sum(values: Array<number | null>): string {
  return unmeasured(values) ? 'n/a (failed)' : String((values as number[]).reduce((a, b) => a + b, 0));
}

function max(values: Array<number | null>): string {
  return unmeasured(values) ? 'n/a (failed)' : String(Math.max(...(values as number[])));
}
