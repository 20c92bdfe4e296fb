/**
 * `ca_info`: the facts of a node's certificate authority as HarperDB shows them in hdb_nodes
 * rows and cluster_status (`issuer`, `subject`, `serialNumber`, `validFrom`, `validTo`, the
 * names of Node's X509Certificate), plus `fingerprint256`. Never the key, never the PEM.
 * Distinguished names are joined with ", " and commas inside a value escaped (`O=HarperDB\, Inc.`).
 */
import crypto from 'node:crypto';

export interface CaInfo {
  issuer: string;
  subject: string;
  serialNumber: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

/** A distinguished name from X509Certificate's one-attribute-per-line form. */
export function joinDistinguishedName(lines: string): string {
  return lines
    .split('\n')
    .filter(Boolean)
    .map((part) => {
      const equals = part.indexOf('=');
      return equals < 0 ? part : part.slice(0, equals + 1) + part.slice(equals + 1).replace(/([,\\])/g, '\\$1');
    })
    .join(', ');
}

/** The CA's facts, or `{ error }` when the PEM is not a readable certificate; null for none. */
export function caInfo(pem: string | null | undefined): CaInfo | { error: string } | null {
  if (!pem) return null;
  try {
    const cert = new crypto.X509Certificate(pem);
    return {
      issuer: joinDistinguishedName(cert.issuer),
      subject: joinDistinguishedName(cert.subject),
      serialNumber: cert.serialNumber,
      validFrom: cert.validFrom,
      validTo: cert.validTo,
      fingerprint256: cert.fingerprint256,
    };
  } catch {
    return { error: 'the CA recorded for this node is not a readable certificate' };
  }
}
