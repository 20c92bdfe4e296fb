/**
 * What may open a replication socket, and what it may send before it is admitted (issue 10
 * items 3 and 5). Browsers always send `Origin` (and Sec-Fetch-* / client hints) on a WebSocket
 * upgrade and a page cannot remove them, while peers never send them: so an upgrade carrying any
 * of them is refused before the socket opens, on both listeners. Until a peer is admitted, it may
 * send at most MAX_UNADMITTED_BYTES (its hello); past that the socket is closed with a reason and
 * nothing more is read, so an anonymous 50 MB hello is never buffered or decoded.
 */
import type http from 'node:http';
import type { WebSocket } from 'ws';

/** Bytes a peer may send before admission: one hello (its CA and CSR are at most 64 KiB each). */
export const MAX_UNADMITTED_BYTES = 1024 * 1024;
/** Close code for a peer past the limit (the protocol's "protocol error"). */
const CLOSE_PROTOCOL_ERROR = 4002;
/** After the close frame is written, the socket is destroyed this soon if the peer does not close. */
const CLOSE_GRACE_MS = 1_000;

const BROWSER_HEADER = /^(origin|sec-fetch-[a-z-]+|sec-ch-ua(-[a-z-]+)?|sec-purpose|sec-gpc)$/;

/** Why an upgrade request is refused (it comes from a browser), or null. */
export function browserUpgradeRefusal(headers: http.IncomingHttpHeaders): string | null {
  const found = Object.keys(headers).filter((name) => BROWSER_HEADER.test(name.toLowerCase()));
  if (found.length === 0) return null;
  return `replication refuses upgrades from browsers (header ${found.slice(0, 3).join(', ')})`;
}

/** ws `verifyClient`: refuse browser upgrades with 403 and the reason. */
export function verifyReplicationUpgrade(
  info: { req: http.IncomingMessage },
  callback: (accept: boolean, code?: number, message?: string) => void,
): void {
  const refusal = browserUpgradeRefusal(info.req.headers);
  if (refusal) callback(false, 403, refusal);
  else callback(true);
}

const admitted = new WeakSet<WebSocket>();

/** The peer on `socket` passed admission: lift the pre-admission byte limit. */
export function markAdmitted(socket: WebSocket): void {
  admitted.add(socket);
}

/** Count what the peer sends until it is admitted; past MAX_UNADMITTED_BYTES close with a reason. */
export function limitUnadmitted(socket: WebSocket, request: http.IncomingMessage, limit = MAX_UNADMITTED_BYTES): void {
  const raw = request.socket;
  let received = 0;
  const onData = (chunk: Buffer): void => {
    if (admitted.has(socket)) return void raw.off('data', onData);
    received += chunk.length;
    if (received <= limit) return;
    raw.off('data', onData);
    // Stop reading at once (ws would buffer the frame up to its maxPayload), say why, then go.
    raw.pause();
    raw.removeAllListeners('data');
    socket.close(CLOSE_PROTOCOL_ERROR, `sent over ${limit} bytes before being admitted`);
    setTimeout(() => raw.destroy(), CLOSE_GRACE_MS).unref();
  };
  raw.on('data', onData);
}
