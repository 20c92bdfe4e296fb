/**
 * startNode: the one entry that runs a node, used by electron/, the CLI and the tests. It loads
 * the configuration, opens storage, makes sure the system database and first admin exist, and
 * serves the operations API until stop().
 */
import path from 'node:path';
import { HybridLogicalClock } from './clock/hlc.ts';
import { bindHost, loadConfig, nodeName as deriveNodeName, parseCliFlags, parseDuration, replicationOnOpsPort, type Config } from './config/index.ts';
import { Logger } from './log/logger.ts';
import { Authenticator } from './ops/auth.ts';
import { createRegistry } from './ops/operations.ts';
import { OpsServer } from './ops/server.ts';
import { ReplicationManager, type OpsListeners } from './replication/manager.ts';
import { CertificateStore } from './security/certificates.ts';
import type { NodeServices } from './services.ts';
import { applySchemaFile } from './storage/schema-file.ts';
import { guardCommitFailures } from './storage/commit-failure.ts';
import { Storage } from './storage/storage.ts';
import { purgeTombstones } from './storage/tombstones.ts';
import { generatePassword } from './system/passwords.ts';
import { ensureSystemDatabase } from './system/tables.ts';
import { TokenIssuer } from './system/tokens.ts';
import { UserStore } from './system/users.ts';

export { ConfigError } from './config/index.ts';
export { OpError } from './errors.ts';

/** Log entries past `logging.auditRetention` are purged this often at most... */
const RETENTION_PURGE_MAX_INTERVAL_MS = 60_000;
/** ...and at least this often apart (short retentions are for tests and demos). */
const RETENTION_PURGE_MIN_INTERVAL_MS = 500;
/** Tombstones (kept far longer, and scanned whole) are purged at most this often. */
const TOMBSTONE_PURGE_MAX_INTERVAL_MS = 3_600_000;

export interface StartNodeOptions {
  /** root directory; `--root`/ROOTPATH in argv/env win over it */
  rootPath?: string;
  /** CLI-style flags: config keys (`--REPLICATION_HOSTNAME=x`, `--replication.hostname x`), `--admin-username`, `--admin-password` */
  argv?: string[];
  /** environment for config overrides and HDB_ADMIN_*; default process.env */
  env?: Record<string, string | undefined>;
  adminUsername?: string;
  adminPassword?: string;
  /** directory of the renderer's built files, served on GET */
  rendererDir?: string;
}

export interface RunningNode {
  readonly opsUrl: string;
  /** the HTTPS operations API, when operationsApi.network.securePort is set */
  readonly secureOpsUrl: string | null;
  /** the port the operations API is bound to (the real one when 0 was asked for) */
  readonly opsPort: number;
  /** how peers reach this node's replication listener (null: it listens for none) */
  readonly replicationUrl: string | null;
  readonly nodeName: string;
  readonly rootPath: string;
  readonly config: Config;
  /** set only on the first start when no admin password was given: show it to the user once */
  readonly generatedAdminPassword: string | undefined;
  readonly services: NodeServices;
  stop(): Promise<void>;
}

export async function startNode(options: StartNodeOptions = {}): Promise<RunningNode> {
  const env = options.env ?? process.env;
  const argv = options.argv ?? [];
  const { config, configPath } = loadConfig({ rootPath: options.rootPath, env, argv });
  const rootPath = config.rootPath;
  const nodeName = deriveNodeName(config);
  const logger = new Logger(path.join(rootPath, 'log', 'hdb.log'), config.logging.level);
  guardCommitFailures((message) => logger.error(message));
  const clock = new HybridLogicalClock();
  const storage = Storage.open(rootPath, { nodeName, clock });
  try {
    const system = await ensureSystemDatabase(storage);
    await applySchemaFile(rootPath, storage);
    const users = new UserStore(system);
    const generatedAdminPassword = await ensureFirstAdmin(users, options, env, argv);
    const tokens = TokenIssuer.load(rootPath, {
      operation: parseDuration(config.authentication.operationTokenTimeout),
      refresh: parseDuration(config.authentication.refreshTokenTimeout),
    }, (username) => users.generation(username));
    const services: NodeServices = {
      nodeName,
      rootPath,
      configPath,
      config,
      startedAt: Date.now(),
      clock,
      storage,
      users,
      tokens,
      auth: new Authenticator(users, tokens),
      logger,
      registry: createRegistry(),
      certificates: new CertificateStore(system, path.join(rootPath, 'keys'), nodeName, logger),
      replication: null,
    };
    await services.certificates.initialize(certificateHosts(config, nodeName), config.tls);
    const server = new OpsServer(services, { rendererDir: options.rendererDir });
    const address = await server.listen(config.operationsApi.network.port, bindHost(config));
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    const opsUrl = `http://${host}:${address.port}`;
    const replication = new ReplicationManager(services, services.certificates);
    const onOpsPort = replicationOnOpsPort(config);
    const secureOps = await startSecureOps(server, services, onOpsPort ? replication : null);
    await startReplication(services, replication, onOpsPort ? opsListeners(server, address.port, secureOps) : undefined);
    const retention = startRetentionPurge(services);
    logger.notify('Node started', { nodeName, opsUrl, secureOpsUrl: secureOps?.url ?? null, replicationUrl: replication.url, rootPath });

    let stopping: Promise<void> | undefined;
    return {
      opsUrl,
      secureOpsUrl: secureOps?.url ?? null,
      opsPort: address.port,
      replicationUrl: replication.url,
      nodeName,
      rootPath,
      config,
      generatedAdminPassword,
      services,
      stop: () =>
        (stopping ??= (async () => {
          clearInterval(retention);
          await replication.stop();
          await server.close();
          await storage.close();
          logger.notify('Node stopped', { nodeName });
          logger.close();
        })()),
    };
  } catch (error) {
    await storage.close();
    logger.close();
    throw error;
  }
}

