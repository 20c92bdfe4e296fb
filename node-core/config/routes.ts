/**
 * Parses one replication route ("host", "host:port", "ws(s)://host:port" or {hostname, port?})
 * into the one shape the rest of the node uses; shared by the schema (validation) and derived.ts.
 */

/** A route in the one form the replication code dials. `url` is set only when the route gave one. */
export interface NormalizedRoute {
  hostname: string;
  port?: number;
  url?: string;
}

/** The route forms a config file may contain. */
export type RouteInput = string | { hostname: string; port?: number | null | undefined };

const HOST_PATTERN = /^[A-Za-z0-9._~%-]+$/;
const IPV6_PATTERN = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9._~-]+)?$/;

function checkHost(host: string, text: string): string {
  if (host.length === 0) throw new Error(`route "${text}" has no host`);
  if (!HOST_PATTERN.test(host) && !(host.includes(':') && IPV6_PATTERN.test(host))) {
    throw new Error(`route "${text}" has an invalid host "${host}"`);
  }
  return host;
}

function checkPort(portText: string, text: string): number {
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new Error(`route "${text}" has an invalid port "${portText}" (expected 1-65535)`);
  return port;
}

function parseUrlRoute(text: string): NormalizedRoute {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`route "${text}" is not a valid URL`);
  }
  if (url.pathname !== '/' && url.pathname !== '') throw new Error(`route "${text}" must not have a path`);
  const hostname = checkHost(url.hostname.replace(/^\[(.*)\]$/, '$1'), text);
  const route: NormalizedRoute = { hostname, url: text.replace(/\/+$/, '') };
  // URL drops the default port (80/443); keep what the text said, if anything.
  const explicit = /^wss?:\/\/(?:\[[^\]]*\]|[^/:]*):(\d+)/i.exec(text);
  if (explicit?.[1] !== undefined) route.port = checkPort(explicit[1], text);
  return route;
}

/** Parses a route string; throws an Error saying what is wrong with it. */
export function parseRouteString(text: string): NormalizedRoute {
  const trimmed = text.trim();
  if (/^wss?:\/\//i.test(trimmed)) return parseUrlRoute(trimmed);
  if (trimmed.includes('://')) throw new Error(`route "${text}" must use ws:// or wss://`);
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(trimmed);
  if (bracketed) {
    const hostname = checkHost(bracketed[1] ?? '', text);
    return bracketed[2] === undefined ? { hostname } : { hostname, port: checkPort(bracketed[2], text) };
  }
  const colons = trimmed.split(':').length - 1;
  if (colons === 0) return { hostname: checkHost(trimmed, text) };
  if (colons > 1) return { hostname: checkHost(trimmed, text) }; // a bare IPv6 address
  const at = trimmed.lastIndexOf(':');
  return { hostname: checkHost(trimmed.slice(0, at), text), port: checkPort(trimmed.slice(at + 1), text) };
}

/** Normalizes any accepted route form; throws an Error for anything else. */
export function normalizeRoute(route: RouteInput): NormalizedRoute {
  if (typeof route === 'string') return parseRouteString(route);
  const normalized: NormalizedRoute = { hostname: route.hostname };
  if (route.port !== undefined && route.port !== null) normalized.port = route.port;
  return normalized;
}
