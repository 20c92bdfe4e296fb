/**
 * The certificates view's pure logic: how close a certificate is to expiry (warning 30 days
 * before, error once expired), names from a subjectAltName, serials as the node compares them,
 * the list's order and its summary. No React, so the unit tests run it directly.
 */
import type { CertificateRecord } from '../../api/operations/list-certificates.ts';
import type { Tone } from '../../components/StatusBadge.tsx';
import { parseTime } from '../../lib/format.ts';
import { commonNameOf } from './dn.ts';

export const DAY_MS = 86_400_000;
/** A certificate this close to its end shows a warning. */
export const EXPIRY_WARNING_DAYS = 30;

export type ExpiryState = 'valid' | 'expiring' | 'expired' | 'not-yet-valid' | 'unknown';

export interface Expiry {
  state: ExpiryState;
  tone: Tone;
  /** the badge's word(s): "Valid", "Expires in 12 days", "Expired", ... */
  label: string;
  /** a longer sentence for the detail view and tooltips */
  description: string;
  /** ms until valid_to (negative once expired), null when unknown */
  remainingMs: number | null;
}

/** "3 years", "5 months", "12 days", "1 day", "6 hours", "less than an hour". */
export function formatSpan(ms: number): string {
  const abs = Math.abs(ms);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  const days = abs / DAY_MS;
  if (days >= 730) return plural(Math.floor(days / 365), 'year');
  if (days >= 60) return plural(Math.floor(days / 30), 'month');
  if (days >= 1) return plural(Math.floor(days), 'day');
  const hours = Math.floor(abs / 3_600_000);
  return hours >= 1 ? plural(hours, 'hour') : 'less than an hour';
}

/** Days left, counting a part day as a day ("expires in 1 day" until the last moment). */
function daysLeft(ms: number): number {
  return Math.max(1, Math.ceil(ms / DAY_MS));
}

/**
 * Where a certificate stands at `nowMs`: expired once valid_to has passed, expiring within
 * EXPIRY_WARNING_DAYS of it, not yet valid before valid_from, else valid; unknown when the
 * dates are missing or unreadable.
 */
export function classifyExpiry(validFrom: unknown, validTo: unknown, nowMs: number): Expiry {
  const from = parseTime(validFrom);
  const to = parseTime(validTo);
  if (to === null) {
    return { state: 'unknown', tone: 'idle', label: 'Validity unknown', description: 'The node did not report when this certificate expires.', remainingMs: null };
  }
  const remainingMs = to - nowMs;
  const until = new Date(to).toISOString().slice(0, 10);
  if (remainingMs <= 0) {
    return {
      state: 'expired',
      tone: 'bad',
      label: 'Expired',
      description: `Expired ${formatSpan(remainingMs)} ago (${until}). Peers refuse it; replace it.`,
      remainingMs,
    };
  }
  if (from !== null && from > nowMs) {
    return {
      state: 'not-yet-valid',
      tone: 'warn',
      label: 'Not yet valid',
      description: `Valid from ${new Date(from).toISOString().slice(0, 10)}, in ${formatSpan(from - nowMs)}; until then peers refuse it.`,
      remainingMs,
    };
  }
  if (remainingMs <= EXPIRY_WARNING_DAYS * DAY_MS) {
    const days = daysLeft(remainingMs);
    return {
      state: 'expiring',
      tone: 'warn',
      label: `Expires in ${days} day${days === 1 ? '' : 's'}`,
      description: `Expires on ${until}, in ${formatSpan(remainingMs)}. Replace it before then.`,
      remainingMs,
    };
  }
  return { state: 'valid', tone: 'ok', label: 'Valid', description: `Valid until ${until}, ${formatSpan(remainingMs)} from now.`, remainingMs };
}

export function expiryOf(record: CertificateRecord, nowMs: number): Expiry {
  return classifyExpiry(record.details?.valid_from, record.details?.valid_to, nowMs);
}

/** The names in a subjectAltName ("DNS:a, IP Address:127.0.0.1" → ["a", "127.0.0.1"]). */
export function subjectAltNames(value: string | null | undefined): string[] {
  if (!value) return [];
  return value
    .split(/,\s*/)
    .map((part) => part.trim().replace(/^(?:DNS|IP Address|IP|URI|email):/i, ''))
    .filter(Boolean);
}

/** The CN of a subject or issuer ("CN=node-1, O=Peerdesk" → "node-1"), else the whole text; escapes and HarperDB's space-separated names are read. */
export const commonName = commonNameOf;

/** A serial as the node compares them: upper-case hex, no separators, no leading zeros. */
export function normalizeSerial(serial: string): string {
  return serial.toUpperCase().replace(/[^0-9A-F]/g, '').replace(/^0+(?=.)/, '');
}

/** Why `text` is not a certificate serial (hex digits, ':' or spaces between bytes allowed), or null. */
export function serialProblem(text: string): string | null {
  const trimmed = text.trim();
  if (!trimmed) return 'Enter the serial number of the certificate to refuse';
  if (!/^[0-9A-Fa-f]+(?:[:\s-]?[0-9A-Fa-f]+)*$/.test(trimmed)) return 'A serial is hexadecimal, e.g. 3F:A2:… or 3FA2…';
  if (normalizeSerial(trimmed).length > 128) return 'A serial is at most 64 bytes (128 hex digits)';
  return null;
}

/** Whether `serial` is in `list`, compared as the node compares them. */
export function serialListed(list: readonly string[], serial: string): boolean {
  const wanted = normalizeSerial(serial);
  return list.some((entry) => normalizeSerial(entry) === wanted);
}

/** "3FA2…9B01" for the list; the full serial is in the detail view. */
export function shortSerial(serial: string | undefined, keep = 6): string {
  if (!serial) return '';
  return serial.length <= keep * 2 + 1 ? serial : `${serial.slice(0, keep)}…${serial.slice(-keep)}`;
}

/** Certificate authorities first, then by name. */
export function sortCertificates(records: readonly CertificateRecord[]): CertificateRecord[] {
  return [...records].sort((a, b) => Number(b.is_authority) - Number(a.is_authority) || a.name.localeCompare(b.name));
}

export interface ExpirySummary {
  expired: string[];
  expiring: string[];
}

/** Names of the certificates that have expired or expire within the warning window. */
export function expirySummary(records: readonly CertificateRecord[], nowMs: number): ExpirySummary {
  const summary: ExpirySummary = { expired: [], expiring: [] };
  for (const record of records) {
    const state = expiryOf(record, nowMs).state;
    if (state === 'expired') summary.expired.push(record.name);
    else if (state === 'expiring') summary.expiring.push(record.name);
  }
  return summary;
}

/** The list's uses field as text: user input "wss, https  custom" → ["wss", "https", "custom"]. */
export function parseUses(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((use) => use.trim()).filter(Boolean))];
}
