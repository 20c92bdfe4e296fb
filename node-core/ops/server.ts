/**
 * The operations API over HTTP: `POST /` with a JSON body runs one operation (authenticate,
 * look up, validate, handle); `GET` serves the renderer's built files; CORS as configured.
 * Tracks in-flight requests so a stop lets them finish.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { badRequest, forbidden, isOpError, notFound, OpError, tooLarge } from '../errors.ts';
import type { NodeServices } from '../services.ts';
import { applyFieldAliases, formatIssues } from './validation.ts';

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
  #upgrade: UpgradeHandler | null = null;

  constructor(
    private readonly node: NodeServices,
    private readonly options: OpsServerOptions = {},
  ) {}

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
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.#upgrade) this.#upgrade(req, socket, head, server instanceof https.Server);
      else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
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
      const body = await this.#readBody(req);
      const result = await this.#runOperation(body, req, requestId);
      sendJson(res, 200, result);
    } catch (error) {
      if (isOpError(error)) {
        sendJson(res, error.status, { ...error.details, error: error.message });
      } else {
        this.node.logger.error('Internal error in operation', { requestId, error: String((error as Error)?.stack ?? error) });
        sendJson(res, 500, { error: `Internal error (request id ${requestId}); see the node's log` });
      }
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0 && this.#drained) this.#drained();
    }
  }

  async #runOperation(text: string, req: http.IncomingMessage, requestId: string): Promise<unknown> {
    if (text.trim() === '') throw badRequest('Request body is empty: send a JSON object with an "operation" field');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw badRequest(`Invalid JSON in request body: ${(error as Error).message}`);
    }
    if (nestedDeeperThan(parsed, MAX_BODY_DEPTH)) {
      throw badRequest(`Request body is nested deeper than ${MAX_BODY_DEPTH} levels of objects and arrays`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
      throw badRequest(`Request body must be a JSON object with an "operation" field, got ${got}`);
    }
    const body = applyFieldAliases(parsed as Record<string, unknown>);
    if (typeof body.operation !== 'string') {
      throw badRequest(body.operation === undefined ? "'operation' is required" : "'operation' must be a string");
    }
    const operation = this.node.registry.get(body.operation);
    const clientAddress = req.socket.remoteAddress ?? 'unknown';
    // Authenticate before saying whether an operation exists, so anonymous callers learn nothing.
    // Public operations (token creation) still use the Authorization header when one is sent.
    const user =
      operation?.permission === 'public' && !req.headers.authorization
        ? null
        : await this.node.auth.authenticate(req.headers.authorization, clientAddress);
    if (!operation) throw badRequest(`Operation '${body.operation.slice(0, 100)}' not found`);
    if (user && operation.permission === 'super_user' && user.role !== 'super_user') {
      throw forbidden(`Operation '${operation.name}' requires the super_user role`);
    }
    if (user && operation.writes && user.role === 'read_only') {
      throw forbidden(`Operation '${operation.name}' changes data; user '${user.username}' is read-only`);
    }
    const validated = operation.schema.safeParse(body, { reportInput: true });
    if (!validated.success) throw badRequest(`${operation.name}: ${formatIssues(validated.error.issues)}`);
    return operation.handler(validated.data, {
      node: this.node,
      user,
      requestId,
      clientAddress,
    });
  }

  #readBody(req: http.IncomingMessage): Promise<string> {
    const limit = this.node.config.operationsApi.network.maxBodySize;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return Promise.reject(tooLarge(`Request body of ${declared} bytes is over the limit of ${limit} bytes (operationsApi.network.maxBodySize)`));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.removeAllListeners('data');
          req.resume();
          reject(tooLarge(`Request body is over the limit of ${limit} bytes (operationsApi.network.maxBodySize)`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
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
    const root = this.options.rendererDir;
    if (!root || !fs.existsSync(path.join(root, 'index.html'))) {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/') throw notFound('Not found');
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Peerdesk node ${this.node.nodeName}: send operations as POST / (the UI is not built; run npm run build:renderer)\n`);
      return;
    }
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const resolved = path.resolve(root, '.' + (pathname === '/' ? '/index.html' : pathname));
    if (!resolved.startsWith(path.resolve(root) + path.sep)) throw notFound('Not found');
    const file = fs.existsSync(resolved) && fs.statSync(resolved).isFile() ? resolved : path.join(root, 'index.html');
    res.writeHead(200, {
      'Content-Type': MIME_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cache-Control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  }
}

/** Deeper bodies are refused before validation: schemas, storage and encoders recurse. */
const MAX_BODY_DEPTH = 100;

/** True when `value` nests objects/arrays more than `limit` levels deep (counted without recursion). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return;
  const body = JSON.stringify(value ?? null);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
