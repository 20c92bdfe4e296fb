/**
 * The operations API over HTTP: `POST /` with a JSON body runs one operation (authenticate from
 * the headers, read a bounded body, look up, validate, handle); `GET` serves the renderer's built
 * files with the UI's CSP; CORS as configured. Tracks in-flight requests so a stop lets them finish.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { badRequest, forbidden, isOpError, notFound, OpError, unauthorized } from '../errors.ts';
import { UI_SECURITY_HEADERS } from '../security/csp.ts';
import { jsonInputProblem } from '../security/json-input.ts';
import { RateLimitedError } from '../security/login-limiter.ts';
import {
  BodyBudget,
  bodyTooLarge,
  discardBody,
  MAX_IN_FLIGHT_BODY_BYTES,
  MAX_IN_FLIGHT_UNAUTHENTICATED_BYTES,
  MAX_UNAUTHENTICATED_BODY_BYTES,
} from '../security/request-limits.ts';
import type { NodeServices } from '../services.ts';
import type { User } from '../system/users.ts';
import { sendResult } from './json-response.ts';
import { reclaimer } from '../reclaim.ts';
import { applyFieldAliases, formatIssues } from './validation.ts';

/**
 * How long an idle keep-alive connection stays open (ms). Longer than clients keep theirs
 * (undici and most HTTP agents: 4-5 s), so the client closes first: a server that closes at
 * the moment a client reuses the connection resets that request (seen under load at Node's
 * default of 5 s).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface OpsServerOptions {
  /** directory of the renderer's built files, served on GET; absent: GET answers with a note */
  rendererDir?: string | undefined;
}

export interface TlsCredentials {
  key: string;
  cert: string;
  /** CAs whose client certificates are checked (replication on this port: peers present one) */
  ca?: string[];
}

/** Who takes WebSocket upgrades on the ops listeners (replication on the ops port); `secure` for the HTTPS one. */
export type UpgradeHandler = (request: http.IncomingMessage, socket: Duplex, head: Buffer, secure: boolean) => void;

export class OpsServer {
  /** the HTTP listener, and the HTTPS one when operationsApi.network.securePort is set */
  readonly #servers: Array<http.Server | https.Server> = [];
  #inFlight = 0;
  #drained: (() => void) | null = null;
  /** body bytes in flight: of authenticated requests, and (separately) of anonymous ones */
  readonly #bodies: BodyBudget;
  readonly #anonymousBodies = new BodyBudget(MAX_UNAUTHENTICATED_BODY_BYTES, MAX_IN_FLIGHT_UNAUTHENTICATED_BYTES);
  #upgrade: UpgradeHandler | null = null;

  constructor(
    private readonly node: NodeServices,
    private readonly options: OpsServerOptions = {},
  ) {
    this.#bodies = new BodyBudget(node.config.operationsApi.network.maxBodySize, MAX_IN_FLIGHT_BODY_BYTES);
  }

  listen(port: number, host: string): Promise<{ host: string; port: number }> {
    return this.#listen(http.createServer(), port, host);
  }

  /** Send WebSocket upgrades to `handler`; without one they are refused (404). */
  onUpgrade(handler: UpgradeHandler): void {
    this.#upgrade = handler;
  }

  /**
   * HTTPS with the node's certificate; `refresh` swaps in new credentials for new connections.
   * With `ca`, clients are asked for a certificate (never required: operations use their own auth).
   */
  listenSecure(port: number, host: string, credentials: TlsCredentials): Promise<{ host: string; port: number; refresh: (next: TlsCredentials) => void }> {
    const server = https.createServer({ ...credentials, ...(credentials.ca ? { requestCert: true, rejectUnauthorized: false } : {}) });
    return this.#listen(server, port, host).then((address) => ({ ...address, refresh: (next: TlsCredentials) => server.setSecureContext(next) }));
  }

