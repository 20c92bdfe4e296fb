/**
 * Values derived from the configuration: the node's name, the URL peers use to reach it, the
 * interface its listeners bind to, and its routes in one normalized form.
 */
import net from 'node:net';
import { normalizeRoute, type NormalizedRoute } from './routes.ts';
import type { Config } from './schema.ts';

export type { NormalizedRoute } from './routes.ts';

const unbracket = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');

/** replication.hostname, else the host of replication.url, else 127.0.0.1. */
export function nodeName(config: Config): string {
  const { hostname, url } = config.replication;
  if (hostname) return hostname;
  if (url) {
    try {
      const host = unbracket(new URL(url).hostname);
      if (host) return host;
    } catch {
      // validated by the schema; fall through for hand-built configs
    }
  }
  return '127.0.0.1';
}

/** True for 127.x.x.x and ::1 (IP literals only, not names). */
export function isLoopbackIp(host: string): boolean {
  const bare = unbracket(host);
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  if (net.isIPv6(bare)) {
    const list = new net.BlockList();
    list.addAddress('::1', 'ipv6');
    return list.check(bare, 'ipv6');
  }
  return false;
}

const urlHost = (host: string): string => (net.isIPv6(host) ? `[${host}]` : host);

/**
 * With neither `replication.port` nor `replication.securePort`, replication is served on the
 * operations API listeners (the seed: "By default replication will connect on the operations
 * API network interface/port"): ws on its HTTP port, wss on its HTTPS port.
 */
export function replicationOnOpsPort(config: Config): boolean {
  return config.replication.port === null && config.replication.securePort === null;
}

/**
 * Where replication listens and where a route without a port is dialed: the replication
 * ports, or on the ops port the ops ports. TLS is preferred when both are there.
 */
export function replicationPorts(config: Config): { port: number | null; securePort: number | null } {
  if (!replicationOnOpsPort(config)) return { port: config.replication.port, securePort: config.replication.securePort };
  return { port: config.operationsApi.network.port, securePort: config.operationsApi.network.securePort };
}

/**
 * replication.url, else wss://<name>:<securePort>, else ws://<name>:<port> (the ops ports when
 * replication is on them). (A port of 0 is resolved only once the listener is bound.)
 */
export function replicationUrl(config: Config): string | null {
  const { url } = config.replication;
  if (url) return url;
  const { securePort, port } = replicationPorts(config);
  const host = urlHost(nodeName(config));
  if (securePort !== null) return `wss://${host}:${securePort}`;
  if (port !== null) return `ws://${host}:${port}`;
  return null;
}

/** operationsApi.network.host, else the node name if it is a loopback IP, 127.0.0.1 for "localhost", else 0.0.0.0. */
export function bindHost(config: Config): string {
  const configured = config.operationsApi.network.host;
  if (configured) return configured;
  const name = nodeName(config);
  if (isLoopbackIp(name)) return unbracket(name);
  if (name.toLowerCase() === 'localhost') return '127.0.0.1';
  return '0.0.0.0';
}

/** Every replication.routes entry as {hostname, port?, url?}. */
export function normalizeRoutes(config: Config): NormalizedRoute[] {
  return config.replication.routes.map((route) => normalizeRoute(route));
}
