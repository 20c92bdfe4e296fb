/**
 * Helpers of the security tests: raw HTTP requests that choose their source address (each
 * loopback address is a different client to the node) and see every header, and the node
 * process's resident memory read from /proc (peak and current), to bound what an input costs.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { NodeProcess } from '../support/node-process.ts';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  auth?: string | null;
  /** source address of the connection (any 127.x.y.z) */
  localAddress?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One request on its own connection; resolves with the answer even if the node closed early. */
export function request(node: NodeProcess, options: RequestOptions = {}): Promise<RawResponse> {
  const url = new URL(node.url);
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        headers: {
          ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } : {}),
          ...(options.auth ? { Authorization: options.auth } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: the assertion shows the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
      },
    );
    // The node may answer and close before a large body is sent: the answer is what counts.
    req.on('error', (error) => setTimeout(() => reject(error), 2_000));
    if (body) req.write(body);
    req.end();
  });
}

export function post(node: NodeProcess, value: unknown, auth: string | null, localAddress?: string): Promise<RawResponse> {
  return request(node, { body: JSON.stringify(value), auth, ...(localAddress ? { localAddress } : {}) });
}

/** The pid of the node process serving `node` (found by its root in /proc). */
export function nodePid(node: NodeProcess): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmdline.split('\0');
    const at = args.indexOf('--root');
    if (at >= 0 && args[at + 1] === node.root && args.some((a) => a.endsWith('cli.ts'))) return Number(entry);
  }
  throw new Error(`no process for node root ${node.root}`);
}

/** Resident memory of the node process now and at its peak, in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

export const MiB = 1024 * 1024;
