/**
 * Reads the few fields the local-node card shows out of a `system_information` response,
 * tolerating the shapes of Peerdesk and HarperDB nodes (HarperDB has no node name: its host name
 * stands in; missing fields become null).
 */

export interface NodeSummary {
  name: string | null;
  uptimeSeconds: number | null;
}

function pick(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const asString = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);
const asNumber = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** The node process's uptime (Peerdesk's `time.node_uptime_ms`), else the host's (`time.uptime`, HarperDB). */
function nodeUptimeSeconds(info: unknown): number | null {
  const ms = asNumber(pick(info, 'time', 'node_uptime_ms'));
  return ms === null ? asNumber(pick(info, 'time', 'uptime')) : ms / 1000;
}

export function summarizeSystemInformation(info: unknown): NodeSummary {
  return {
    name: asString(pick(info, 'system', 'node_name')) ?? asString(pick(info, 'system', 'hostname')),
    uptimeSeconds: nodeUptimeSeconds(info),
  };
}

/** 93784 → "1d 2h 3m"; under a minute → "42s". */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3_600);
  const minutes = Math.floor((s % 3_600) / 60);
  return [days ? `${days}d` : '', days || hours ? `${hours}h` : '', `${minutes}m`].filter(Boolean).join(' ');
}
