/**
 * The `copy` suite: the initial copy of a large table (default 1,000,000 records of ~250 B;
 * BENCH_SCALE scales it) from one node to a new member. Figures: records/s from add_node until
 * the new node has every record, the new node's peak RSS over the copy (sampled from
 * /proc/<pid>/status), and a resume figure: a second new member killed (-9) at about half the
 * copy and restarted, with the time from the restart to a complete table and how many records
 * the sender sent again after the restart.
 *
 * BENCH_COPY_RESUME=0 skips the resume figure (quicker runs while tuning).
 * BENCH_COPY_PROFILE=<dir>: the source and the first new member write CPU profiles there (on
 * SIGTERM, at the end of their part).
 */
import fs from 'node:fs';
import { startClusterNode } from '../test/support/cluster.ts';
import { ADMIN, basicAuth, type NodeProcess } from '../test/support/node-process.ts';
import { emit, note, nowMs, onCleanup, OpsClient, round, scaled, tempDir } from './lib.ts';
import { BATCH_SIZE, insertBatches } from './records.ts';

const SUITE = 'copy';
const TARGETS = { records_per_s: 100_000, peak_rss_mib: 512 };
/** How often the receiver's RSS is sampled during the copy. */
const RSS_SAMPLE_MS = 50;
const COPY_TIMEOUT_MS = 900_000;
const MIB = 1024 * 1024;
/** Linux's USER_HZ, the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS_PER_S = 100;

interface CopyProgressView {
  copied: number;
  total: number;
  done: boolean;
  records_per_s?: number;
  eta_s?: number | null;
  resumed_from?: number;
}

export async function run(): Promise<void> {
  const records = scaled(1_000_000, 5_000, BATCH_SIZE);
  const profileDir = process.env.BENCH_COPY_PROFILE;
  const profileArgs = profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {};
  note(`copy: seeding ${records} records on the source`);
  const source = await startClusterNode({ root: tempDir('copy-source-').path, ...profileArgs });
  onCleanup(() => source.cleanup());
  const cs = client(source);
  await cs.ok({ operation: 'create_table', database: 'bench', table: 'big', primary_key: 'id' });
  await insertBatches(cs, { database: 'bench', table: 'big', total: records });

  note('copy: a new member copies the whole table');
  const joiner = await startClusterNode({ root: tempDir('copy-joiner-').path, ...profileArgs });
  onCleanup(() => joiner.cleanup());
  const cj = client(joiner);
  const rss = sampleRss(joiner);
  const cpuBefore = cpuSeconds(joiner.pid);
  const start = nowMs();
  await cj.ok({ operation: 'add_node', hostname: source.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
  await waitForCount(cj, records);
  const elapsedMs = nowMs() - start;
  const cpu = cpuSeconds(joiner.pid) - cpuBefore;
  const peak = rss.stop();
  const rate = records / (elapsedMs / 1000);
  emit({ suite: SUITE, name: 'initial_copy_records_per_s', value: round(rate), unit: 'records/s', target: TARGETS.records_per_s, pass: rate >= TARGETS.records_per_s, details: { records, elapsed_ms: round(elapsedMs), measured: 'from add_node on the new node until its record_count is complete' } });
  // CPU time is the steadier figure on a shared machine: it does not count waiting for a core.
  emit({ suite: SUITE, name: 'initial_copy_receiver_cpu_per_record', value: round((cpu * 1e6) / records, 2), unit: 'us/record', details: { records, receiver_cpu_s: round(cpu, 2), measured: 'utime+stime of the new node (all threads) over the copy, per record' } });
  emit({
    suite: SUITE,
    name: 'initial_copy_receiver_peak_rss',
    value: round(peak.rss / MIB, 1),
    unit: 'MiB',
    target: TARGETS.peak_rss_mib,
    pass: peak.rss / MIB <= TARGETS.peak_rss_mib,
    details: { records, peak_rss_anon_mib: round(peak.anon / MIB, 1), meaning: 'VmRSS includes the LMDB map pages the kernel keeps resident; RssAnon is the process heap', sampled_every_ms: RSS_SAMPLE_MS },
  });
  if (profileDir) await joiner.stop();
  await joiner.cleanup();

  if (process.env.BENCH_COPY_RESUME === '0') return;
  note('copy: a new member killed at about half the copy, then restarted');
  const resumer = await startClusterNode({ root: tempDir('copy-resumer-').path });
  onCleanup(() => resumer.cleanup());
  const cr = client(resumer);
  await cr.ok({ operation: 'add_node', hostname: source.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
  const before = await waitForProgress(cr, source.host, (p) => p.copied >= records / 2);
  await resumer.kill();
  const restartedAt = nowMs();
  await resumer.startProcess();
  const cr2 = client(resumer);
  const resumed = await waitForProgress(cr2, source.host, (p) => p.done);
  await waitForCount(cr2, records);
  const resumeMs = nowMs() - restartedAt;
  emit({
    suite: SUITE,
    name: 'initial_copy_resume_ms',
    value: round(resumeMs),
    unit: 'ms',
    details: {
      records,
      copied_when_killed: before.copied,
      sent_after_restart: resumed.total - (resumed.resumed_from ?? 0),
      resent: Math.max(0, resumed.total - (resumed.resumed_from ?? 0) - (records - before.copied)),
      resumed_from: resumed.resumed_from ?? 0,
      measured: 'from the restart (kill -9 at about half the copy) until the table is complete',
    },
  });
  if (profileDir) await source.stop();
}

function client(node: NodeProcess): OpsClient {
  const c = new OpsClient(node.url, basicAuth(ADMIN.username, ADMIN.password), 8);
  onCleanup(() => c.close());
  return c;
}

/** Peak VmRSS (NodeProcess.rssBytes) and peak RssAnon (the heap, without LMDB's file-backed map pages). */
function sampleRss(node: NodeProcess): { stop: () => { rss: number; anon: number } } {
  let rss = 0;
  let anon = 0;
  const sample = () => {
    rss = Math.max(rss, node.rssBytes() ?? 0);
    anon = Math.max(anon, rssAnonBytes(node.pid) ?? 0);
  };
  sample();
  const timer = setInterval(sample, RSS_SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { rss, anon };
    },
  };
}

/** utime+stime of a process, all threads, in seconds (/proc/<pid>/stat; clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

function rssAnonBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^RssAnon:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}


async function waitForCount(c: OpsClient, expected: number): Promise<void> {
  await poll(`record_count ${expected}`, async () => {
    const result = await c.post(JSON.stringify({ operation: 'describe_table', database: 'bench', table: 'big' }));
    return result.status === 200 && (JSON.parse(result.body) as { record_count: number }).record_count === expected ? true : undefined;
  });
}

async function waitForProgress(c: OpsClient, peer: string, until: (p: CopyProgressView) => boolean): Promise<CopyProgressView> {
  return poll('copy progress', async () => {
    const status = await c.ok<{ connections: Array<{ name: string; database_sockets: Array<{ database: string; copy_progress?: CopyProgressView }> }> }>({ operation: 'cluster_status' });
    const progress = status.connections.find((x) => x.name === peer)?.database_sockets.find((s) => s.database === 'bench')?.copy_progress;
    return progress && until(progress) ? progress : undefined;
  });
}

async function poll<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = nowMs() + COPY_TIMEOUT_MS;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (nowMs() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
