/**
 * Close codes and reasons of replication links, built in one place. A WebSocket close reason is
 * at most 123 bytes of UTF-8 (RFC 6455 5.5: 125-byte control payload less the 2-byte code), and
 * `ws` throws a RangeError for more — out of whatever event handler called close. Reasons often
 * quote peer-controlled text (decoder errors, node names), so every reason is cut here, on a
 * code-point boundary, and every close goes through `closeSocket`, which never throws.
 */
import type { WebSocket } from 'ws';
import { CloseCode, ProtocolError } from './protocol.ts';

/** Largest close reason the WebSocket protocol allows, in bytes of UTF-8. */
export const MAX_CLOSE_REASON_BYTES = 123;
/** A peer that never answers the close handshake is cut off after this long. */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** A reason the peer (and the status shown to the user) gets when a link closes. */
export interface LinkClose {
  code: CloseCodeValue;
  reason: string;
}

/** Refused by admission (identity, credentials, membership, duplicate...). */
export class RefusalError extends Error {
  override name = 'RefusalError';
}

/** `text` cut to at most `maxBytes` bytes of UTF-8, never inside a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  // Iterate by code point: a surrogate pair is one character of 4 bytes.
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/** A close reason that fits the WebSocket limit; an ellipsis marks a cut (when room allows). */
export function closeReasonText(text: string): string {
  if (Buffer.byteLength(text) <= MAX_CLOSE_REASON_BYTES) return text;
  return cutUtf8(text, MAX_CLOSE_REASON_BYTES - Buffer.byteLength('…')) + '…';
}

/** How a link closes for an error: protocol errors and refusals say so; the rest is internal. */
export function closeForError(error: unknown): LinkClose {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ProtocolError) return { code: CloseCode.protocolError, reason: `protocol error: ${message}` };
  if (error instanceof RefusalError) return { code: CloseCode.refused, reason: message };
  return { code: CloseCode.internal, reason: `internal error: ${message}` };
}

/**
 * Close `socket` with `code` and `reason` (cut to fit), then terminate it if the peer does not
 * finish the close handshake in time. Never throws: closing is what error paths do last.
 */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  try {
    if (socket.readyState === socket.CLOSED) return;
    if (socket.readyState === socket.CONNECTING) {
      socket.terminate();
      return;
    }
    if (socket.readyState === socket.OPEN) socket.close(code, closeReasonText(reason));
    setTimeout(() => terminateSocket(socket), CLOSE_HANDSHAKE_TIMEOUT_MS).unref();
  } catch {
    terminateSocket(socket);
  }
}

/** Drop the TCP connection at once (no close frame). Never throws. */
export function terminateSocket(socket: WebSocket): void {
  try {
    socket.terminate();
  } catch {
    // already gone
  }
}
