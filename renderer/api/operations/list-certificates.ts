/**
 * list_certificates (SPEC 3): every certificate the node holds, as PEM with its details, whether
 * it is a CA, and the file name of its private key when the node holds one (never the key).
 * HarperDB 4.x answers with the same shape; fields it may leave out are optional here.
 */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export interface CertificateDetails {
  issuer?: string;
  subject?: string;
  /** "DNS:a, DNS:b, IP Address:127.0.0.1" as OpenSSL/Node print it, or null */
  subject_alt_name?: string | null;
  serial_number?: string;
  /** ISO 8601 (Peerdesk) or OpenSSL's "Jan  1 00:00:00 2030 GMT" (HarperDB) */
  valid_from?: string;
  valid_to?: string;
  [field: string]: unknown;
}

export interface CertificateRecord {
  name: string;
  /** PEM */
  certificate: string;
  is_authority: boolean;
  /** file name of the private key on the node, or null when the node holds none */
  private_key_name?: string | null;
  uses?: string[] | null;
  details?: CertificateDetails | null;
  is_self_signed?: boolean;
  [field: string]: unknown;
}

export type ListCertificatesResponse = CertificateRecord[];

export function listCertificates(client: OpsClient, signal?: AbortSignal): Promise<ListCertificatesResponse> {
  return client.call<ListCertificatesResponse>('list_certificates', {}, { signal });
}

export function listCertificatesQuery(client: OpsClient) {
  return queryOptions({
    queryKey: opsKey(client, 'list_certificates'),
    queryFn: ({ signal }) => listCertificates(client, signal),
  });
}