/** Create the first admin when there are no users; returns the password when it was generated. */
async function ensureFirstAdmin(
  users: UserStore,
  options: StartNodeOptions,
  env: Record<string, string | undefined>,
  argv: string[],
): Promise<string | undefined> {
  if (users.count() > 0) return undefined;
  const flags = parseCliFlags(argv);
  const flag = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const username = options.adminUsername ?? flag('admin-username') ?? env.HDB_ADMIN_USERNAME ?? 'admin';
  const given = options.adminPassword ?? flag('admin-password') ?? env.HDB_ADMIN_PASSWORD;
  const password = given ?? generatePassword();
  await users.addFirstAdmin({ username, password, role: 'super_user', active: true });
  return given === undefined ? password : undefined;
}

/**
 * Replication: TLS with certificates on `replication.securePort`, plain WebSocket with IP-based
 * peer authentication on `replication.port` (the seed's insecure mode), either or both; with
 * neither, on the operations API listeners (`ops`). Without a listener the node still dials
 * the peers it is told about.
 */
async function startReplication(services: NodeServices, manager: ReplicationManager, ops: OpsListeners | undefined): Promise<void> {
  await manager.start(ops);
  services.replication = manager;
}

interface SecureOps {
  url: string;
  port: number;
  refresh(): void;
}

/** The ops listeners as replication sees them when it is served on the ops port. */
function opsListeners(server: OpsServer, port: number, secureOps: SecureOps | null): OpsListeners {
  return {
    port,
    securePort: secureOps?.port ?? null,
    attach: (handler) => server.onUpgrade(handler),
    refreshTls: () => secureOps?.refresh(),
  };
}

/**
 * The operations API over HTTPS too when operationsApi.network.securePort is set. With
 * `replication` (served on the ops port) the listener also asks peers for their certificate
 * and trusts what replication trusts.
 */
async function startSecureOps(server: OpsServer, services: NodeServices, replication: ReplicationManager | null): Promise<SecureOps | null> {
  const { securePort } = services.config.operationsApi.network;
  if (securePort === null) return null;
  const credentials = () => {
    const best = services.certificates.bestCertificate();
    if (!best) throw new Error('operationsApi.network.securePort is set but the node has no certificate for its name');
    return { cert: best.row.certificate, key: best.key, ...(replication ? { ca: replication.trustedAuthorities() } : {}) };
  };
  const address = await server.listenSecure(securePort, bindHost(services.config), credentials());
  const refresh = () => {
    try {
      address.refresh(credentials());
    } catch (error) {
      services.logger.error('Could not switch the HTTPS certificate', { error: String(error) });
    }
  };
  services.certificates.onChange(refresh);
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return { url: `https://${host}:${address.port}`, port: address.port, refresh };
}

/** Names the node certificate is made for: the node name, its URL's host and loopback. */
function certificateHosts(config: Config, nodeName: string): string[] {
  const hosts = [nodeName, '127.0.0.1', 'localhost', '::1'];
  if (config.replication.url) hosts.push(new URL(config.replication.url).hostname.replace(/^\[(.*)\]$/, '$1'));
  return [...new Set(hosts)];
}

function startRetentionPurge(services: NodeServices): NodeJS.Timeout {
  const retentionMs = parseDuration(services.config.logging.auditRetention);
  const tombstoneMs = parseDuration(services.config.replication.tombstoneRetention);
  const tombstoneInterval = Math.min(TOMBSTONE_PURGE_MAX_INTERVAL_MS, Math.max(RETENTION_PURGE_MIN_INTERVAL_MS, tombstoneMs / 20));
  let tombstonesPurgedAt = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const tombstonesDue = now - tombstonesPurgedAt >= tombstoneInterval;
    if (tombstonesDue) tombstonesPurgedAt = now;
    for (const database of services.storage.databases()) {
      const failed = (error: unknown) => services.logger.error('Retention purge failed', { database: database.name, error: String(error) });
      database.purgeBefore(now - retentionMs).catch(failed);
      if (tombstonesDue) purgeTombstones(database, now - tombstoneMs).catch(failed);
    }
  }, Math.min(RETENTION_PURGE_MAX_INTERVAL_MS, Math.max(RETENTION_PURGE_MIN_INTERVAL_MS, retentionMs / 4)));
  timer.unref();
  return timer;
}
