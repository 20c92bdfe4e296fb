/**
 * Distinguished names as nodes print them, and whether a certificate is self-signed. Peerdesk
 * writes "CN=node-1, O=Peerdesk" (or one RDN a line); HarperDB 4.7 writes RDNs separated by
 * spaces with escaped commas inside values: "CN=node.1 C=USA ST=Colorado L=Denver O=HarperDB\,
 * Inc.". A backslash escapes the next character (or two hex digits, RFC 4514). Self-signed is
 * decided from the names (issuer equals subject), never from the node's is_self_signed flag,
 * which HarperDB sets on CA-issued leaves too.
 */
import type { CertificateRecord } from '../../api/operations/list-certificates.ts';

export interface Rdn {
  /** the attribute type as written, upper-cased: CN, O, OU, C, ST, L, ... */
  type: string;
  value: string;
}

/** A type=value pair starts here (used to split on spaces only before a new attribute). */
const ATTRIBUTE_START = /^[A-Za-z][A-Za-z0-9.-]*=/;

export function parseDistinguishedName(text: string | null | undefined): Rdn[] {
  if (!text) return [];
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      const hex = /^[0-9A-Fa-f]{2}/.exec(text.slice(i + 1, i + 3));
      if (hex && !/^[,+;"\\<>= #]/.test(text[i + 1]!)) {
        current += String.fromCharCode(parseInt(hex[0], 16));
        i += 2;
      } else {
        current += text[i + 1];
        i += 1;
      }
      continue;
    }
    const split = ch === ',' || ch === '\n' || ch === ';' || ch === '+' || (/\s/.test(ch) && ATTRIBUTE_START.test(text.slice(i + 1).trimStart()) && current.includes('='));
    if (split) {
      if (current.trim()) parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) parts.push(current);
  return parts.flatMap((part) => {
    const at = part.indexOf('=');
    if (at <= 0) return [];
    return [{ type: part.slice(0, at).trim().toUpperCase(), value: part.slice(at + 1).trim() }];
  });
}

/** Same names in the same order (types case-insensitive, values as written). */
export function sameDistinguishedName(a: string | null | undefined, b: string | null | undefined): boolean {
  const x = parseDistinguishedName(a);
  const y = parseDistinguishedName(b);
  return x.length > 0 && x.length === y.length && x.every((rdn, i) => rdn.type === y[i]!.type && rdn.value === y[i]!.value);
}

/** The CN of a subject or issuer, else the whole text. */
export function commonNameOf(distinguishedName: string | null | undefined): string {
  if (!distinguishedName) return '';
  return parseDistinguishedName(distinguishedName).find((rdn) => rdn.type === 'CN')?.value || distinguishedName;
}

/** A name as one line for display: "CN=node.1, O=HarperDB, Inc." (escapes resolved). */
export function formatDistinguishedName(distinguishedName: string | null | undefined): string {
  const rdns = parseDistinguishedName(distinguishedName);
  return rdns.length ? rdns.map((r) => `${r.type}=${r.value}`).join(', ') : (distinguishedName ?? '');
}

/** Self-signed: its issuer is its own subject. Unknown names mean not shown as self-signed. */
export function isSelfSigned(record: Pick<CertificateRecord, 'details'>): boolean {
  return sameDistinguishedName(record.details?.issuer, record.details?.subject);
}
