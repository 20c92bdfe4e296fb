/**
 * Clustering operations (SPEC 2, 4, 5): add_node/set_node, update_node, remove_node,
 * configure_cluster, the route operations and cluster_status. Credentials given to add_node
 * are used for one handshake and dropped: never stored, logged or returned.
 */
import net from 'node:net';
import { z } from 'zod';
import { normalizeRoute, updateConfigFile, type RouteConfig } from '../../config/index.ts';
import { badRequest, forbidden, notFound, OpError } from '../../errors.ts';
import { SYNCED_KEY } from '../../replication/apply.ts';
import { JOIN_START_TIME_KEY, START_TIME_KEY, type ReplicationManager } from '../../replication/manager.ts';
import { subscriptionFields, subscriptionsBySetter, type Subscription } from '../../replication/membership.ts';
import { DEFAULT_NETWORK_TIMEOUT_MS, MAX_NETWORK_TIMEOUT_MS, MIN_NETWORK_TIMEOUT_MS } from '../../replication/network.ts';
import { clusterStatus } from '../../replication/status.ts';
import { verifyCluster } from '../../replication/verify.ts';
import type { NodeServices } from '../../services.ts';
import type { Database } from '../../storage/database.ts';
import { SYSTEM_DATABASE } from '../../system/tables.ts';
import type { OperationContext } from '../context.ts';
import { defineOperation } from '../registry.ts';

const DNS_NAME_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A DNS name, or a real IPv4 / IPv6 address (not ".", ":" or "999.1.1.1"). */
function isHostname(text: string): boolean {
  if (/^[0-9.]+$/.test(text)) return net.isIPv4(text);
  if (text.includes(':') || text.startsWith('[')) return net.isIPv6(text.replace(/^\[(.*)\]$/, '$1'));
  return DNS_NAME_PATTERN.test(text);
}

const hostname = z.string().min(1).max(253).refine(isHostname, { message: 'must be a host name or IP address' });

const replicationUrl = z
  .string()
  .max(2048)
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname.length > 0;
    } catch {
      return false;
    }
  }, { message: 'must be a ws:// or wss:// URL with a host, e.g. wss://server-two:9933' })
  .refine((text) => {
    try {
      const url = new URL(text);
      return !url.username && !url.password;
    } catch {
      return true;
    }
  }, { message: "must not contain credentials (give them in 'authorization': they would be stored with the node)" });

/** The largest time a JavaScript Date can hold. */
const MAX_TIME_MS = 8.64e15;

/** ISO-8601 date-time or epoch milliseconds, as a number of ms. */
const startTime = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME_MS) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 date-time or epoch milliseconds' });
    return z.NEVER;
  }
  return ms;
});

const subscription = z.preprocess(
  (value) => (value && typeof value === 'object' && 'schema' in value && !('database' in value) ? { ...value, database: (value as { schema: unknown }).schema } : value),
  z.object({ database: z.string().min(1).max(128), table: z.string().min(1).max(128), publish: z.boolean(), subscribe: z.boolean() }),
);

const authorization = z.union([
  z.object({ username: z.string().min(1), password: z.string().min(1) }),
  z.string().regex(/^(Basic|Bearer) \S+$/i, { message: 'must be {username, password} or an HTTP Authorization value ("Basic ..." or "Bearer ...")' }),
]);

const nodeFields = {
  hostname: hostname.optional(),
  url: replicationUrl.optional(),
  /** null: drop explicit subscriptions for this peer, back to everything both ways */
  subscriptions: z.array(subscription).max(10_000).nullable().optional(),
  start_time: startTime.optional(),
  authorization: authorization.optional(),
  verify_tls: z.boolean().optional(),
  replicates: z
    .boolean()
    .refine((value) => value, { message: "only true is supported: to replicate less with a node, give it 'subscriptions'" })
    .optional(),
  revoked_certificates: z.array(z.string().min(1).max(200)).max(10_000).optional(),
  shard: z.number().int().min(0).nullable().optional(),
};

const nodeTarget = z
  .object(nodeFields)
  .refine((r) => r.hostname !== undefined || r.url !== undefined, { message: "'hostname' or 'url' is required", path: ['hostname'] });

type NodeRequest = z.output<typeof nodeTarget>;

function replication(context: OperationContext): ReplicationManager {
  const manager = context.node.replication;
  if (!manager) throw new OpError(503, 'Replication is not running on this node');
  return manager;
}

function actor(context: OperationContext): string | null {
  return context.user?.username ?? null;
}

function authorizationHeader(value: NonNullable<NodeRequest['authorization']>): string {
  return typeof value === 'string' ? value : 'Basic ' + Buffer.from(`${value.username}:${value.password}`).toString('base64');
}

