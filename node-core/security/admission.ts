/**
 * What admitting a joining node may give it, and which certificates are revoked (issue 10 item
 * 2). The signer issues a certificate for exactly the name it admits: CN = SAN = that node name,
 * nothing the requester chose (not the host of the url it claims, not names in its CSR). A serial
 * listed in any node's `revoked_certificates` is refused whatever name the certificate is
 * presented for, so a certificate carrying several names cannot escape revocation under one.
 */
import { normalizeSerial } from '../replication/secure-transport.ts';
import type { CertificateStore } from './certificates.ts';
import { isNodeName } from './node-names.ts';
import { signRequest } from './pki.ts';

export class AdmissionError extends Error {
  override name = 'AdmissionError';
}

/** Why a joining node's name cannot be recorded in hdb_nodes (not a host name or IP), or null. */
export function joinerNameProblem(name: string): string | null {
  return isNodeName(name) ? null : `node name ${JSON.stringify(name.slice(0, 60))} is not a host name or IP address`;
}

/** Sign `csr` for node `peer` with this node's CA: the certificate names `peer` and nothing else. */
export function signJoiner(certificates: CertificateStore | null, peer: string, csr: string): { certificate: string; ca: string } {
  const authority = certificates?.ownAuthority();
  if (!authority || !certificates) throw new AdmissionError('this node has no certificate authority to sign with');
  const certificate = signRequest(csr, peer, {
    caCertificatePem: authority.certificate,
    caPrivateKeyPem: certificates.privateKey(authority),
    hosts: [],
  });
  return { certificate, ca: authority.certificate };
}

/** Every serial revoked for any node (normalized): revocation holds for every name a certificate carries. */
export function revokedSerials(nodes: ReadonlyArray<{ revoked_certificates?: readonly string[] | undefined }>): string[] {
  const all = new Set<string>();
  for (const node of nodes) for (const serial of node.revoked_certificates ?? []) if (typeof serial === 'string') all.add(normalizeSerial(serial));
  return [...all];
}