  #listen(server: http.Server | https.Server, port: number, host: string): Promise<{ host: string; port: number }> {
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void this.#handle(req, res));
    server.on('clientError', answerMalformedRequest);
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.#upgrade) this.#upgrade(req, socket, head, server instanceof https.Server);
      else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.requestTimeout = 120_000;
    server.headersTimeout = 30_000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        if (!address || typeof address === 'string') return reject(new Error('server has no address'));
        this.#servers.push(server);
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Stop accepting, let in-flight requests finish, then close idle connections. */
  async close(): Promise<void> {
    const closed = Promise.all(this.#servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    for (const server of this.#servers) server.closeIdleConnections();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    for (const server of this.#servers) server.closeAllConnections();
    await closed;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.#inFlight += 1;
    const requestId = crypto.randomUUID();
    let reserved = 0;
    let answered = 0;
    let budget = this.#anonymousBodies;
    try {
      if (!this.#applyCors(req, res)) return;
      if (req.method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        this.#serveStatic(req, res);
        return;
      }
      if (req.method !== 'POST') throw new OpError(405, `Method ${req.method} not allowed: send operations as POST /`);
      // Who is asking comes from the headers alone: nothing of the body is read before it.
      const clientAddress = req.socket.remoteAddress ?? 'unknown';
      const user = req.headers.authorization ? await this.node.auth.authenticate(req.headers.authorization, clientAddress) : null;
      if (user) budget = this.#bodies;
      const body = {
        text: await this.#readBody(req, user !== null, (bytes) => {
          budget.take(bytes);
          reserved += bytes;
        }),
      };
      // The holder lets #runOperation drop the text once parsed: a large body is then not kept
      // alive (beside its parsed records) through the storage write and replication.
      const result = await this.#runOperation(body, requestId, user, clientAddress);
      answered = await sendResult(res, result);
    } catch (error) {
      if (isOpError(error)) {
        if (error instanceof RateLimitedError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
        // A body left unread is dropped as it arrives (never kept), so the client sees the answer.
        if (!req.complete) await discardBody(req);
        sendJson(res, error.status, { ...error.details, error: error.message });
      } else {
        this.node.logger.error('Internal error in operation', { requestId, error: String((error as Error)?.stack ?? error) });
        sendJson(res, 500, { error: `Internal error (request id ${requestId}); see the node's log` });
      }
    } finally {
      // The body's bytes stay counted until its operation is done: parsing and handling use them.
      budget.give(reserved);
      reclaimer.done(reserved);
      reclaimer.done(answered);
      this.#inFlight -= 1;
      if (this.#inFlight === 0 && this.#drained) this.#drained();
    }
  }

  async #runOperation(body: { text: string }, requestId: string, user: User | null, clientAddress: string): Promise<unknown> {
    const parsed = parseBody(body);
    const problem = jsonInputProblem(parsed);
    if (problem) throw badRequest(problem);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
      throw badRequest(`Request body must be a JSON object with an "operation" field, got ${got}`);
    }
    const request = applyFieldAliases(parsed as Record<string, unknown>);
    if (typeof request.operation !== 'string') {
      throw badRequest(request.operation === undefined ? "'operation' is required" : "'operation' must be a string");
    }
    const operation = this.node.registry.get(request.operation);
    // Anonymous callers learn nothing, not even whether an operation exists; only public
    // operations (token creation) run without an Authorization header.
    if (!user && operation?.permission !== 'public') throw unauthorized('Must login');
    if (!operation) throw badRequest(`Operation '${request.operation.slice(0, 100)}' not found`);
    if (user && operation.permission === 'super_user' && user.role !== 'super_user') {
      throw forbidden(`Operation '${operation.name}' requires the super_user role`);
    }
    if (user && operation.writes && user.role === 'read_only') {
      throw forbidden(`Operation '${operation.name}' changes data; user '${user.username}' is read-only`);
    }
    const validated = operation.schema.safeParse(request, { reportInput: true });
    if (!validated.success) throw badRequest(`${operation.name}: ${formatIssues(validated.error.issues)}`);
    return operation.handler(validated.data, {
      node: this.node,
      user,
      requestId,
      clientAddress,
    });
  }

