/**
 * Certificates for security tests: private CAs and node certificates made in the test with the
 * node's own PKI helpers (node-core/security/pki.ts), certificates with arbitrary validity made
 * with node-forge (expired ones), and a raw replication client that presents any certificate to
 * a node's TLS listener and reports how the node answered (the close code and reason).
 */
import crypto from 'node:crypto';
import tls from 'node:tls';
import forge from 'node-forge';
import { WebSocket } from 'ws';
import { encode, PROTOCOL_VERSION, SUBPROTOCOL, type Hello } from '../../node-core/replication/protocol.ts';
import { certificateDetails, createCertificateAuthority, issueNodeCertificate, newKeyPair, type KeyPair } from '../../node-core/security/pki.ts';

/** Smaller than the node's RSA-4096 CA keys: these are test fixtures, made many times. */
const TEST_KEY_BITS = 2048;

export interface TestAuthority {
  certificate: string;
  keys: KeyPair;
  subject: string;
}

export interface TestCertificate {
  certificate: string;
  privateKey: string;
  /** serial as list_certificates shows it (upper-case hex) */
  serial: string;
}

export async function createTestAuthority(commonName: string): Promise<TestAuthority> {
  const keys = await newKeyPair(TEST_KEY_BITS);
  const certificate = createCertificateAuthority(keys, commonName);
  return { certificate, keys, subject: certificateDetails(certificate).subject };
}

/** A node certificate for `name` (CN and SAN, plus `hosts`) signed by `authority`. */
export async function issueTestCertificate(authority: TestAuthority, name: string, hosts: string[] = []): Promise<TestCertificate> {
  const keys = await newKeyPair(TEST_KEY_BITS);
  const certificate = issueNodeCertificate({
    caCertificatePem: authority.certificate,
    caPrivateKeyPem: authority.keys.privateKeyPem,
    publicKeyPem: keys.publicKeyPem,
    commonName: name,
    hosts,
  });
  return { certificate, privateKey: keys.privateKeyPem, serial: certificateDetails(certificate).serial_number };
}

/**
 * A node certificate with any validity window (e.g. wholly in the past), built with node-forge
 * because the node's own issuer never makes one: same names and extensions as a node certificate.
 */
export async function issueCertificateWithValidity(authority: TestAuthority, name: string, notBefore: Date, notAfter: Date): Promise<TestCertificate> {
  const keys = await newKeyPair(TEST_KEY_BITS);
  const ca = forge.pki.certificateFromPem(authority.certificate);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = '01' + crypto.randomBytes(15).toString('hex');
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ name: 'commonName', value: name }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: [/^[\d.]+$/.test(name) ? { type: 7, ip: name } : { type: 2, value: name }] },
  ]);
  const caKey = crypto.createPrivateKey(authority.keys.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
  cert.sign(forge.pki.privateKeyFromPem(caKey), forge.md.sha256.create());
  const certificate = forge.pki.certificateToPem(cert);
  return { certificate, privateKey: keys.privateKeyPem, serial: certificateDetails(certificate).serial_number };
}

export interface RawOutcome {
  /** the node answered the hello with its own: the link was admitted */
  admitted: boolean;
  /** close code and reason when the node closed the link */
  code: number | null;
  reason: string;
  /** the certificate the node presented as server */
  serverSerial: string | null;
}

/**
 * Dial a node's replication TLS port as node `node` would, presenting `credentials` (or none),
 * send a hello for `database`, and report whether the node admitted the link or closed it (and
 * why). Server certificates are not checked: this client tests the node's side of the handshake.
 */
export async function rawReplicationHello(
  url: string,
  options: { node: string; database?: string; credentials?: { cert: string; key: string } | undefined; timeoutMs?: number },
): Promise<RawOutcome> {
  const socket = new WebSocket(url, SUBPROTOCOL, {
    rejectUnauthorized: false,
    perMessageDeflate: false,
    handshakeTimeout: 10_000,
    ...(options.credentials ?? {}),
  });
  socket.binaryType = 'nodebuffer';
  let serverSerial: string | null = null;
  socket.once('upgrade', (response) => {
    serverSerial = (response.socket as tls.TLSSocket).getPeerCertificate?.()?.serialNumber ?? null;
  });
  return new Promise<RawOutcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no answer from ${url} within ${options.timeoutMs ?? 15_000} ms`));
    }, options.timeoutMs ?? 15_000);
    let admitted = false;
    socket.once('open', () => {
      const hello: Hello = {
        t: 'hello',
        protocol: PROTOCOL_VERSION,
        node: options.node,
        url: null,
        database: options.database ?? 'system',
        position: 0,
        synced: true,
        startTime: Date.now(),
        tables: [],
        ca: null,
      };
      socket.send(encode(hello));
    });
    socket.on('message', () => {
      if (admitted) return;
      admitted = true;
      socket.close(1000, 'raw test client done');
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ admitted, code: admitted ? null : code, reason: admitted ? '' : reason.toString(), serverSerial });
    });
  });
}

/** The serial a node's TLS listener presents now (a bare TLS handshake, no WebSocket). */
export async function servedCertificate(host: string, port: number): Promise<{ serial: string; issuer: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false }, () => {
      const certificate = socket.getPeerCertificate();
      socket.end();
      resolve({
        serial: certificate.serialNumber,
        issuer: Object.entries(certificate.issuer ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', '),
        subject: Object.entries(certificate.subject ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', '),
      });
    });
    socket.once('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no TLS handshake with ${host}:${port}`)));
  });
}
