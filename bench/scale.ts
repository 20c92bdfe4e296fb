/**
 * The `scale` suite: clusters of up to eleven real nodes on loopback (each its own 127.x address
 * and temp root), full mesh. Figures:
 * - idle CPU per node of a settled 10-node mesh with the default ping interval (utime+stime
 *   from /proc/<pid>/stat over a window: CPU time, not wall, so a loaded machine does not
 *   inflate it), min/median/max, target < 1 % of one core; and RSS per node;
 * - cluster_status latency on a node with 9 and with 10 peers (p50/p99 of sequential calls);
 * - the topology view's first paint with 10 nodes (Chromium: navigation + login → all 10 nodes
 *   and their links drawn);
 * - time for an 11th member, joined by add_node to one member, to be linked with every member
 *   (each member shows a connected link to it, it shows 10);
 * - replicated records/s at 3, 6 and 10 nodes (the replication suite's load: ~250 B records in
 *   batches of 500 to one node until every replica has them) and the cluster's CPU-seconds per
 *   replicated record copy (all nodes' CPU during the run / (records × replicas)).
 *
 * BENCH_SCALE scales the idle window (30 s), the record counts (20k) and the status calls (50);
 * BENCH_SCALE_MESHES picks the mesh sizes (default 3,6,10).
 */
import type { Page } from 'playwright-core';
import { cpuSeconds, linkedToAll, startCluster, startClusterNode, waitForFullMesh } from '../test/support/cluster.ts';
import { launchChromium, uiSkipReason } from '../test/support/browser.ts';
import { ADMIN, basicAuth, freshLoopbackAddress, type NodeProcess } from '../test/support/node-process.ts';
import { emit, envInt, latencyDetails, note, nowMs, onCleanup, onEmergency, OpsClient, percentile, resource, round, scaled, SCALE, tempDir } from './lib.ts';
import { BATCH_SIZE, insertBatches } from './records.ts';

const SUITE = 'scale';
const DATABASE = 'bench';
const TABLE = 'rep';
const LARGE_MESH = 10;
/** Mesh sizes to run (BENCH_SCALE_MESHES="3,6,10" by default); the idle, join and UI figures come with 10. */
const MESH_SIZES = (() => {
  const raw = process.env.BENCH_SCALE_MESHES;
  if (raw === undefined || raw === '') return [3, 6, LARGE_MESH];
  const sizes = raw.split(',').map(Number);
  if (!sizes.every((n) => Number.isInteger(n) && n >= 2 && n <= 20)) throw new Error(`BENCH_SCALE_MESHES must list mesh sizes from 2 to 20, got ${JSON.stringify(raw)}`);
  return sizes;
})();
const TARGETS = { idle_cpu_percent: 1 };
/** After the mesh reports every link, gossip and position writes still settle for a moment. */
const SETTLE_MS = 5_000;
const MESH_TIMEOUT_MS = 180_000;
const REPLICATION_TIMEOUT_MS = 300_000;
const PAINT_TIMEOUT_MS = 120_000;

interface MeshStatus {
  connections: Array<{ name: string; database_sockets: Array<{ database: string; connected: boolean }> }>;
}

