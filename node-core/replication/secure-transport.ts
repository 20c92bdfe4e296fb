/**
 * Replication over TLS WebSockets on `replication.securePort` (SPEC 3): both sides present
 * certificates. A peer is accepted when its certificate chains to a CA this node trusts, names
 * the node it claims to be, that node is known (hdb_nodes or a route) and its serial is not
 * revoked; otherwise the link is closed with the check that failed. Certificates and trusted
 * CAs are read per connection, so changes apply without a restart.
 */
import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import { namesInclude } from '../security/certificates.ts';
import { maskInsideTls } from './send-budget.ts';
import { MAX_FRAME_BYTES, SUBPROTOCOL } from './protocol.ts';
import { HANDSHAKE_TIMEOUT_MS, serveWebSockets, type Listener, type ReplicationTransport } from './transport.ts';

export interface TlsMaterial {
  /** this node's certificate and key to present (to `peer` when dialing, if given) */
  credentials(peer?: string): { cert: string; key: string } | undefined;
  /** every CA this node trusts now */
  trustedAuthorities(): string[];
  /** serials (upper-case hex) refused for node `name` (the manager gives every node's revoked serials: security/admission.ts) */
  revokedSerials(name: string): readonly string[];
}

export interface DialOptions {
  /** false: accept any server certificate (first contact before cross-signing) */
  verifyTls?: boolean;
  /** the node dialed (default: the URL's host), whose CA is preferred and whose revoked serials are refused */
  peer?: string;
}

/** A certificate serial as compared everywhere: upper-case hex, no separators or leading zeros. */
export function normalizeSerial(serial: string): string {
  return serial.toUpperCase().replace(/[^0-9A-F]/g, '').replace(/^0+(?=.)/, '');
}

/** Serial of the certificate the other end of a TLS socket presented (null for plain sockets). */
export function peerCertificateSerial(socket: net.Socket | undefined): string | null {
  const serial = (socket as tls.TLSSocket | undefined)?.getPeerCertificate?.()?.serialNumber;
  return serial ? normalizeSerial(serial) : null;
}

export class SecureTransport implements ReplicationTransport {
  readonly scheme = 'wss' as const;
  #server: https.Server | null = null;

  constructor(
    private readonly material: TlsMaterial,
    private readonly localAddress: string | undefined,
  ) {}

  dial(url: string, headers: Record<string, string> = {}, options: DialOptions = {}): WebSocket {
    const peer = options.peer ?? new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
    const credentials = this.material.credentials(peer);
    // A dialed node is held to its revoked serials too, or revoking its certificate would only
    // stop it dialing in while this node kept dialing out to it.
    const checkServerIdentity = (host: string, certificate: tls.PeerCertificate): Error | undefined => {
      const error = tls.checkServerIdentity(host, certificate);
      if (error) return error;
      const serial = normalizeSerial(certificate.serialNumber ?? '');
      if (!this.isRevoked(peer, serial)) return undefined;
      return Object.assign(new Error(`the certificate (serial ${serial}) of node '${peer}' is revoked`), { code: 'ERR_PEER_CERT_REVOKED' });
    };
    return new WebSocket(url, SUBPROTOCOL, {
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      perMessageDeflate: false,
      generateMask: maskInsideTls,
      headers,
      ...(credentials ?? {}),
      ca: this.material.trustedAuthorities(),
      rejectUnauthorized: options.verifyTls !== false,
      // @types/ws types this as returning boolean; ws hands it to tls.connect, which wants Error | undefined.
      ...({ checkServerIdentity } as object),
      ...(this.localAddress ? { localAddress: this.localAddress } : {}),
    });
  }

  async listen(host: string, port: number, onConnection: (socket: WebSocket, request: http.IncomingMessage) => void): Promise<Listener> {
    const credentials = this.material.credentials();
    if (!credentials) throw new Error('no certificate for this node: cannot listen on replication.securePort');
    const server = https.createServer({
      ...credentials,
      ca: this.material.trustedAuthorities(),
      // Ask for a certificate but decide ourselves, so a refusal can say which check failed.
      requestCert: true,
      rejectUnauthorized: false,
    });
    const listener = await serveWebSockets(server, host, port, onConnection);
    this.#server = server;
    return {
      port: listener.port,
      close: async () => {
        this.#server = null;
        await listener.close();
      },
    };
  }

  /** New certificates or CAs: the listener uses them for the next connection. */
  refresh(): void {
    const credentials = this.material.credentials();
    if (this.#server && credentials) this.#server.setSecureContext({ ...credentials, ca: this.material.trustedAuthorities() });
  }

  async verifyPeer(request: http.IncomingMessage, claimedName: string, isKnown: (name: string) => boolean): Promise<string | null> {
    const socket = request.socket as tls.TLSSocket;
    const certificate = socket.getPeerCertificate();
    if (!certificate || Object.keys(certificate).length === 0) return 'no client certificate was presented';
    if (!socket.authorized) return `certificate not trusted: ${describeTlsError(String(socket.authorizationError))}`;
    const names = [
      ...(certificate.subject?.CN ? [String(certificate.subject.CN)] : []),
      ...(certificate.subjectaltname ?? '').split(/,\s*/).map((part) => part.replace(/^(DNS|IP Address):/, '')).filter(Boolean),
    ];
    if (!namesInclude(names, claimedName)) return `certificate is for ${names.join(', ') || 'no name'}, not node '${claimedName}'`;
    if (!isKnown(claimedName)) return `node '${claimedName}' is not a known node or route of this node`;
    const serial = normalizeSerial(certificate.serialNumber);
    if (this.isRevoked(claimedName, serial)) return `certificate serial ${serial} of node '${claimedName}' is revoked`;
    return null;
  }

  /** Whether `serial` (normalized) is in node `name`'s revoked_certificates. */
  isRevoked(name: string, serial: string): boolean {
    return this.material.revokedSerials(name).some((revoked) => normalizeSerial(revoked) === serial);
  }
}

function describeTlsError(code: string): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return 'the certificate has expired (CERT_HAS_EXPIRED)';
    case 'CERT_NOT_YET_VALID':
      return 'the certificate is not valid yet (CERT_NOT_YET_VALID)';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `it does not chain to a CA this node trusts (${code})`;
    default:
      return code;
  }
}
