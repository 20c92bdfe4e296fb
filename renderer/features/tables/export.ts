/**
 * Export of the records shown: CSV (RFC 4180 quoting; objects as JSON; text that a
 * spreadsheet would run as a formula is prefixed with ') and JSON (an array, pretty-printed).
 */
import type { DataRecord } from '../../api/operations/types.ts';

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(columns: readonly string[], records: readonly DataRecord[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const record of records) lines.push(columns.map((column) => csvCell(record[column])).join(','));
  return lines.join('\r\n') + '\r\n';
}

export function toJson(records: readonly DataRecord[]): string {
  return JSON.stringify(records, null, 2) + '\n';
}
