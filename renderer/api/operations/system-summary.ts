/**
 * One reading of system_information (and registration_info, where HarperDB keeps its version)
 * for every view, from either product. Peerdesk sends node_name, peerdesk_version, the process
 * uptime, load_average, memory.rss/heap_used and database_metrics. HarperDB 4.7 sends
 * system.hostname (no node name, no version), cpu.current_load.{avgLoad,currentLoad},
 * memory.{heapUsed,heapTotal}, time.uptime (the operating system's), table_size/metrics and an
 * empty disk. Nothing is guessed: a figure the node did not send is null, and an OS uptime is
 * never shown as the node's.
 */
import type { OpsClient } from '../ops-client.ts';
import type { SystemInformationResponse } from './system-information.ts';

export interface RegistrationInfo {
  registered?: boolean;
  version?: string;
  [field: string]: unknown;
}

export interface DatabaseFigures {
  name: string;
  sizeBytes: number | null;
  tables: number;
  records: number;
}

export interface SystemSummaryData {
  /** the node's replication name; null when the node does not say (HarperDB) */
  nodeName: string | null;
  hostname: string | null;
  product: 'Peerdesk' | 'HarperDB' | null;
  version: string | null;
  platform: string | null;
  arch: string | null;
  nodeVersion: string | null;
  /** the node process's uptime */
  processUptimeSeconds: number | null;
  /** the operating system's uptime (HarperDB's time.uptime) */
  hostUptimeSeconds: number | null;
  cores: number | null;
  /** 1/5/15-minute load averages */
  loadAverage: number[] | null;
  /** CPU use now, percent (HarperDB's current_load.currentLoad) */
  cpuPercent: number | null;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  heapTotalBytes: number | null;
  hostFreeBytes: number | null;
  hostTotalBytes: number | null;
  disk: { size: number; used: number } | null;
  databases: DatabaseFigures[];
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value ? value : null;
}

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** database_metrics (Peerdesk), else table_size (HarperDB: one entry per table). */
function databasesOf(info: Record<string, unknown>): DatabaseFigures[] {
  const metrics = obj(info.database_metrics);
  if (Object.keys(metrics).length > 0) {
    return Object.entries(metrics).map(([name, raw]) => {
      const m = obj(raw);
      const tables = Object.values(obj(m.tables));
      return { name, sizeBytes: num(m.size_bytes), tables: tables.length, records: tables.reduce<number>((sum, t) => sum + (num(obj(t).record_count) ?? 0), 0) };
    });
  }
  const byDatabase = new Map<string, DatabaseFigures>();
  for (const raw of Array.isArray(info.table_size) ? info.table_size : []) {
    const t = obj(raw);
    const name = str(t.database) ?? str(t.schema);
    if (!name) continue;
    const entry = byDatabase.get(name) ?? { name, sizeBytes: null, tables: 0, records: 0 };
    entry.tables += 1;
    entry.records += num(t.record_count) ?? 0;
    const size = num(t.table_size);
    if (size !== null) entry.sizeBytes = (entry.sizeBytes ?? 0) + size;
    byDatabase.set(name, entry);
  }
  return [...byDatabase.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function summarizeSystem(response: SystemInformationResponse | unknown, registration: RegistrationInfo | null = null): SystemSummaryData {
  const info = obj(response);
  const system = obj(info.system);
  const time = obj(info.time);
  const cpu = obj(info.cpu);
  const load = obj(cpu.current_load);
  const memory = obj(info.memory);
  const firstDisk = obj(Array.isArray(obj(info.disk).size) ? (obj(info.disk).size as unknown[])[0] : undefined);
  const peerdesk = str(system.peerdesk_version);
  const harperdb = str(system.hdb_version) ?? str(registration?.version);
  const loadAverage = Array.isArray(cpu.load_average) ? cpu.load_average.filter((v): v is number => num(v) !== null) : null;
  const avgLoad = num(load.avgLoad);
  const nodeUptimeMs = num(time.node_uptime_ms);
  const diskSize = num(firstDisk.size);
  return {
    nodeName: str(system.node_name),
    hostname: str(system.hostname),
    product: peerdesk ? 'Peerdesk' : harperdb || 'current_load' in cpu || 'table_size' in info ? 'HarperDB' : null,
    version: peerdesk ?? harperdb,
    platform: str(system.platform),
    arch: str(system.arch),
    nodeVersion: str(system.node_version),
    processUptimeSeconds: nodeUptimeMs !== null ? nodeUptimeMs / 1000 : peerdesk ? num(time.uptime) : null,
    hostUptimeSeconds: peerdesk || nodeUptimeMs !== null ? null : num(time.uptime),
    cores: num(cpu.cores),
    loadAverage: loadAverage && loadAverage.length > 0 ? loadAverage : avgLoad !== null ? [avgLoad] : null,
    cpuPercent: num(load.currentLoad),
    rssBytes: num(memory.rss),
    heapUsedBytes: num(memory.heap_used) ?? num(memory.heapUsed),
    heapTotalBytes: num(memory.heap_total) ?? num(memory.heapTotal),
    hostFreeBytes: num(memory.free),
    hostTotalBytes: num(memory.total),
    disk: diskSize ? { size: diskSize, used: num(firstDisk.used) ?? 0 } : null,
    databases: databasesOf(info),
  };
}

/** registration_info, or null where the node has none (Peerdesk answers 400: unknown operation). */
export async function registrationInfo(client: OpsClient, signal?: AbortSignal): Promise<RegistrationInfo | null> {
  try {
    const answer = await client.call<unknown>('registration_info', {}, { signal });
    return answer && typeof answer === 'object' ? (answer as RegistrationInfo) : null;
  } catch (error) {
    if (signal?.aborted) throw error;
    return null;
  }
}

/** How a summary names its product and version in a sentence. */
export function versionText(summary: Pick<SystemSummaryData, 'product' | 'version'>): string {
  if (summary.product && summary.version) return `${summary.product} ${summary.version}`;
  if (summary.product) return `${summary.product}, version unknown`;
  return 'unknown version';
}