export async function run(): Promise<void> {
  const records = scaled(20_000, 2_000, BATCH_SIZE);
  const idleWindowMs = Math.max(10_000, Math.round(30_000 * SCALE));
  const statusCalls = Math.max(20, Math.round(envInt('BENCH_STATUS_CALLS', 50) * Math.min(1, SCALE)));
  const throughput: Array<{ nodes: number; rate: number; cpuPerCopyUs: number; details: Record<string, unknown> }> = [];

  for (const size of MESH_SIZES) {
    const mesh = await startMesh(size);
    if (size === LARGE_MESH) {
      await idleFigures(mesh.nodes, idleWindowMs, statusCalls);
      await firstPaint(mesh.nodes);
      // Before the table has data, so the join measures linking, not an initial copy.
      await joinEleventh(mesh.nodes, statusCalls);
    }
    const result = await replicatedThroughput(mesh.nodes, records).catch((error: unknown) => {
      throw withNodeState(error, mesh.nodes);
    });
    throughput.push({ nodes: size, ...result });
    emit({
      suite: SUITE,
      name: `replicated_records_per_s_${size}_nodes`,
      value: round(result.rate),
      unit: 'records/s',
      details: result.details,
    });
    emit({
      suite: SUITE,
      name: `cpu_us_per_record_copy_${size}_nodes`,
      value: round(result.cpuPerCopyUs, 1),
      unit: 'CPU µs per record per replica (all nodes)',
      details: { replicas: size - 1, how: 'Σ utime+stime of every node during the run / (records × replicas)' },
    });
    await mesh.release();
  }
  const base = throughput[0]!;
  emit({
    suite: SUITE,
    name: 'cpu_per_record_copy_growth',
    value: round(throughput.at(-1)!.cpuPerCopyUs / base.cpuPerCopyUs, 2),
    unit: `× the ${base.nodes}-node cost per record copy at ${throughput.at(-1)!.nodes} nodes`,
    details: {
      aim: 'the cost per record copy stays flat (total cost grows no faster than the number of replicas)',
      per_copy_us: Object.fromEntries(throughput.map((t) => [`${t.nodes}_nodes`, round(t.cpuPerCopyUs, 1)])),
      per_record_us: Object.fromEntries(throughput.map((t) => [`${t.nodes}_nodes`, round(t.cpuPerCopyUs * (t.nodes - 1), 1)])),
    },
  });
}

// ---- the mesh ----

async function startMesh(size: number): Promise<{ nodes: NodeProcess[]; release: () => Promise<void> }> {
  note(`starting a ${size}-node full mesh`);
  const started = nowMs();
  const cluster = await startCluster(size, { mesh: true, perNode: () => ({ root: tempDir(`scale${size}-`).path }) });
  const unregister = onEmergency(() => cluster.nodes.forEach((node) => void node.kill()));
  const { release } = resource(async () => {
    await cluster.cleanup();
    unregister();
  });
  await cluster.nodes[0]!.ok({ operation: 'create_table', database: DATABASE, table: TABLE, primary_key: 'id' });
  const meshMs = await waitForFullMesh(cluster.nodes, ['system', DATABASE], MESH_TIMEOUT_MS);
  note(`${size} nodes up and linked in ${round((nowMs() - started) / 1000, 1)} s (mesh ${round(meshMs / 1000, 1)} s after the last start)`);
  return { nodes: cluster.nodes, release };
}

function cpuOf(nodes: readonly NodeProcess[]): number[] {
  return nodes.map((node) => {
    const seconds = cpuSeconds(node);
    if (seconds === undefined) throw new Error(`node ${node.host} is not running`);
    return seconds;
  });
}

function spread(values: readonly number[], digits: number): { min: number; median: number; max: number } {
  return { min: round(Math.min(...values), digits), median: round(percentile(values, 50), digits), max: round(Math.max(...values), digits) };
}

// ---- idle: CPU, RSS, cluster_status latency ----

