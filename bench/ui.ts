/**
 * The `ui` suite: the renderer as a user meets it, in Debian Chromium, served by a real node.
 *
 * - cold_start_to_first_paint: from launching a fresh browser (new profile, empty cache) to the
 *   first contentful paint of the UI a node serves (PerformanceObserver 'paint'). Beside it, the
 *   same for a one-line page from a bare HTTP server: the floor this machine and browser allow.
 * - renderer_idle_cpu_dashboard_5s: the renderer's main-thread busy time (CDP Performance
 *   TaskDuration) over wall time while the status dashboard of a two-node cluster refreshes
 *   every 5 s, as % of one core; target under 2%. Beside it, the same for a blank page.
 *
 * The serving node runs in this process through startNode with rendererDir (so the UI comes
 * from the node itself); its peer is a child process. BENCH_SCALE scales the number of cold
 * starts and the idle window (default 5 starts, 30 s).
 */
import http from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { startNode, type RunningNode } from '../node-core/index.ts';
import { replicationArgs, startClusterNode } from '../test/support/cluster.ts';
import { DIST, launchChromium } from '../test/support/browser.ts';
import { ADMIN, freshLoopbackAddress, type NodeProcess } from '../test/support/node-process.ts';
import { emit, note, onCleanup, onEmergency, percentile, round, scaled, SCALE, tempDir } from './lib.ts';

const SUITE = 'ui';
const IDLE_TARGET_PERCENT = 2;
const REFRESH_MS = 5_000;

export async function run(): Promise<void> {
  const hosts = [freshLoopbackAddress(), freshLoopbackAddress()] as const;
  note(`starting a node serving dist/renderer on ${hosts[0]} and its peer on ${hosts[1]}`);
  const peer = await startClusterNode({ host: hosts[1], routes: [hosts[0]] });
  const unregister = onEmergency(() => void peer.kill());
  onCleanup(async () => {
    await peer.cleanup();
    unregister();
  });
  const root = tempDir('ui-node-');
  const node = await startNode({
    rootPath: root.path,
    argv: [`--REPLICATION_HOSTNAME=${hosts[0]}`, '--OPERATIONSAPI_NETWORK_PORT=9925', ...replicationArgs({ routes: [hosts[1]] }), '--LOGGING_LEVEL=warn'],
    env: {},
    adminUsername: ADMIN.username,
    adminPassword: ADMIN.password,
    rendererDir: DIST,
  });
  onCleanup(() => node.stop());
  await assertServesUi(node);
  await waitForPeer(node, peer);

  const runs = scaled(5, 3);
  note(`cold start to first paint: ${runs} fresh browsers`);
  const ui = await coldStarts(`${node.opsUrl}/`, runs);
  const floorServer = await onePageServer(new URL(node.opsUrl).hostname);
  const floor = await coldStarts(floorServer.url, runs).finally(() => floorServer.close());
  const median = percentile(ui.totals, 50);
  const floorMedian = percentile(floor.totals, 50);
  emit({
    suite: SUITE,
    name: 'cold_start_to_first_paint',
    value: round(median),
    unit: 'ms',
    ceiling: round(floorMedian),
    ratio: round(floorMedian / median, 3),
    details: {
      runs,
      how: 'chromium.launch (fresh profile) → goto(node URL) → first-contentful-paint; value = median of launch start → FCP (performance.timeOrigin + entry.startTime)',
      p50_ms: round(median),
      max_ms: round(Math.max(...ui.totals)),
      browser_launch_p50_ms: round(percentile(ui.launches, 50)),
      navigation_to_fcp_p50_ms: round(percentile(ui.fcps, 50)),
      ceiling_is: 'the same for a one-line HTML page from a bare HTTP server on the same address: the floor of browser start + first paint here',
      floor_navigation_to_fcp_p50_ms: round(percentile(floor.fcps, 50)),
      floor_browser_launch_p50_ms: round(percentile(floor.launches, 50)),
      totals_ms: ui.totals.map((t) => round(t)),
      floor_totals_ms: floor.totals.map((t) => round(t)),
    },
  });

  const windowMs = Math.max(10_000, Math.round(30_000 * SCALE));
  note(`renderer idle CPU: dashboard at ${REFRESH_MS / 1000} s refresh for ${windowMs / 1000} s`);
  const idle = await idleCpu(node, windowMs);
  emit({
    suite: SUITE,
    name: 'renderer_idle_cpu_dashboard_5s',
    value: round(idle.dashboard.percent, 2),
    unit: '% of one core',
    target: IDLE_TARGET_PERCENT,
    pass: idle.dashboard.percent < IDLE_TARGET_PERCENT,
    details: {
      window_s: round(idle.dashboard.wallS, 1),
      how: 'CDP Performance.getMetrics: ΔTaskDuration / ΔTimestamp of the renderer main thread, Status view of a 2-node cluster, auto-refresh 5 s',
      task_s: round(idle.dashboard.taskS, 3),
      script_s: round(idle.dashboard.scriptS, 3),
      layout_s: round(idle.dashboard.layoutS, 3),
      style_s: round(idle.dashboard.styleS, 3),
      cluster_status_requests: idle.statusRequests,
      document_visibility: idle.visibility,
      blank_page_percent: round(idle.blank.percent, 2),
    },
  });
}

