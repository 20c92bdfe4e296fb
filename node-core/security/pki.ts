/**
 * The node's public key infrastructure (SPEC 3): keys from Node's crypto (native, off the event
 * loop), certificates and signing requests built and signed with node-forge, and the details of
 * any certificate read with Node's X509Certificate. A signer decides a certificate's validity,
 * key usage and names itself; nothing is copied from a request but its public key.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPair = promisify(crypto.generateKeyPair);

export const CA_KEY_BITS = 4096;
export const NODE_KEY_BITS = 2048;
export const CA_VALIDITY_DAYS = 3650;
/** The CA/Browser Forum's limit for leaf certificates, which we hold node certificates to. */
export const MAX_NODE_CERT_VALIDITY_DAYS = 397;
const DAY_MS = 86_400_000;

export interface KeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export async function newKeyPair(bits: number): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function randomSerial(): string {
  const bytes = crypto.randomBytes(16);
  bytes[0]! &= 0x7f; // positive
  return bytes.toString('hex');
}

function forgePrivateKey(pem: string): forge.pki.rsa.PrivateKey {
  // forge reads PKCS#1 or unencrypted PKCS#8 RSA keys; normalise through Node first.
  const pkcs1 = crypto.createPrivateKey(pem).export({ type: 'pkcs1', format: 'pem' }).toString();
  return forge.pki.privateKeyFromPem(pkcs1);
}

function altNames(hosts: readonly string[]): Array<{ type: number; value?: string; ip?: string }> {
  return [...new Set(hosts)].map((host) => (net.isIP(host) ? { type: 7, ip: host } : { type: 2, value: host }));
}

/** A self-signed certificate authority. */
export function createCertificateAuthority(keys: KeyPair, commonName: string): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + CA_VALIDITY_DAYS * DAY_MS);
  const name = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'Peerdesk' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forgePrivateKey(keys.privateKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export interface IssueOptions {
  /** the CA that signs */
  caCertificatePem: string;
  caPrivateKeyPem: string;
  /** the subject's public key */
  publicKeyPem: string;
  commonName: string;
  /** DNS names and IP addresses the certificate is valid for */
  hosts: readonly string[];
  validityDays?: number;
}

/** A node certificate (serverAuth + clientAuth) for `commonName`, signed by the given CA. */
export function issueNodeCertificate(options: IssueOptions): string {
  const validityDays = Math.min(options.validityDays ?? MAX_NODE_CERT_VALIDITY_DAYS, MAX_NODE_CERT_VALIDITY_DAYS);
  const ca = forge.pki.certificateFromPem(options.caCertificatePem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(options.publicKeyPem);
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + validityDays * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: options.commonName }, { name: 'organizationName', value: 'Peerdesk' }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: altNames([options.commonName, ...options.hosts]) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forgePrivateKey(options.caPrivateKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A certificate signing request for `commonName` (only its key and name are ever used). */
export function createSigningRequest(keys: KeyPair, commonName: string): string {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(forgePrivateKey(keys.privateKeyPem), forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

export class CertificateError extends Error {
  override name = 'CertificateError';
}

/**
 * Sign a peer's request: its signature must verify and its common name must be the node the
 * request claims to come from. The certificate's names are `commonName` plus `hosts` as the
 * signer decided them, never extensions asked for in the request.
 */
export function signRequest(csrPem: string, expectedCommonName: string, options: Omit<IssueOptions, 'publicKeyPem' | 'commonName'>): string {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(csrPem);
  } catch (error) {
    throw new CertificateError(`the signing request is not a PEM RSA certificate request: ${(error as Error).message}`);
  }
  if (!csr.verify()) throw new CertificateError('the signing request is not signed by its own key');
  const commonName = csr.subject.getField('CN')?.value as string | undefined;
  if (commonName !== expectedCommonName) {
    throw new CertificateError(`the signing request names '${commonName ?? ''}', not the node '${expectedCommonName}'`);
  }
  return issueNodeCertificate({
    ...options,
    publicKeyPem: forge.pki.publicKeyToPem(csr.publicKey as forge.pki.rsa.PublicKey),
    commonName,
  });
}

export interface CertificateDetails {
  issuer: string;
  subject: string;
  subject_alt_name: string | null;
  serial_number: string;
  valid_from: string;
  valid_to: string;
  fingerprint256: string;
  is_authority: boolean;
  is_self_signed: boolean;
  common_name: string | null;
  /** DNS names and IPs from the SANs, plus the CN */
  names: string[];
}

/** Parse a PEM certificate; throws CertificateError naming the problem. */
export function parseCertificate(pem: string): crypto.X509Certificate {
  try {
    return new crypto.X509Certificate(pem);
  } catch (error) {
    throw new CertificateError(`not a PEM X.509 certificate: ${(error as Error).message}`);
  }
}

export function certificateDetails(pem: string): CertificateDetails {
  const cert = parseCertificate(pem);
  const commonName = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? null;
  const sanNames = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .map((part) => /^(?:DNS|IP Address):(.*)$/.exec(part)?.[1])
    .filter((name): name is string => Boolean(name));
  return {
    issuer: cert.issuer.replace(/\n/g, ', '),
    subject: cert.subject.replace(/\n/g, ', '),
    subject_alt_name: cert.subjectAltName ?? null,
    serial_number: cert.serialNumber,
    valid_from: new Date(cert.validFrom).toISOString(),
    valid_to: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
    is_authority: cert.ca,
    is_self_signed: cert.issuer === cert.subject && cert.verify(cert.publicKey),
    common_name: commonName,
    names: [...new Set([...(commonName ? [commonName] : []), ...sanNames])],
  };
}

/** Whether `privateKeyPem` is the key of `certificatePem`. */
export function keyMatchesCertificate(certificatePem: string, privateKeyPem: string): boolean {
  try {
    return parseCertificate(certificatePem).checkPrivateKey(crypto.createPrivateKey(privateKeyPem));
  } catch {
    return false;
  }
}

/** Split a PEM bundle into its certificates. */
export function splitPemBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
