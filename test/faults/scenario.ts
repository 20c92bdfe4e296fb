/**
 * How every fault scenario runs: a 3-node mesh whose links go through fault proxies (ws or
 * wss), a seeded workload of random writes and deletes recorded as a history, the scenario's
 * faults while it runs, then everything healed (proxies back to pass, paused nodes resumed,
 * killed nodes restarted) and the invariant checker over the converged state. Each run appends
 * a row (scenario, lost acked writes, resurrected deletes, convergence time, peak RSS) to the
 * report file `npm run test:faults` prints as a table.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { waitForLink } from '../support/cluster.ts';
import { FaultNetwork, type Scheme } from '../support/fault-network.ts';
import { seededRandom } from '../support/fault-proxy.ts';
import { DATABASE, DEFAULT_WORKLOAD, History, TABLE, Workload, type WorkloadOptions } from '../support/history.ts';
import { awaitConvergence, check, checkSameWinner, MAX_NODE_RSS_BYTES, RssSampler, snapshot, violations, type Verdict } from '../support/invariants.ts';
import type { ClusterNodeOptions } from '../support/cluster.ts';
import type { NodeProcess } from '../support/node-process.ts';

/** Set by test/faults/run.ts: where each scenario run appends its row (JSON lines). */
export const REPORT_ENV = 'PEERDESK_FAULTS_REPORT';
/** Set by test/faults/run.ts for the full run; absent (quick subset in `npm test`) it is false. */
export const FULL_RUN = process.env.PEERDESK_FAULTS_FULL === '1';
/** Seed: PEERDESK_FAULTS_SEED reproduces a run; otherwise a fresh one, printed. */
export const BASE_SEED = Number(process.env.PEERDESK_FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** After the heal, the cluster must converge within this. */
export const CONVERGENCE_TIMEOUT_MS = 60_000;
/** The schemes every scenario runs over (PEERDESK_FAULTS_SCHEMES=ws narrows a run while debugging). */
export const SCHEMES: Scheme[] = (process.env.PEERDESK_FAULTS_SCHEMES?.split(',') ?? ['ws', 'wss']).filter((s): s is Scheme => s === 'ws' || s === 'wss');

export interface ScenarioContext {
  net: FaultNetwork;
  history: History;
  workload: Workload;
  scheme: Scheme;
  seed: number;
  random: () => number;
  /** note a fact for the report line */
  note(text: string): void;
}

export interface Scenario {
  name: string;
  nodes?: number;
  perNode?: (index: number) => ClusterNodeOptions;
  /** nodes started before the workload (default all) */
  startNow?: number[];
  /** which nodes the workload writes to (default every running node) */
  writers?: (net: FaultNetwork) => NodeProcess[];
  /** no background workload: the body writes itself */
  noWorkload?: boolean;
  workload?: Partial<WorkloadOptions>;
  /** extra data before the workload starts (e.g. a big table for an initial sync) */
  setup?: (context: ScenarioContext) => Promise<void>;
  /** the faults, applied while the workload runs; returns when they are over */
  body: (context: ScenarioContext) => Promise<void>;
  /** how long convergence may take after the heal (default CONVERGENCE_TIMEOUT_MS) */
  convergenceTimeoutMs?: number;
  /** checks after convergence, beyond the invariants */
  after?: (context: ScenarioContext, verdict: Verdict) => Promise<void>;
}

export interface ScenarioResult {
  scenario: string;
  scheme: Scheme;
  seed: number;
  acked: number;
  lostWrites: number;
  resurrectedDeletes: number;
  convergenceMs: number;
  peakRssBytes: number;
  violations: string[];
  notes: string[];
}

/** Run `scenario` once over `scheme`; throws (after writing its row) when an invariant fails. */
export async function runScenario(scenario: Scenario, scheme: Scheme, seed = BASE_SEED): Promise<ScenarioResult> {
  console.log(`# fault scenario "${scenario.name}" over ${scheme}, seed ${seed} (PEERDESK_FAULTS_SEED=${seed} reproduces)`);
  const count = scenario.nodes ?? 3;
  let net: FaultNetwork;
  try {
    net = await FaultNetwork.start(count, { scheme, seed, ...(scenario.perNode ? { perNode: scenario.perNode } : {}), ...(scenario.startNow ? { startNow: scenario.startNow } : {}) });
  } catch (error) {
    report({ scenario: scenario.name, scheme, seed, acked: 0, lostWrites: NaN, resurrectedDeletes: NaN, convergenceMs: NaN, peakRssBytes: 0, violations: [`could not start: ${(error as Error).message}`], notes: [] });
    throw error;
  }
  const history = new History();
  const notes: string[] = [];
  const workload = new Workload(history, { ...DEFAULT_WORKLOAD, ...scenario.workload, seed });
  const random = seededRandom(seed ^ 0x5eed);
  const context: ScenarioContext = { net, history, workload, scheme, seed, random, note: (text) => notes.push(text) };
  const sampler = new RssSampler(() => net.nodes);
  let result: ScenarioResult | undefined;
  try {
    await net.nodes[0]!.ok({ operation: 'create_table', database: DATABASE, table: TABLE, primary_key: 'id' });
    await waitForMesh(net.nodes);
    await scenario.setup?.(context);
    if (!scenario.noWorkload) workload.start(() => scenario.writers?.(net) ?? net.nodes);
    await scenario.body(context);
    await workload.stop();
    // Heal everything, then start counting convergence time.
    net.heal();
    for (let i = 0; i < count; i++) {
      const node = await net.startNode(i);
      node.resume();
      if (!node.running) await node.startProcess();
    }
    result = await judge(scenario, scheme, seed, context, sampler, notes);
  } catch (error) {
    result = { scenario: scenario.name, scheme, seed, acked: history.acknowledgedWrites, lostWrites: NaN, resurrectedDeletes: NaN, convergenceMs: NaN, peakRssBytes: sampler.stop(), violations: [String((error as Error).message ?? error)], notes };
  } finally {
    await workload.stop();
    if (result && result.violations.length > 0) keepLogs(net, result);
    await net.cleanup();
    if (result) report(result);
  }
  return finish(result);
}

/** After the heal: wait for convergence and run the invariant checker (per node when it never converges). */
async function judge(scenario: Scenario, scheme: Scheme, seed: number, context: ScenarioContext, sampler: RssSampler, notes: string[]): Promise<ScenarioResult> {
  const { net, history } = context;
  {
    const converged = await awaitConvergence(net.nodes, scenario.convergenceTimeoutMs ?? CONVERGENCE_TIMEOUT_MS).catch((error: Error) => error);
    if (converged instanceof Error) return divergedResult(scenario.name, scheme, seed, history, net.nodes, converged, notes, sampler.stop());
    const { state, ms } = converged;
    const verdict = check(history, state);
    if (net.connectionsAccepted === 0) verdict.divergence.push('no link went through the fault proxies');
    await checkSameWinner(net.nodes, verdict);
    await scenario.after?.(context, verdict);
    const peak = sampler.stop();
    if (peak > MAX_NODE_RSS_BYTES) {
      const perNode = [...sampler.peaks].map(([host, bytes]) => `${host} ${mb(bytes)} MB`).join(', ');
      verdict.divergence.push(`peak RSS ${mb(peak)} MB over the ${mb(MAX_NODE_RSS_BYTES)} MB bound (${perNode})`);
    }
    return {
      scenario: scenario.name,
      scheme,
      seed,
      acked: history.acknowledgedWrites,
      lostWrites: verdict.lostWrites.length,
      resurrectedDeletes: verdict.resurrectedDeletes.length,
      convergenceMs: ms,
      peakRssBytes: peak,
      violations: violations(verdict),
      notes,
    };
  }
}

function finish(result: ScenarioResult): ScenarioResult {
  assert.deepEqual(result.violations, [], `${result.scenario} over ${result.scheme} (seed ${result.seed}): ${result.violations.length} violations`);
  return result;
}

/** No convergence: judge each node's own state, so the row still counts what was lost or came back. */
async function divergedResult(scenario: string, scheme: Scheme, seed: number, history: History, nodes: NodeProcess[], error: Error, notes: string[], peak: number): Promise<ScenarioResult> {
  const verdicts = await Promise.all(nodes.map(async (node) => check(history, await snapshot(node))));
  return {
    scenario,
    scheme,
    seed,
    acked: history.acknowledgedWrites,
    lostWrites: Math.max(...verdicts.map((v) => v.lostWrites.length)),
    resurrectedDeletes: Math.max(...verdicts.map((v) => v.resurrectedDeletes.length)),
    convergenceMs: NaN,
    peakRssBytes: peak,
    violations: [error.message, ...verdicts.flatMap((v, i) => violations(v).slice(0, 5).map((text) => `${nodes[i]!.host}: ${text}`))],
    notes,
  };
}

export async function waitForMesh(nodes: NodeProcess[], timeoutMs = 30_000): Promise<void> {
  for (const node of nodes) for (const peer of nodes) if (peer !== node) await waitForLink(node, peer.host, DATABASE, timeoutMs);
}

/** A failed run's node logs are kept under os.tmpdir()/peerdesk-faults-logs for diagnosis. */
function keepLogs(net: FaultNetwork, result: ScenarioResult): void {
  const dir = path.join(os.tmpdir(), 'peerdesk-faults-logs');
  fs.mkdirSync(dir, { recursive: true });
  for (const node of net.nodes) {
    const base = `${result.scenario.replace(/[^A-Za-z0-9]+/g, '-')}-${result.scheme}-${node.host}`;
    const log = path.join(node.root, 'log', 'hdb.log');
    if (fs.existsSync(log)) fs.copyFileSync(log, path.join(dir, `${base}.log`));
    fs.writeFileSync(path.join(dir, `${base}.stderr`), node.stderr);
  }
  result.notes.push(`node logs kept in ${dir}`);
}

function report(result: ScenarioResult): void {
  const line = JSON.stringify(result);
  console.log(`# fault result ${line}`);
  const file = process.env[REPORT_ENV];
  if (file) fs.appendFileSync(file, line + '\n');
}

export const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));


export interface ScenarioTestOptions {
  /** run in the quick subset (`npm test`) over this scheme; the full run uses every scheme */
  quick?: Scheme;
  /** a known defect someone else is fixing: report, do not fail (node:test `todo`) */
  todo?: string;
  timeoutMs?: number;
}

/** Define the node:test tests of a scenario: one per scheme in the full run, the quick one otherwise. */
export function scenarioTests(scenario: Scenario, options: ScenarioTestOptions = {}): void {
  const schemes = FULL_RUN ? SCHEMES : options.quick ? [options.quick] : [];
  for (const scheme of schemes) {
    test(`${scenario.name} (${scheme})`, { timeout: options.timeoutMs ?? 240_000, ...(options.todo ? { todo: options.todo } : {}) }, async () => {
      await runScenario(scenario, scheme);
    });
  }
}