/** The node must serve index.html itself: this suite measures that, not a stand-in. */
async function assertServesUi(node: RunningNode): Promise<void> {
  const response = await fetch(`${node.opsUrl}/`);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/html')) {
    throw new Error(`${node.opsUrl} does not serve the UI (${type}): run npm run build:renderer first`);
  }
}

async function waitForPeer(node: RunningNode, peer: NodeProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await peer.ok<{ connections: Array<{ name: string; database_sockets: Array<{ connected: boolean }> }> }>({ operation: 'cluster_status' });
    const link = status.connections.find((c) => c.name === node.nodeName);
    if (link && link.database_sockets.length > 0 && link.database_sockets.every((s) => s.connected)) return;
    if (Date.now() > deadline) throw new Error(`peer ${peer.host} did not link to ${node.nodeName} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function launch(): Promise<Browser> {
  return launchChromium();
}

/**
 * FCP of the current document: [ms since navigation start, absolute epoch ms]. Passed as text:
 * tsx would wrap a function's inner closures in helpers the page does not have.
 */
const FCP_SCRIPT = `new Promise((resolve) => {
  const done = (entry) => resolve([entry.startTime, performance.timeOrigin + entry.startTime]);
  const existing = performance.getEntriesByName('first-contentful-paint')[0];
  if (existing) return done(existing);
  new PerformanceObserver((list) => {
    const entry = list.getEntriesByName('first-contentful-paint')[0];
    if (entry) done(entry);
  }).observe({ type: 'paint', buffered: true });
})`;

function firstContentfulPaint(page: Page): Promise<[number, number]> {
  return page.evaluate<[number, number]>(FCP_SCRIPT);
}

/** A bare HTTP server answering every GET with a one-line HTML page (the paint floor). */
async function onePageServer(host: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>floor</title><p>Peerdesk</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://${host}:${port}/`, close: () => server.close() };
}

/** `runs` cold starts of `url`: launch a fresh browser → goto → first contentful paint. */
async function coldStarts(url: string, runs: number): Promise<{ totals: number[]; launches: number[]; fcps: number[] }> {
  const totals: number[] = [];
  const launches: number[] = [];
  const fcps: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = Date.now();
    const browser = await launch();
    try {
      const launched = Date.now();
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(url, { waitUntil: 'commit' });
      const [fcp, fcpAt] = await firstContentfulPaint(page);
      totals.push(fcpAt - started);
      launches.push(launched - started);
      fcps.push(fcp);
    } finally {
      await browser.close();
    }
  }
  return { totals, launches, fcps };
}

interface CpuWindow {
  percent: number;
  wallS: number;
  taskS: number;
  scriptS: number;
  layoutS: number;
  styleS: number;
}

async function measureCpu(page: Page, windowMs: number): Promise<CpuWindow> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const read = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await read();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = await read();
  const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
  const wallS = delta('Timestamp');
  return {
    percent: (delta('TaskDuration') / wallS) * 100,
    wallS,
    taskS: delta('TaskDuration'),
    scriptS: delta('ScriptDuration'),
    layoutS: delta('LayoutDuration'),
    styleS: delta('RecalcStyleDuration'),
  };
}

async function idleCpu(node: RunningNode, windowMs: number): Promise<{ dashboard: CpuWindow; blank: CpuWindow; statusRequests: number; visibility: string }> {
  const browser = await launch();
  onCleanup(() => browser.close());
  try {
    const blankPage = await browser.newPage();
    await blankPage.goto('about:blank');
    const blank = await measureCpu(blankPage, Math.min(windowMs, 10_000));
    await blankPage.close();

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${node.opsUrl}/`);
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('tab', { name: 'Status' }).click();
    await page.getByTestId('peer-table').waitFor();
    await page.getByLabel('Auto-refresh interval').selectOption(String(REFRESH_MS));
    // Let the first refreshes and charts settle before measuring.
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS + 1_000));
    let statusRequests = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && (request.postData() ?? '').includes('"cluster_status"')) statusRequests += 1;
    });
    const visibility = await page.evaluate<string>('document.visibilityState');
    const dashboard = await measureCpu(page, windowMs);
    return { dashboard, blank, statusRequests, visibility };
  } finally {
    await browser.close();
  }
}
