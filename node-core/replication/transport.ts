/**
 * How replication sockets are made: the transport dials peers and listens for them. Everything
 * above the socket (handshake, streaming, apply) is the same for every transport; this one is
 * plain WebSocket on `replication.port`, where a peer is recognised by its source IP (the
 * seed's insecure mode). A TLS transport with certificate authentication plugs in beside it.
 */
import dns from 'node:dns/promises';
import http from 'node:http';
import type https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { closeSocket } from './close-reason.ts';
import { CloseCode, MAX_FRAME_BYTES, SUBPROTOCOL } from './protocol.ts';
import { limitUnadmitted, verifyReplicationUpgrade } from './upgrade-guard.ts';

export const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface Listener {
  port: number;
  close(): Promise<void>;
}

export interface ReplicationTransport {
  readonly scheme: 'ws' | 'wss';
  dial(url: string, headers?: Record<string, string>): WebSocket;
  listen(host: string, port: number, onConnection: (socket: WebSocket, request: http.IncomingMessage) => void): Promise<Listener>;
  /**
   * Whether the peer on `request` may act as node `claimedName`; null when it may, else the
   * reason it may not. `isKnown(name)` says whether a name is a configured route or node.
   */
  verifyPeer(request: http.IncomingMessage, claimedName: string, isKnown: (name: string) => boolean): Promise<string | null>;
}

export class InsecureTransport implements ReplicationTransport {
  readonly scheme = 'ws' as const;

  /** @param localAddress the address outgoing sockets bind to, so peers see this node's IP */
  constructor(private readonly localAddress: string | undefined) {}

  dial(url: string, headers: Record<string, string> = {}): WebSocket {
    return new WebSocket(url, SUBPROTOCOL, {
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      perMessageDeflate: false,
      headers,
      ...(this.localAddress ? { localAddress: this.localAddress } : {}),
    });
  }

  listen(host: string, port: number, onConnection: (socket: WebSocket, request: http.IncomingMessage) => void): Promise<Listener> {
    return serveWebSockets(http.createServer(), host, port, onConnection);
  }

  async verifyPeer(request: http.IncomingMessage, claimedName: string, isKnown: (name: string) => boolean): Promise<string | null> {
    if (!isKnown(claimedName)) return `node '${claimedName}' is not a known node or route of this node`;
    const remote = normalizeAddress(request.socket.remoteAddress ?? '');
    const addresses = net.isIP(claimedName)
      ? [claimedName]
      : await dns.lookup(claimedName, { all: true }).then((all) => all.map((a) => a.address), () => []);
    if (!addresses.map(normalizeAddress).includes(remote)) {
      return `connection from ${remote} does not come from the address of node '${claimedName}' (${addresses.join(', ') || 'unresolvable'})`;
    }
    return null;
  }
}

/**
 * Run the replication WebSocket endpoint on an HTTP or HTTPS server: the subprotocol is
 * required, frames are bounded, and plain requests get 426. Shared by both transports.
 */
export async function serveWebSockets(
  server: http.Server | https.Server,
  host: string,
  port: number,
  onConnection: (socket: WebSocket, request: http.IncomingMessage) => void,
): Promise<Listener> {
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(426, { 'Content-Type': 'text/plain' }).end('WebSocket replication endpoint\n'));
  const wss = replicationSocketServer({ server }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The replication WebSocket endpoint's rules, one place for a listener of its own and for the ops port. */
function replicationSocketServer(
  attach: { server: http.Server | https.Server } | { noServer: true },
  onConnection: (socket: WebSocket, request: http.IncomingMessage) => void,
): WebSocketServer {
  const wss = new WebSocketServer({
    ...attach,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    // Browsers (an Origin header) are refused before the socket opens (upgrade-guard.ts).
    verifyClient: verifyReplicationUpgrade,
  });
  wss.on('connection', (socket, request) => {
    if (socket.protocol !== SUBPROTOCOL) {
      socket.on('error', () => undefined);
      closeSocket(socket, CloseCode.protocolError, `subprotocol ${SUBPROTOCOL} required`);
      return;
    }
    limitUnadmitted(socket, request);
    onConnection(socket, request);
  });
  return wss;
}

/** Replication served on another server's upgrades (the operations API port, issue 11). */
export interface UpgradeEndpoint extends Listener {
  handle(request: http.IncomingMessage, socket: Duplex, head: Buffer): void;
}

export function upgradeEndpoint(port: number, onConnection: (socket: WebSocket, request: http.IncomingMessage) => void): UpgradeEndpoint {
  const wss = replicationSocketServer({ noServer: true }, onConnection);
  return {
    port,
    handle: (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)),
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
