/**
 * The zod schema of harperdb-config.yaml (HarperDB key names) with every default, the parsed
 * `Config` type, and `parseDuration` for the duration-valued keys.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseRouteString } from './routes.ts';

/** Where a node keeps its data when neither flags, environment nor the caller say otherwise. */
export const DEFAULT_ROOT_PATH = path.join(os.homedir(), '.peerdesk', 'node');

/** 10 MiB: the default limit on an operations API request body. */
export const DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'notify'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION_EXPECTED =
  'expected a duration: a number of milliseconds, or a number with a unit ms, s, m, h, d or w, like "3d", "12h", "30m", "45s", "500ms" or "1h30m"';

/** Milliseconds in a duration such as "3d", "12h", "30m", "45s", "500ms", "1h30m" or a plain number of ms. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new RangeError(`Invalid duration ${String(value)}: ${DURATION_EXPECTED}`);
  }
  if (typeof value !== 'string') throw new TypeError(`Invalid duration ${JSON.stringify(value)}: ${DURATION_EXPECTED}`);
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const part = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*/y;
  let total = 0;
  let matched = 0;
  while (part.lastIndex < text.length) {
    const match = part.exec(text);
    if (!match) break;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? NaN);
    matched = part.lastIndex;
  }
  if (text.length === 0 || matched !== text.length || !Number.isFinite(total)) {
    throw new RangeError(`Invalid duration ${JSON.stringify(value)}: ${DURATION_EXPECTED}`);
  }
  return total;
}

function isDuration(value: string | number): boolean {
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
}

/** A nested mapping whose keys all have defaults, so a missing section is filled in too. */
const section = <T extends z.core.$ZodLooseShape>(shape: T) => {
  const mapping = z.looseObject(shape, { error: 'expected a mapping of keys to values' });
  return mapping.prefault({} as z.input<typeof mapping>);
};

const port = (expected = 'expected an integer port 0-65535 (0 = any free port)') =>
  z.number({ error: expected }).int({ error: expected }).min(0, { error: expected }).max(65535, { error: expected });

const pathOrNull = () => z.string({ error: 'expected a file path or null' }).min(1, { error: 'expected a file path or null' }).nullable().default(null);

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()], { error: DURATION_EXPECTED })
    .refine(isDuration, { error: DURATION_EXPECTED })
    .default(fallback);

const ROUTE_EXPECTED = 'expected a route: "host", "host:port", "ws(s)://host:port" or {hostname, port?}';
const routeString = z.string().superRefine((text, ctx) => {
  try {
    parseRouteString(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `${ROUTE_EXPECTED} (${(error as Error).message})` });
  }
});
const routeObject = z.looseObject({
  hostname: z.string().min(1),
  port: port('expected an integer port 1-65535').min(1, { error: 'expected an integer port 1-65535' }).nullish(),
});
export const routeSchema = z.union([routeString, routeObject], { error: ROUTE_EXPECTED });

const DATABASES_EXPECTED = "expected '*' or a list of database names or {name, sharded?, replicateTo?}";
const DATABASE_EXPECTED = 'expected a database name or {name, sharded?, replicateTo?}';
const databaseObject = z.looseObject({
  name: z.string().min(1),
  sharded: z.boolean().optional(),
  replicateTo: z.union([z.number().int().min(0), z.array(z.string())]).optional(),
});
const databaseEntry = z.union([z.string().min(1), databaseObject], { error: DATABASE_EXPECTED });

const WS_URL_EXPECTED = 'expected a ws:// or wss:// URL or null';
const wsUrl = z.string({ error: WS_URL_EXPECTED }).refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname.length > 0;
    } catch {
      return false;
    }
  },
  { error: WS_URL_EXPECTED },
);

/**
 * Tombstones (deleted keys with their version) must outlive the transaction log by far: a node
 * away longer than the log is resynced from a snapshot, and only tombstones stop that snapshot
 * merge from bringing deleted rows back (SPEC 4.6). Checked when the configuration is loaded.
 */