  /**
   * The body as text, at most maxBodySize (authenticated) or MAX_UNAUTHENTICATED_BODY_BYTES;
   * `reserve` takes each chunk's bytes from the in-flight budget before it is kept.
   */
  #readBody(req: http.IncomingMessage, authenticated: boolean, reserve: (bytes: number) => void): Promise<string> {
    const limit = authenticated ? this.node.config.operationsApi.network.maxBodySize : MAX_UNAUTHENTICATED_BODY_BYTES;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return Promise.reject(bodyTooLarge(declared, limit, authenticated));
    if (Number.isFinite(declared) && declared > 0) reserve(declared);
    const reservedUpFront = Number.isFinite(declared) && declared > 0 ? declared : 0;
    return new Promise((resolve, reject) => {
      // With a declared length the body lands in one buffer as it arrives (each chunk is dropped
      // once copied); without one, chunks are joined once at the end. Either way the bytes are
      // released as soon as they are decoded: a large body is never held as chunks, bytes and text.
      let whole: Buffer | null = reservedUpFront > 0 ? Buffer.allocUnsafeSlow(reservedUpFront) : null;
      let chunks: Buffer[] = [];
      let size = 0;
      const stop = (error: OpError) => {
        req.removeAllListeners('data');
        whole = null;
        chunks = [];
        reject(error);
      };
      req.on('data', (chunk: Buffer) => {
        if (size + chunk.length > limit) return stop(bodyTooLarge(null, limit, authenticated));
        try {
          if (size + chunk.length > reservedUpFront) reserve(Math.min(chunk.length, size + chunk.length - reservedUpFront));
        } catch (error) {
          return stop(error as OpError);
        }
        if (whole && size + chunk.length <= whole.length) chunk.copy(whole, size);
        else {
          // More than declared (the HTTP parser refuses that, but never trust it): fall back to chunks.
          if (whole) chunks.push(whole.subarray(0, size));
          whole = null;
          chunks.push(chunk);
        }
        size += chunk.length;
      });
      req.on('end', () => {
        const bytes = whole ? whole.subarray(0, size) : Buffer.concat(chunks, size);
        whole = null;
        chunks = [];
        try {
          resolve(UTF8.decode(bytes));
        } catch {
          reject(badRequest('Invalid JSON in request body: it is not valid UTF-8'));
        }
      });
      req.on('error', reject);
    });
  }

  /** Returns false when the request was answered (a refused preflight). */
  #applyCors(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const { cors, corsAccessList } = this.node.config.operationsApi.network;
    const origin = req.headers.origin;
    if (!cors || !origin) return true;
    const allowed = corsAccessList.includes('*') || corsAccessList.includes(origin);
    if (!allowed) {
      if (req.method === 'OPTIONS') {
        sendJson(res, 403, { error: `Origin ${origin} is not in operationsApi.network.corsAccessList` });
        return false;
      }
      return true;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
    res.setHeader('Access-Control-Max-Age', '600');
    return true;
  }

  #serveStatic(req: http.IncomingMessage, res: http.ServerResponse): void {
    for (const [name, value] of Object.entries(UI_SECURITY_HEADERS)) res.setHeader(name, value);
    const root = this.options.rendererDir;
    const pathname = requestPath(req.url);
    if (!root || !fs.existsSync(path.join(root, 'index.html'))) {
      if (pathname !== '/') throw notFound('Not found');
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Peerdesk node ${this.node.nodeName}: send operations as POST / (the UI is not built; run npm run build:renderer)\n`);
      return;
    }
    const resolved = path.resolve(root, '.' + (pathname === '/' ? '/index.html' : pathname));
    if (!resolved.startsWith(path.resolve(root) + path.sep)) throw notFound('Not found');
    const file = fs.existsSync(resolved) && fs.statSync(resolved).isFile() ? resolved : path.join(root, 'index.html');
    res.writeHead(200, {
      'Content-Type': MIME_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cache-Control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
    });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  }
}

/**
 * A request Node's HTTP parser refused (bad header, bad request line, headers too large): answer
 * with a JSON error naming the parser's reason, as for every other bad input, then close.
 */
function answerMalformedRequest(error: Error & { code?: string }, socket: import('node:stream').Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = JSON.stringify({ error: `Malformed HTTP request (${error.code ?? 'parse error'})` });
  const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The body's JSON, parsed; the holder's text is emptied so only the parsed value stays alive. */
function parseBody(body: { text: string }): unknown {
  const text = body.text;
  body.text = '';
  if (text.trim() === '') throw badRequest('Request body is empty: send a JSON object with an "operation" field');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`Invalid JSON in request body: ${(error as Error).message}`);
  }
}

/** Strict UTF-8: a body with invalid bytes is refused, not silently changed to U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The decoded path of a request target; 400 for one that is not a valid URL path or percent-encoding. */
function requestPath(target: string | undefined): string {
  let pathname: string;
  try {
    pathname = new URL(target ?? '/', 'http://x').pathname;
  } catch {
    throw badRequest(`Invalid request path ${JSON.stringify((target ?? '').slice(0, 100))}`);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw badRequest(`Invalid percent-encoding in request path ${JSON.stringify(pathname.slice(0, 100))}`);
  }
  // No file name holds a NUL or a control character: such a path is an attack, not a page.
  if (/[\u0000-\u001f\u007f]/.test(decoded)) throw badRequest(`Invalid request path ${JSON.stringify(pathname.slice(0, 100))}: control characters`);
  return decoded;
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return;
  const body = JSON.stringify(value ?? null);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