/** Name and URL of the node a request is about. */
function target(request: NodeRequest, manager: ReplicationManager, node: NodeServices): { name: string; url: string } {
  const name = request.hostname ?? new URL(request.url!).hostname.replace(/^\[(.*)\]$/, '$1');
  if (name === node.nodeName) throw badRequest(`'${name}' is this node: a node cannot be added to itself`);
  const known = manager.membership.peers().get(name);
  const url = request.url ?? known?.url ?? manager.membership.defaultUrl(name);
  return { name, url };
}

function checkSubscriptions(subscriptions: Subscription[] | null | undefined, node: NodeServices): void {
  subscriptions?.forEach((s, i) => {
    const database = node.storage.database(s.database);
    if (!database) throw badRequest(`subscriptions[${i}]: database '${s.database}' does not exist on this node`);
    if (!database.table(s.table)) throw badRequest(`subscriptions[${i}]: table '${s.database}.${s.table}' does not exist on this node`);
  });
}

async function addNode(request: NodeRequest, context: OperationContext): Promise<string> {
  const manager = replication(context);
  const { name, url } = target(request, manager, context.node);
  checkSubscriptions(request.subscriptions, context.node);
  // Before the first link opens: the peer may dial back (and offer a copy) as soon as it knows us.
  if (request.start_time !== undefined) await applyStartTime(request.start_time, manager, context.node.storage.requireDatabase(SYSTEM_DATABASE));
  if (request.authorization) await manager.join(name, url, authorizationHeader(request.authorization), request.verify_tls !== false);
  const subscriptions = { ...subscriptionsBySetter(manager.membership.node(name)) };
  if (request.subscriptions === null) delete subscriptions[context.node.nodeName];
  else if (request.subscriptions) subscriptions[context.node.nodeName] = request.subscriptions;
  await manager.membership.upsertNode(
    {
      name,
      url,
      ...subscriptionFields(subscriptions, context.node.nodeName),
      ...(request.revoked_certificates ? { revoked_certificates: request.revoked_certificates } : {}),
      ...(request.shard !== undefined ? { shard: request.shard } : {}),
    },
    actor(context),
  );
  manager.reconcile();
  return name;
}

/**
 * Databases not synced yet stream changes after `startMs` instead of copying (SPEC 4.5), and so
 * do databases that arrive later from a peer (JOIN_START_TIME_KEY on the system database).
 * Not `system` itself: its hdb_nodes rows are how the node learns the rest of the cluster.
 */
async function applyStartTime(startMs: number, manager: ReplicationManager, system: Database): Promise<void> {
  await system.setMeta([[JOIN_START_TIME_KEY, startMs]]);
  for (const database of manager.replicatedDatabases()) {
    if (database.name === SYSTEM_DATABASE || database.getMeta<boolean>(SYNCED_KEY)) continue;
    await database.setMeta([
      [START_TIME_KEY, startMs],
      [SYNCED_KEY, true],
    ]);
  }
}

const routeInput = z.union([
  z.string().min(1).max(2048),
  z.object({ hostname: hostname, port: z.number().int().min(1).max(65535).optional() }),
]);

function routeKey(route: RouteConfig | z.output<typeof routeInput>): string {
  const normalized = normalizeRoute(route as Parameters<typeof normalizeRoute>[0]);
  return `${normalized.hostname}:${normalized.port ?? ''}:${normalized.url ?? ''}`;
}

/** 400 naming the first route that does not parse (before anything is changed). */
function checkRoutes(operation: string, routes: ReadonlyArray<z.output<typeof routeInput>>): void {
  routes.forEach((route, i) => {
    try {
      normalizeRoute(route as Parameters<typeof normalizeRoute>[0]);
    } catch (error) {
      throw badRequest(`${operation}: 'routes[${i}]': ${(error as Error).message}`);
    }
  });
}

function saveRoutes(context: OperationContext, routes: RouteConfig[]): void {
  context.node.config.replication.routes = routes;
  updateConfigFile(context.node.configPath, ['replication', 'routes'], routes);
  context.node.replication?.reconcile();
}

