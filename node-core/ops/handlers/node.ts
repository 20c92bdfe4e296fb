/**
 * Node operations: system_information, get_configuration and read_log.
 */
import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { LOG_LEVELS } from '../../log/logger.ts';
import { PEERDESK_VERSION } from '../../version.ts';
import { defineOperation } from '../registry.ts';

const INFO_ATTRIBUTES = ['system', 'time', 'cpu', 'memory', 'disk', 'network', 'database_metrics', 'harperdb_processes', 'replication'] as const;

/** Size and use of the file system holding the node's root path. */
function diskInfo(rootPath: string): Record<string, unknown> {
  const stats = fs.statfsSync(rootPath);
  const size = stats.blocks * stats.bsize;
  const available = stats.bavail * stats.bsize;
  const used = size - stats.bfree * stats.bsize;
  return { size: [{ mount: rootPath, size, used, available, use: size > 0 ? Math.round((used / size) * 10_000) / 100 : 0 }] };
}

export const nodeOperations = [
  defineOperation({
    name: 'system_information',
    // Host name, kernel, addresses, PIDs and the root path: super_user only (issue 10 item 7).
    permission: 'super_user',
    schema: z.object({ attributes: z.array(z.enum(INFO_ATTRIBUTES)).optional() }),
    handler: (request, { node }) => {
      const memory = process.memoryUsage();
      const cpus = os.cpus();
      const info: Record<string, unknown> = {
        system: {
          platform: process.platform,
          distro: os.type(),
          release: os.release(),
          hostname: os.hostname(),
          arch: process.arch,
          node_version: process.version,
          peerdesk_version: PEERDESK_VERSION,
          node_name: node.nodeName,
        },
        time: {
          current: Date.now(),
          uptime: os.uptime(),
          node_uptime_ms: Date.now() - node.startedAt,
          started: new Date(node.startedAt).toISOString(),
          timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        },
        cpu: {
          manufacturer: cpus[0]?.model ?? 'unknown',
          cores: cpus.length,
          load_average: os.loadavg(),
          process_usage_us: process.cpuUsage(),
        },
        memory: {
          total: os.totalmem(),
          free: os.freemem(),
          rss: memory.rss,
          heap_used: memory.heapUsed,
          heap_total: memory.heapTotal,
          external: memory.external,
        },
        disk: diskInfo(node.rootPath),
        network: {
          interfaces: Object.entries(os.networkInterfaces()).flatMap(([iface, addresses]) =>
            (addresses ?? []).map((a) => ({ iface, address: a.address, family: a.family, mac: a.mac, internal: a.internal }))),
        },
        harperdb_processes: {
          core: [{ pid: process.pid, ppid: process.ppid, name: 'peerdesk-node', uptime_s: process.uptime(), rss: memory.rss }],
          clustering: [],
        },
        database_metrics: Object.fromEntries(
          node.storage.databases().map((db) => [
            db.name,
            {
              size_bytes: db.sizeBytes(),
              log_entries: db.logEntryCount(),
              tables: Object.fromEntries(db.tables().map((t) => [t.name, { record_count: t.recordCount() }])),
            },
          ]),
        ),
      };
      if (!request.attributes) return info;
      return Object.fromEntries(request.attributes.filter((a) => a in info).map((a) => [a, info[a]]));
    },
  }),
  defineOperation({
    name: 'get_configuration',
    permission: 'super_user',
    schema: z.object({}),
    handler: ({}, { node }) => ({ ...node.config, config_file: node.configPath, node_name: node.nodeName }),
  }),
  defineOperation({
    name: 'read_log',
    permission: 'super_user',
    schema: z.object({
      limit: z.number().int().min(1).max(10_000).default(1000),
      start: z.number().int().min(0).default(0),
      level: z.enum(LOG_LEVELS).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      until: z.iso.datetime({ offset: true }).optional(),
      order: z.enum(['asc', 'desc']).default('desc'),
    }),
    handler: (request, { node }) => {
      const from = request.from ? Date.parse(request.from) : -Infinity;
      const until = request.until ? Date.parse(request.until) : Infinity;
      const lines = node.logger.recent().filter((line) => {
        const time = Date.parse(line.timestamp);
        return (!request.level || line.level === request.level) && time >= from && time <= until;
      });
      const ordered = request.order === 'desc' ? [...lines].reverse() : lines;
      return ordered.slice(request.start, request.start + request.limit);
    },
  }),
];
