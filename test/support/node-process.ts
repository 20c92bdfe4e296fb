/**
 * The test harness for real nodes: each node is a child process (`node --import tsx
 * node-core/cli.ts`) on its own loopback address and temp root. Waits on conditions with
 * bounds, never on luck; stop / kill -9 / restart; an ops client per node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(PROJECT_ROOT, 'node-core', 'cli.ts');
/** Generous: on a shared two-core machine a node with certificates can take long to start. */
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export const ADMIN = { username: 'admin', password: 'test-password' } as const;

/** How many loopback addresses freshLoopbackAddress() draws from (127.10.0.1 – 127.209.255.254). */
const LOOPBACK_POOL_SIZE = 200 * 256 * 254;
/**
 * Each test process starts at a random point of the pool and counts up, so two processes running
 * at once (parallel test files, or two checkouts on one machine) do not pick the same address;
 * a PID-based start collided whenever two PIDs were equal modulo the spread.
 */
let nextHost = randomInt(LOOPBACK_POOL_SIZE);
/** A loopback address of its own for each node a test process starts (127.N.M.K). */
export function freshLoopbackAddress(): string {
  const index = nextHost++ % LOOPBACK_POOL_SIZE;
  const host = index % 254;
  const rest = Math.floor(index / 254);
  return `127.${10 + Math.floor(rest / 256)}.${rest % 256}.${host + 1}`;
}

export interface NodeProcessOptions {
  /** loopback address the node binds to and takes as its name; default a fresh one */
  host?: string;
  /** root directory; default a new temp dir (removed by cleanup()) */
  root?: string;
  /** ops port; default 9925 (each node has its own address) */
  port?: number;
  /** extra CLI flags */
  args?: string[];
  /** extra environment */
  env?: Record<string, string>;
  /** flags for node itself, before the script (e.g. --cpu-prof, which NODE_OPTIONS refuses) */
  nodeArgs?: string[];
}

export interface OpResponse<T = unknown> {
  status: number;
  body: T;
}

export class NodeProcess {
  #child: ChildProcess | null = null;
  #stderr = '';
  url = '';

  private constructor(
    readonly host: string,
    readonly root: string,
    readonly port: number,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    private readonly ownsRoot: boolean,
    private readonly nodeArgs: string[] = [],
  ) {}

  static async start(options: NodeProcessOptions = {}): Promise<NodeProcess> {
    const host = options.host ?? freshLoopbackAddress();
    const root = options.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-test-'));
    const node = new NodeProcess(host, root, options.port ?? 9925, options.args ?? [], options.env ?? {}, !options.root, options.nodeArgs ?? []);
    await node.startProcess();
    return node;
  }

  /** Everything the node wrote to stderr so far (for assertions and failure messages). */
  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** The running process's id (undefined when stopped). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Resident set size in bytes from /proc/<pid>/status (undefined when stopped or unreadable). */
  rssBytes(): number | undefined {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  async startProcess(): Promise<void> {
    if (this.#child) throw new Error(`node ${this.host} is already running`);
    const child = spawn(
      process.execPath,
      [
        ...this.nodeArgs,
        '--import',
        'tsx',
        CLI,
        '--root',
        this.root,
        `--REPLICATION_HOSTNAME=${this.host}`,
        `--OPERATIONSAPI_NETWORK_PORT=${this.port}`,
        ...this.args,
      ],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, HDB_ADMIN_USERNAME: ADMIN.username, HDB_ADMIN_PASSWORD: ADMIN.password, ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.#child = child;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    child.once('exit', () => {
      if (this.#child === child) this.#child = null;
    });
    this.url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => fail(new Error(`node ${this.host} not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${error.message}\nstderr:\n${this.#stderr}`));
      };
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const match = /^ready (\S+)$/m.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code, signal) => fail(new Error(`node ${this.host} exited (code ${code}, signal ${signal}) before ready`)));
    });
  }

  /** SIGTERM and wait for exit; resolves with the exit code. */
  async stop(): Promise<number | null> {
    return this.#signal('SIGTERM');
  }

  /** kill -9: no chance to flush or close anything. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGSTOP: freeze the process; its sockets stay open but nothing is read or answered. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    if (this.#child) await this.stop();
    await this.startProcess();
  }

  /** Stop (if running) and remove the temp root when the harness created it. */
  async cleanup(): Promise<void> {
    if (this.#child) await this.kill();
    if (this.ownsRoot) fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** POST an operation with admin Basic auth (or the given Authorization header / none). */
  async op<T = any>(body: unknown, auth: string | null = basicAuth(ADMIN.username, ADMIN.password)): Promise<OpResponse<T>> {
    return this.raw(JSON.stringify(body), auth);
  }

  /** POST a raw body (for malformed-input tests). */
  async raw<T = any>(body: string | Uint8Array, auth: string | null = basicAuth(ADMIN.username, ADMIN.password), headers: Record<string, string> = {}): Promise<OpResponse<T>> {
    const response = await fetch(this.url + '/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}), ...headers },
      body: body as BodyInit,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // leave as text: the assertion will show it
    }
    return { status: response.status, body: parsed as T };
  }

  /** Like op(), but throws unless the status is 200; returns the body. */
  async ok<T = any>(body: unknown): Promise<T> {
    const response = await this.op<T>(body);
    if (response.status !== 200) {
      throw new Error(`${JSON.stringify(body).slice(0, 200)} → ${response.status} ${JSON.stringify(response.body)}`);
    }
    return response.body;
  }

  async #signal(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.#child;
    if (!child) return null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    this.#child = null;
    return code;
  }
}

export function basicAuth(username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
}

/** Poll `check` until it returns a truthy value or `timeoutMs` passes (then throw with `what`). */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
