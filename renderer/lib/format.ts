/** Number, size, duration and time formatting shared by the views. */

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatNumber(value: number | null | undefined, unit = ''): string {
  if (value == null || !Number.isFinite(value)) return '—';
  const text = Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 1 });
  return unit ? `${text} ${unit}` : text;
}

/** 93784 s → "1d 2h 3m"; under a minute → "42s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3_600);
  const minutes = Math.floor((s % 3_600) / 60);
  return [days ? `${days}d` : '', days || hours ? `${hours}h` : '', `${minutes}m`].filter(Boolean).join(' ');
}

/** "just now", "12s ago", "3m ago", "2h ago", else a date. */
export function formatAgo(timeMs: number | null | undefined, nowMs = Date.now()): string {
  if (timeMs == null || !Number.isFinite(timeMs)) return 'never';
  const seconds = Math.max(0, Math.round((nowMs - timeMs) / 1000));
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)}h ago`;
  return new Date(timeMs).toLocaleString();
}

/** A UTC date string or epoch ms as ms, else null. */
export function parseTime(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value) {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
}

/** A cell value on one line: strings as-is, objects as compact JSON, cut to `max` characters. */
export function formatCell(value: unknown, max = 120): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
