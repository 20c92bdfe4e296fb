/**
 * The first moments of an inbound replication socket, before a link exists: wait (bounded) for
 * the first frame, which must be a hello naming the database; keep every frame that arrives
 * meanwhile, in order, from the first event on (listeners attached synchronously), and hand
 * them all to the link once it is made. Whatever the peer sends, the socket is closed with a
 * byte-safe reason and nothing throws out of its events.
 */
import type { WebSocket } from 'ws';
import type { Logger } from '../log/logger.ts';
import { closeSocket, RefusalError } from './close-reason.ts';
import { CloseCode, decode, ProtocolError, type Hello } from './protocol.ts';
import { HANDSHAKE_TIMEOUT_MS } from './transport.ts';

/** Frames a peer may send before its hello is answered (a well-behaved peer sends one). */
export const MAX_PENDING_FRAMES = 16;

/** The frames read so far, for the link that takes the socket over. */
export interface PendingFrames {
  /** whether the socket is still open (a link on a closed socket would never hear its close) */
  open(): boolean;
  /** Deliver every frame read so far, in order, and from now on let the link read the socket. */
  handTo(deliver: (data: Buffer) => void): void;
}

/**
 * Take an accepted socket until `onHello` makes its link (calling `handTo`) or throws. Errors:
 * ProtocolError closes with 4002, anything else is a refusal (4003) with its message.
 */
export function acceptInbound(socket: WebSocket, logger: Logger, onHello: (hello: Hello, frames: PendingFrames) => Promise<void>): void {
  const frames: Buffer[] = [];
  let handed = false;
  const refuse = (error: unknown) => {
    const protocol = error instanceof ProtocolError;
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof RefusalError)) logger.debug('Replication connection refused', { reason: message });
    closeSocket(socket, protocol ? CloseCode.protocolError : CloseCode.refused, protocol ? `protocol error: ${message}` : message);
  };
  const timer = setTimeout(() => closeSocket(socket, CloseCode.protocolError, 'no hello within the handshake timeout'), HANDSHAKE_TIMEOUT_MS);
  timer.unref();
  const onMessage = (data: Buffer) => {
    if (handed) return;
    frames.push(data);
    if (frames.length > MAX_PENDING_FRAMES) {
      refuse(new ProtocolError(`more than ${MAX_PENDING_FRAMES} frames before the hello was answered`));
      return;
    }
    if (frames.length === 1) start(data);
  };
  const pending: PendingFrames = {
    open: () => socket.readyState === socket.OPEN,
    handTo: (deliver) => {
      handed = true;
      socket.off('message', onMessage);
      for (const frame of frames.splice(0)) deliver(frame);
    },
  };
  const start = (first: Buffer) => {
    clearTimeout(timer);
    let hello: Hello;
    try {
      const message = decode(first);
      if (message.t !== 'hello') throw new ProtocolError(`expected hello, got '${String(message.t).slice(0, 40)}'`);
      hello = message as Hello;
    } catch (error) {
      refuse(error);
      return;
    }
    onHello(hello, pending).catch(refuse);
  };
  socket.on('message', onMessage);
  socket.on('error', () => undefined);
  socket.once('close', () => clearTimeout(timer));
}