async function idleFigures(nodes: NodeProcess[], windowMs: number, statusCalls: number): Promise<void> {
  await sleep(SETTLE_MS);
  note(`idle CPU of ${nodes.length} nodes over ${windowMs / 1000} s`);
  const before = cpuOf(nodes);
  const t0 = nowMs();
  await sleep(windowMs);
  const after = cpuOf(nodes);
  const wallS = (nowMs() - t0) / 1000;
  const percents = after.map((cpu, i) => ((cpu - before[i]!) / wallS) * 100);
  const idle = spread(percents, 3);
  emit({
    suite: SUITE,
    name: 'idle_cpu_percent_per_node_10_nodes',
    value: idle.max,
    unit: '% of one core (max over nodes)',
    target: TARGETS.idle_cpu_percent,
    pass: idle.max < TARGETS.idle_cpu_percent,
    details: { ...idle, per_node: percents.map((p) => round(p, 3)), window_s: round(wallS, 1), peers_per_node: nodes.length - 1, how: 'Δ(utime+stime) from /proc/<pid>/stat over the window (CPU time, not wall) after the mesh settled' },
  });
  const rss = nodes.map((node) => (node.rssBytes() ?? NaN) / 2 ** 20);
  emit({ suite: SUITE, name: 'rss_mib_per_node_10_nodes', value: round(percentile(rss, 50), 1), unit: 'MiB (median over nodes)', details: { ...spread(rss, 1), per_node: rss.map((r) => round(r, 1)) } });
  await statusLatency(nodes[0]!, nodes.length - 1, statusCalls);
}

async function statusLatency(node: NodeProcess, peers: number, calls: number): Promise<void> {
  const client = new OpsClient(node.url, basicAuth(ADMIN.username, ADMIN.password), 1);
  try {
    const body = JSON.stringify({ operation: 'cluster_status' });
    // Warm the connection and the node's code paths first.
    for (let i = 0; i < 5; i++) await client.ok({ operation: 'cluster_status' });
    const samples: number[] = [];
    for (let i = 0; i < calls; i++) {
      const result = await client.post(body);
      if (result.status !== 200) throw new Error(`cluster_status → ${result.status} ${result.body.slice(0, 300)}`);
      samples.push(result.ms);
    }
    const latency = latencyDetails(samples);
    emit({ suite: SUITE, name: `cluster_status_p50_${peers}_peers`, value: latency.p50_ms, unit: 'ms', details: { ...latency, sequential: true } });
    emit({ suite: SUITE, name: `cluster_status_p99_${peers}_peers`, value: latency.p99_ms, unit: 'ms', details: latency });
  } finally {
    client.close();
  }
}

// ---- the 11th member ----

async function joinEleventh(nodes: NodeProcess[], statusCalls: number): Promise<void> {
  const joiner = await startClusterNode({ host: freshLoopbackAddress(), root: tempDir('scale-joiner-').path });
  const unregister = onEmergency(() => void joiner.kill());
  onCleanup(async () => {
    await joiner.cleanup();
    unregister();
  });
  note(`an 11th member (${joiner.host}) joins ${nodes[0]!.host} by add_node`);
  const members = nodes.map((n) => n.host);
  const databases = ['system', DATABASE];
  const start = nowMs();
  await joiner.ok({ operation: 'add_node', hostname: nodes[0]!.host, authorization: { username: ADMIN.username, password: ADMIN.password } });
  const addNodeMs = nowMs() - start;
  let seenByAllMs = 0;
  /** when each member first showed a connected link to the new node, and it to each member (ms after add_node was sent) */
  const firstLinked = nodes.map(() => 0);
  const joinerLinked = nodes.map(() => 0);
  const deadline = start + MESH_TIMEOUT_MS;
  for (;;) {
    const [own, ...theirs] = await Promise.all([joiner, ...nodes].map((node) => node.ok<MeshStatus>({ operation: 'cluster_status' })));
    theirs.forEach((status, i) => {
      if (!firstLinked[i] && linkedToAll(status, [joiner.host], databases)) firstLinked[i] = nowMs() - start;
    });
    members.forEach((member, i) => {
      if (!joinerLinked[i] && linkedToAll(own!, [member], databases)) joinerLinked[i] = nowMs() - start;
    });
    const membersSee = theirs.every((status) => linkedToAll(status, [joiner.host], databases));
    if (membersSee && !seenByAllMs) seenByAllMs = nowMs() - start;
    if (membersSee && linkedToAll(own!, members, databases)) break;
    if (nowMs() > deadline) throw new Error(`the 11th member was not linked with all 10 within ${MESH_TIMEOUT_MS} ms`);
    await sleep(20);
  }
  const linkedMs = nowMs() - start;
  emit({
    suite: SUITE,
    name: 'gossip_join_fully_linked_ms',
    value: round(linkedMs),
    unit: 'ms',
    details: {
      members: nodes.length,
      add_node_ms: round(addNodeMs),
      every_member_linked_to_it_ms: round(seenByAllMs),
      member_linked_ms: firstLinked.map((t) => round(t)),
      new_node_linked_to_member_ms: joinerLinked.map((t) => round(t)),
      how: `add_node on the new node to one member, until every member's cluster_status shows a connected link to it for ${databases.join(' and ')} and it shows all ${nodes.length}`,
    },
  });
  await statusLatency(joiner, nodes.length, statusCalls);
  // Back to ten for the throughput run: stop the 11th and remove it from the cluster.
  await joiner.cleanup();
  await nodes[0]!.ok({ operation: 'remove_node', hostname: joiner.host });
  await waitUntil(
    'every member to forget the 11th',
    async () => (await Promise.all(nodes.map((node) => node.ok<MeshStatus>({ operation: 'cluster_status' })))).every((s) => !s.connections.some((c) => c.name === joiner.host)),
    MESH_TIMEOUT_MS,
    100,
  );
}