export const TOMBSTONE_RETENTION_MIN_MULTIPLE = 10;

const hostname = (expected: string) => z.string({ error: expected }).min(1, { error: expected }).nullable().default(null);

export const configSchema = z.looseObject(
  {
    rootPath: z.string({ error: 'expected a directory path' }).min(1, { error: 'expected a directory path' }).default(DEFAULT_ROOT_PATH),
    operationsApi: section({
      network: section({
        host: hostname('expected a host name or IP address to listen on, or null'),
        port: port().default(9925),
        securePort: port().nullable().default(null),
        cors: z.boolean({ error: 'expected true or false' }).default(true),
        corsAccessList: z.array(z.string(), { error: 'expected a list of origins, like ["*"]' }).default(['*']),
        maxBodySize: z
          .number({ error: 'expected a positive integer number of bytes' })
          .int({ error: 'expected a positive integer number of bytes' })
          .min(1, { error: 'expected a positive integer number of bytes' })
          .default(DEFAULT_MAX_BODY_SIZE),
      }),
    }),
    replication: section({
      hostname: hostname('expected a host name or IP address, or null'),
      url: wsUrl.nullable().default(null),
      port: port().nullable().default(null),
      securePort: port().nullable().default(9933),
      routes: z.array(routeSchema, { error: `expected a list of routes, each ${ROUTE_EXPECTED.slice('expected a route: '.length)}` }).default([]),
      databases: z
        .union([z.literal('*'), z.array(databaseEntry)], { error: DATABASES_EXPECTED })
        .default('*'),
      enableRootCAs: z.boolean({ error: 'expected true or false' }).default(true),
      shard: z
        .number({ error: 'expected a non-negative integer shard number or null' })
        .int({ error: 'expected a non-negative integer shard number or null' })
        .min(0, { error: 'expected a non-negative integer shard number or null' })
        .nullable()
        .default(null),
      /** how long a delete's tombstone is kept (≥ TOMBSTONE_RETENTION_MIN_MULTIPLE × logging.auditRetention) */
      tombstoneRetention: duration('90d'),
    }),
    tls: section({
      certificate: pathOrNull(),
      privateKey: pathOrNull(),
      certificateAuthority: pathOrNull(),
    }),
    logging: section({
      level: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('warn'),
      auditRetention: duration('3d'),
    }),
    authentication: section({
      operationTokenTimeout: duration('1d'),
      refreshTokenTimeout: duration('30d'),
    }),
  },
  { error: 'expected a mapping of keys to values' },
).superRefine((config, ctx) => {
  // Either key invalid: its own issue says so.
  if (!isDuration(config.replication.tombstoneRetention) || !isDuration(config.logging.auditRetention)) return;
  const tombstones = parseDuration(config.replication.tombstoneRetention);
  const log = parseDuration(config.logging.auditRetention);
  if (tombstones < TOMBSTONE_RETENTION_MIN_MULTIPLE * log) {
    ctx.addIssue({
      code: 'custom',
      path: ['replication', 'tombstoneRetention'],
      message: `must be at least ${TOMBSTONE_RETENTION_MIN_MULTIPLE} × logging.auditRetention (${JSON.stringify(config.logging.auditRetention)} = ${log} ms), so deletes outlive the log by far; it is ${JSON.stringify(config.replication.tombstoneRetention)} (${tombstones} ms)`,
    });
  }
});

/** The configuration as the node uses it: every key present, defaults filled, unknown keys kept. */
export type Config = z.output<typeof configSchema>;
/** What a config file (plus overrides) may contain before defaults are filled. */
export type ConfigInput = z.input<typeof configSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type DatabaseConfig = Config['replication']['databases'];

/** The configuration with nothing set: every default. */
export function defaultConfig(rootPath: string = DEFAULT_ROOT_PATH): Config {
  return configSchema.parse({ rootPath });
}