export const clusterOperations = [
  defineOperation({
    name: 'add_node',
    aliases: ['set_node'],
    permission: 'super_user',
    writes: true,
    schema: nodeTarget,
    handler: async (request, context) => {
      const name = await addNode(request, context);
      return { message: `Successfully added '${name}' to cluster` };
    },
  }),
  defineOperation({
    name: 'update_node',
    permission: 'super_user',
    writes: true,
    schema: nodeTarget,
    handler: async (request, context) => {
      const manager = replication(context);
      const { name } = target(request, manager, context.node);
      if (!manager.membership.node(name)) throw notFound(`Node '${name}' is not in this cluster (no hdb_nodes record)`);
      return { message: `Successfully updated '${await addNode({ ...request, authorization: undefined }, context)}'` };
    },
  }),
  defineOperation({
    name: 'remove_node',
    permission: 'super_user',
    writes: true,
    schema: z.object({ hostname: hostname.optional(), url: replicationUrl.optional() }).refine((r) => r.hostname ?? r.url, { message: "'hostname' or 'url' is required", path: ['hostname'] }),
    handler: async (request, context) => {
      const manager = replication(context);
      const name = request.hostname ?? new URL(request.url!).hostname;
      const routes = context.node.config.replication.routes;
      const remaining = routes.filter((route) => normalizeRoute(route as Parameters<typeof normalizeRoute>[0]).hostname !== name);
      const removedRow = await manager.membership.removeNode(name, actor(context));
      // HarperDB's answer for a node it has no record of: 400 "<name> does not exist".
      if (!removedRow && remaining.length === routes.length) throw badRequest(`${name} does not exist`);
      if (remaining.length !== routes.length) saveRoutes(context, remaining);
      manager.reconcile();
      return { message: `Successfully removed '${name}' from cluster` };
    },
  }),
  defineOperation({
    name: 'configure_cluster',
    permission: 'super_user',
    writes: true,
    schema: z.object({ connections: z.array(nodeTarget).max(1000) }),
    handler: async (request, context) => {
      const manager = replication(context);
      // Check every connection before applying any, so a bad one leaves nothing half-configured.
      request.connections.forEach((connection, i) => {
        try {
          target(connection, manager, context.node);
          checkSubscriptions(connection.subscriptions, context.node);
        } catch (error) {
          if (error instanceof OpError) throw new OpError(error.status, `configure_cluster: 'connections[${i}]': ${error.message}`);
          throw error;
        }
      });
      const keep = new Set<string>([context.node.nodeName]);
      for (const connection of request.connections) keep.add(await addNode(connection, context));
      for (const node of manager.membership.nodes()) {
        if (!keep.has(node.name)) await manager.membership.removeNode(node.name, actor(context));
      }
      manager.reconcile();
      return { message: 'Cluster successfully configured.' };
    },
  }),
  defineOperation({
    name: 'cluster_set_routes',
    permission: 'super_user',
    writes: true,
    schema: z.object({ routes: z.array(routeInput).min(1).max(1000) }),
    handler: (request, context) => {
      const routes = [...context.node.config.replication.routes];
      const existing = new Set(routes.map(routeKey));
      const set: unknown[] = [];
      const skipped: unknown[] = [];
      checkRoutes('cluster_set_routes', request.routes);
      for (const route of request.routes) {
        if (existing.has(routeKey(route))) skipped.push(route);
        else {
          existing.add(routeKey(route));
          routes.push(route as RouteConfig);
          set.push(route);
        }
      }
      saveRoutes(context, routes);
      return { message: 'cluster routes successfully set', set, skipped };
    },
  }),
  defineOperation({
    name: 'cluster_get_routes',
    permission: 'super_user',
    schema: z.object({}),
    handler: (_request, context) => context.node.config.replication.routes,
  }),
  defineOperation({
    name: 'cluster_delete_routes',
    permission: 'super_user',
    writes: true,
    schema: z.object({ routes: z.array(routeInput).min(1).max(1000) }),
    handler: (request, context) => {
      checkRoutes('cluster_delete_routes', request.routes);
      const remove = new Set(request.routes.map(routeKey));
      const routes = context.node.config.replication.routes;
      const deleted = routes.filter((route) => remove.has(routeKey(route)));
      const deletedKeys = new Set(deleted.map(routeKey));
      saveRoutes(context, routes.filter((route) => !remove.has(routeKey(route))));
      return {
        message: 'cluster routes successfully deleted',
        deleted,
        skipped: request.routes.filter((route) => !deletedKeys.has(routeKey(route))),
      };
    },
  }),
  defineOperation({
    name: 'cluster_status',
    permission: 'super_user',
    schema: z.object({}),
    handler: (_request, context) => {
      const manager = replication(context);
      return clusterStatus(manager, context.node.nodeName, manager.url);
    },
  }),
  defineOperation({
    name: 'cluster_network',
    permission: 'super_user',
    schema: z.object({
      timeout: z.number().int().min(MIN_NETWORK_TIMEOUT_MS).max(MAX_NETWORK_TIMEOUT_MS).default(DEFAULT_NETWORK_TIMEOUT_MS),
    }),
    handler: (request, context) => replication(context).network.report(request.timeout),
  }),
  defineOperation({
    name: 'cluster_verify',
    permission: 'super_user',
    schema: z.object({
      database: z.string().min(1).max(128).optional(),
      table: z.string().min(1).max(128).optional(),
      repair: z.boolean().default(false),
    }),
    // Repair (replication/verify.ts) is logged and relayed, tombstones included, and reported per table.
    handler: (request, context) => verifyCluster(replication(context), context.node, request),
  }),
  ...['add_node_back', 'remove_node_back'].map((name) =>
    defineOperation({
      name,
      permission: 'super_user',
      schema: z.object({}),
      handler: () => {
        throw forbidden(`'${name}' is used between nodes over the replication link, not by clients`);
      },
    }),
  ),
];