// ---- replicated throughput and its CPU cost ----

async function replicatedThroughput(nodes: NodeProcess[], records: number): Promise<{ rate: number; cpuPerCopyUs: number; details: Record<string, unknown> }> {
  const opened: OpsClient[] = [];
  // Fresh connections for each phase: a keep-alive socket left idle past the server's timeout
  // (while another phase runs) can be reset under the next request that reuses it.
  const connect = (node: NodeProcess) => {
    const client = new OpsClient(node.url, basicAuth(ADMIN.username, ADMIN.password), 8);
    opened.push(client);
    return client;
  };
  const [first, ...rest] = nodes as [NodeProcess, ...NodeProcess[]];
  try {
    note(`replicated throughput at ${nodes.length} nodes: ${records} records to ${first.host}`);
    // Warm up: a first batch everywhere, so the run measures the steady state.
    const warm = BATCH_SIZE * 4;
    await insertBatches(connect(first), { database: DATABASE, table: TABLE, first: 1_000_000_000, total: warm });
    const warmStart = nowMs();
    const warmReplicas = rest.map(connect);
    await waitUntil('warm-up replicated', async () => (await counts(warmReplicas)).every((n) => n === warm), REPLICATION_TIMEOUT_MS);
    note(`warm-up (${warm} records) replicated in ${round(nowMs() - warmStart)} ms after its writes`);
    const writer = connect(first);
    const cpuBefore = cpuOf(nodes);
    const start = nowMs();
    await insertBatches(writer, { database: DATABASE, table: TABLE, total: records });
    const written = nowMs();
    const replicas = rest.map(connect);
    await waitUntil('every replica has every record', async () => (await counts(replicas)).every((n) => n === warm + records), REPLICATION_TIMEOUT_MS, 5);
    const end = nowMs();
    const cpuAfter = cpuOf(nodes);
    const cpu = cpuAfter.map((c, i) => c - cpuBefore[i]!);
    const totalCpu = cpu.reduce((sum, c) => sum + c, 0);
    const copies = records * (nodes.length - 1);
    const rate = records / ((end - start) / 1000);
    return {
      rate,
      cpuPerCopyUs: (totalCpu / copies) * 1e6,
      details: {
        records,
        replicas: nodes.length - 1,
        batch: BATCH_SIZE,
        write_ms: round(written - start),
        until_replicated_ms: round(end - start),
        cluster_cpu_s: round(totalCpu, 2),
        writer_cpu_s: round(cpu[0]!, 2),
        replica_cpu_s: spread(cpu.slice(1), 2),
      },
    };
  } finally {
    opened.forEach((client) => client.close());
  }
}


