/**
 * What a node name is: a DNS host name or a real IPv4 / IPv6 address. The same rule the
 * clustering operations apply to `hostname`, applied to names a peer sends (hello, hdb_nodes rows).
 */
import net from 'node:net';

const DNS_NAME_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const MAX_NODE_NAME_LENGTH = 253;

/** A DNS name, or a real IPv4 / IPv6 address (not ".", ":" or "999.1.1.1"). */
export function isNodeName(text: string): boolean {
  if (text.length === 0 || text.length > MAX_NODE_NAME_LENGTH) return false;
  if (/^[0-9.]+$/.test(text)) return net.isIPv4(text);
  if (text.includes(':') || text.startsWith('[')) return net.isIPv6(text.replace(/^\[(.*)\]$/, '$1'));
  return DNS_NAME_PATTERN.test(text);
}

/** A ws:// or wss:// URL with a host and no credentials, as hdb_nodes.url holds. */
export function isReplicationUrl(text: string): boolean {
  if (text.length > 2048) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname.length > 0 && !url.username && !url.password;
  } catch {
    return false;
  }
}
