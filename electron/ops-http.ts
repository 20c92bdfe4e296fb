/**
 * POSTs one operation to a node's operations API from the main process: the renderer's IPC
 * transport in the desktop app and the password-for-tokens exchange of saved connections. http and
 * https only, no redirects followed, a short list of headers, and named limits on size and time.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { PeerdeskError, type OpsHttpResponse } from './ipc/contract.ts';

/** Largest operation body sent (the node's own default limit). */
export const OPS_REQUEST_MAX_BYTES = 10 * 1024 * 1024;
/** Largest answer accepted (a search or an export of a big table). */
export const OPS_RESPONSE_MAX_BYTES = 64 * 1024 * 1024;
export const OPS_DEFAULT_TIMEOUT_MS = 30_000;
export const OPS_MAX_TIMEOUT_MS = 10 * 60_000;
/** Headers the renderer may set; the rest of the request is fixed here. */
export const OPS_ALLOWED_HEADERS: ReadonlySet<string> = new Set(['authorization', 'content-type', 'accept']);

export interface PostOperationOptions {
  headers?: Record<string, string> | undefined;
  timeoutMs?: number | undefined;
  /** PEM of a CA trusted in addition to the system's roots (https only) */
  caCertificate?: string | null | undefined;
  /** a lower answer limit than OPS_RESPONSE_MAX_BYTES */
  maxResponseBytes?: number | undefined;
}

/** A node's operations URL as a URL object, or INVALID_INPUT saying what is wrong with it. */
export function parseNodeUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PeerdeskError('INVALID_INPUT', `${JSON.stringify(text.slice(0, 200))} is not a URL (expected http://host:port or https://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PeerdeskError('INVALID_INPUT', `${url.protocol} URLs are not supported: a node's operations API is http:// or https://`);
  }
  if (url.username || url.password) {
    throw new PeerdeskError('INVALID_INPUT', 'Put credentials in the connection\'s login, not in its URL');
  }
  return url;
}

/** "describe_all" from an operation body, or null when the body is not readable JSON. */
function operationName(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    const name = (parsed as { operation?: unknown } | null)?.operation;
    return typeof name === 'string' ? name.slice(0, 100) : null;
  } catch {
    return null;
  }
}

function requestHeaders(given: Record<string, string> | undefined, body: Buffer): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  for (const [name, value] of Object.entries(given ?? {})) {
    const key = name.toLowerCase();
    if (!OPS_ALLOWED_HEADERS.has(key)) {
      throw new PeerdeskError('INVALID_INPUT', `Header ${JSON.stringify(name)} may not be set (only Authorization, Content-Type and Accept)`);
    }
    if (/[\r\n]/.test(value)) throw new PeerdeskError('INVALID_INPUT', `Header ${name} contains a line break`);
    headers[key] = value;
  }
  headers['content-length'] = String(body.length);
  return headers;
}

/**
 * Sends `body` as `POST <url>` and resolves with the node's status and text whatever the status;
 * rejects with a PeerdeskError (NETWORK, TIMEOUT, TOO_LARGE, INVALID_INPUT) naming the operation
 * and the URL when there is no complete answer.
 */
export async function postOperation(urlText: string, body: string, options: PostOperationOptions = {}): Promise<OpsHttpResponse> {
  const url = parseNodeUrl(urlText);
  const payload = Buffer.from(body, 'utf8');
  const operation = operationName(body);
  const what = `${operation ?? 'request'} to ${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
  if (payload.length > OPS_REQUEST_MAX_BYTES) {
    throw new PeerdeskError('TOO_LARGE', `${what}: the body is ${payload.length} bytes, over the limit of ${OPS_REQUEST_MAX_BYTES}`);
  }
  const timeoutMs = Math.min(Math.max(1, options.timeoutMs ?? OPS_DEFAULT_TIMEOUT_MS), OPS_MAX_TIMEOUT_MS);
  const headers = requestHeaders(options.headers, payload);
  const maxResponseBytes = Math.min(options.maxResponseBytes ?? OPS_RESPONSE_MAX_BYTES, OPS_RESPONSE_MAX_BYTES);
  const secure = url.protocol === 'https:';
  // A fresh connection per operation: a pooled one the node closed meanwhile (idle timeout,
  // restart) would fail the request with a reset, and a POST is not safe to repeat.
  const requestOptions: https.RequestOptions = { method: 'POST', headers, agent: false };
  if (secure && options.caCertificate) requestOptions.ca = [...tls.rootCertificates, options.caCertificate];

  return new Promise<OpsHttpResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: PeerdeskError | null, response?: OpsHttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        request.destroy();
        reject(error);
      } else {
        resolve(response!);
      }
    };
    const request = (secure ? https : http).request(url, requestOptions, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxResponseBytes) {
          finish(new PeerdeskError('TOO_LARGE', `${what}: the answer is over the limit of ${maxResponseBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => finish(null, { status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', (error) => finish(new PeerdeskError('NETWORK', `${what} failed while reading the answer: ${error.message}`)));
      response.on('aborted', () => finish(new PeerdeskError('NETWORK', `${what}: the node closed the connection mid-answer`)));
    });
    const timer = setTimeout(
      () => finish(new PeerdeskError('TIMEOUT', `${what}: no answer within ${Math.round(timeoutMs / 100) / 10} s`)),
      timeoutMs,
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      const detail = error.code && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message;
      finish(new PeerdeskError('NETWORK', `${what} failed: ${detail}`));
    });
    request.end(payload);
  });
}