/** Tries of a record count before a connection error fails the run. */
const READ_ATTEMPTS = 3;

function counts(clients: readonly OpsClient[]): Promise<number[]> {
  return Promise.all(
    clients.map(async (client, i) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return (await client.ok<{ record_count: number }>({ operation: 'describe_table', database: DATABASE, table: TABLE })).record_count;
        } catch (error) {
          const message = (error as Error).message;
          // A read is safe to repeat; a reset keep-alive socket is the client's luck, not a figure.
          if (attempt >= READ_ATTEMPTS || !/ECONNRESET|socket hang up/.test(message)) throw new Error(`describe_table on replica ${i + 1} failed: ${message}`);
          note(`describe_table on replica ${i + 1}: ${message}; retrying (${attempt}/${READ_ATTEMPTS})`);
        }
      }
    }),
  );
}

// ---- the topology view's first paint ----

async function firstPaint(nodes: NodeProcess[]): Promise<void> {
  if (uiSkipReason) {
    note(`topology first paint skipped: ${uiSkipReason}`);
    return;
  }
  const node = nodes[0]!;
  const response = await fetch(`${node.url}/`);
  if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) {
    note(`topology first paint skipped: ${node.url} does not serve the UI (build the renderer first)`);
    return;
  }
  const browser = await launchChromium();
  onCleanup(() => browser.close());
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(PAINT_TIMEOUT_MS);
    const start = nowMs();
    await page.goto(`${node.url}/`);
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    const loggedIn = nowMs();
    await page.getByRole('tab', { name: 'Cluster' }).click();
    const links = await allDrawn(page, nodes);
    const drawn = nowMs();
    emit({
      suite: SUITE,
      name: 'topology_first_paint_10_nodes_ms',
      value: round(drawn - start),
      unit: 'ms',
      details: {
        from_login_ms: round(drawn - loggedIn),
        summary_links: links.summary,
        edges_drawn: links.edges,
        how: 'goto(node URL) → log in → Cluster tab → every member card and the full mesh of edges drawn (cluster-summary "10 nodes · N links", no link missing)',
      },
    });
  } finally {
    await browser.close();
  }
}

/** Wait until every member's card is on the canvas and the summary counts the whole mesh. */
async function allDrawn(page: Page, nodes: readonly NodeProcess[]): Promise<{ summary: number; edges: number }> {
  const pairs = (nodes.length * (nodes.length - 1)) / 2;
  const deadline = nowMs() + PAINT_TIMEOUT_MS;
  for (;;) {
    const text = (await page.getByTestId('cluster-summary').textContent().catch(() => null)) ?? '';
    const match = /^(\d+) nodes? · (\d+) links?/.exec(text);
    if (match && Number(match[1]) === nodes.length && Number(match[2]) >= pairs) {
      const cards = await Promise.all(nodes.map((n) => page.getByTestId(`member-${n.host}`).count()));
      const edges = await page.locator('.react-flow__edge').count();
      if (cards.every((c) => c > 0) && edges >= pairs) return { summary: Number(match[2]), edges };
    }
    if (nowMs() > deadline) throw new Error(`the topology view did not draw ${nodes.length} nodes and ${pairs} links within ${PAINT_TIMEOUT_MS} ms (summary: "${text}")`);
    await sleep(20);
  }
}

// ---- small helpers ----

/** A failure with what each node last said (a node that died says why on stderr). */
function withNodeState(error: unknown, nodes: readonly NodeProcess[]): Error {
  const lines = nodes.map((node) => `${node.host}: ${node.running ? 'running' : 'NOT RUNNING'}; stderr tail: ${node.stderr.slice(-600)}`);
  return new Error(`${(error as Error)?.message ?? String(error)}\n${lines.join('\n')}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  while (!(await check())) {
    if (nowMs() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
