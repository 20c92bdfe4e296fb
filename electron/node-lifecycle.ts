/**
 * The embedded node's lifecycle in the desktop app: start, stop and restart node-core's startNode
 * with its root under userData, listening on loopback only on OS-chosen ports, and the per-launch
 * super_user operation token the UI uses (issued directly, so no password is needed or shown).
 * States starting/running/stopping/stopped/failed with the last error, change events, recent
 * log lines. Plain Node: no Electron import, so tests run it for real.
 */
import { ConfigError, startNode, type RunningNode } from '../node-core/index.ts';
import {
  PeerdeskError,
  type LocalNodeInfo,
  type LocalNodeLogLine,
  type LocalNodeState,
  type LocalNodeStatus,
} from './ipc/contract.ts';

/** Log lines returned by logs() unless asked otherwise, and at most (the node keeps 2000). */
export const DEFAULT_LOG_LINES = 200;
export const MAX_LOG_LINES = 2000;

export interface NodeLifecycleOptions {
  /** the node's root directory, `<userData>/node` in the app */
  rootPath: string;
  /** built renderer served by the node on GET (dist/renderer) */
  rendererDir?: string;
  /** environment for HDB_ADMIN_* and config overrides (our flags win over it); default process.env */
  env?: Record<string, string | undefined>;
  /** more flags after ours, e.g. `--logging.level=info` */
  extraArgv?: readonly string[];
  /** node-core's startNode, or a wrapper of it (tests count calls) */
  startNode?: typeof startNode;
  now?: () => number;
}

type Operation = 'start' | 'stop' | 'restart';
type Listener = (status: LocalNodeStatus) => void;

interface IssuedToken {
  value: string;
  username: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

/** Claims of a JWT issued by this node (it signed it moments ago, so no verification is needed). */
function tokenTimes(token: string): { iat: number; exp: number } | null {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: unknown; exp?: unknown };
    return typeof claims.iat === 'number' && typeof claims.exp === 'number' ? { iat: claims.iat, exp: claims.exp } : null;
  } catch {
    return null;
  }
}

/** The port of a listener URL (ws://127.0.0.1:40123), or 0 (any) when there is none. */
function portOf(url: string | null): number {
  if (!url) return 0;
  try {
    return Number(new URL(url).port) || 0;
  } catch {
    return 0;
  }
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE';
}

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class NodeLifecycle {
  readonly rootPath: string;
  readonly #options: NodeLifecycleOptions;
  readonly #startNode: typeof startNode;
  readonly #now: () => number;
  readonly #listeners = new Set<Listener>();
  #node: RunningNode | null = null;
  #status: LocalNodeStatus;
  #token: IssuedToken | null = null;
  /** the logger of the current or last node, so its lines stay readable after a stop */
  #lastLogs: (() => readonly LocalNodeLogLine[]) | null = null;
  /** ports chosen by the OS at the first start, reused by later starts so the UI's origin stays */
  #opsPort = 0;
  #replicationPort = 0;
  /** operations run one after another; the last one queued can be joined by the same request */
  #tail: Promise<unknown> = Promise.resolve();
  #lastQueued: { operation: Operation; promise: Promise<LocalNodeStatus> } | null = null;

  constructor(options: NodeLifecycleOptions) {
    this.rootPath = options.rootPath;
    this.#options = options;
    this.#startNode = options.startNode ?? startNode;
    this.#now = options.now ?? Date.now;
    this.#status = {
      state: 'stopped',
      url: null,
      replicationUrl: null,
      nodeName: null,
      rootPath: options.rootPath,
      error: null,
      since: this.#now(),
    };
  }

  /** A copy of the current status. */
  status(): LocalNodeStatus {
    return { ...this.#status, error: this.#status.error ? { ...this.#status.error } : null };
  }

  /** The running node itself (main uses its URL; tests use its services). */
  get node(): RunningNode | null {
    return this.#node;
  }

  /** Status plus the launch token while running; NO_ADMIN when the node has no active super_user. */
  localNode(): LocalNodeInfo {
    const status = this.status();
    if (status.state !== 'running' || !this.#node) return { ...status, token: null, username: null, tokenExpiresAt: null };
    const token = this.#currentToken(this.#node);
    return { ...status, token: token.value, username: token.username, tokenExpiresAt: token.expiresAtMs };
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onState(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The newest `limit` lines of the node's log (of the last node after a stop), oldest first. */
  logs(limit: number = DEFAULT_LOG_LINES): LocalNodeLogLine[] {
    const count = Math.min(Math.max(1, Math.floor(limit)), MAX_LOG_LINES);
    const lines = this.#lastLogs?.() ?? [];
    // As the log file has them: plain JSON, so any field crosses IPC (structured clone) safely.
    return lines.slice(-count).map((line) => JSON.parse(JSON.stringify(line)) as LocalNodeLogLine);
  }

  /**
   * Starts the node unless it runs. A start while one is queued or under way joins it; after a
   * stop the same ports are tried first. Resolves with the resulting status (state running or
   * failed, with the error); never rejects.
   */
  start(): Promise<LocalNodeStatus> {
    return this.#enqueue('start', () => this.#start());
  }

  /** Stops the node cleanly (a start under way finishes first). Resolves with the status. */
  stop(): Promise<LocalNodeStatus> {
    return this.#enqueue('stop', () => this.#stop());
  }

  /** Stop, then start: the data stays, and the same ports are reused when they are free. */
  restart(): Promise<LocalNodeStatus> {
    return this.#enqueue('restart', async () => {
      await this.#stop();
      return this.#start();
    });
  }

  // -------------------------------------------------------------------------------------------

  #enqueue(operation: Operation, work: () => Promise<LocalNodeStatus>): Promise<LocalNodeStatus> {
    if (this.#lastQueued?.operation === operation) return this.#lastQueued.promise;
    const promise = this.#tail.then(work, work);
    const entry = { operation, promise };
    this.#lastQueued = entry;
    this.#tail = promise.catch(() => undefined);
    void promise.finally(() => {
      if (this.#lastQueued === entry) this.#lastQueued = null;
    }).catch(() => undefined);
    return promise;
  }

  #setState(state: LocalNodeState, fields: Partial<Omit<LocalNodeStatus, 'state' | 'since' | 'rootPath'>> = {}): LocalNodeStatus {
    this.#status = {
      state,
      url: fields.url ?? null,
      replicationUrl: fields.replicationUrl ?? null,
      nodeName: fields.nodeName ?? null,
      rootPath: this.rootPath,
      error: fields.error ?? null,
      since: this.#now(),
    };
    const snapshot = this.status();
    for (const listener of [...this.#listeners]) {
      try {
        listener(this.status());
      } catch (error) {
        console.error(`Peerdesk: a local node state listener failed on '${state}':`, error);
      }
    }
    return snapshot;
  }

  #argv(opsPort: number, replicationPort: number): string[] {
    return [
      `--root=${this.rootPath}`,
      // Loopback only, whatever the node's config file says: this node serves this desktop.
      '--operationsApi.network.host=127.0.0.1',
      `--operationsApi.network.port=${opsPort}`,
      '--operationsApi.network.securePort=null',
      // The UI is served by the node itself (same origin): no other origin needs CORS.
      '--operationsApi.network.cors=false',
      '--replication.hostname=127.0.0.1',
      `--replication.port=${replicationPort}`,
      '--replication.securePort=null',
      ...(this.#options.extraArgv ?? []),
    ];
  }

  async #launch(opsPort: number, replicationPort: number): Promise<RunningNode> {
    return this.#startNode({
      argv: this.#argv(opsPort, replicationPort),
      env: this.#options.env ?? process.env,
      ...(this.#options.rendererDir === undefined ? {} : { rendererDir: this.#options.rendererDir }),
    });
  }

  async #start(): Promise<LocalNodeStatus> {
    if (this.#node) return this.status();
    this.#setState('starting');
    try {
      let node: RunningNode;
      try {
        node = await this.#launch(this.#opsPort, this.#replicationPort);
      } catch (error) {
        // The ports of the last run were taken meanwhile: any free ones will do (the UI reloads).
        if (!isAddressInUse(error) || (this.#opsPort === 0 && this.#replicationPort === 0)) throw error;
        node = await this.#launch(0, 0);
      }
      this.#node = node;
      this.#token = null;
      const logger = node.services.logger;
      this.#lastLogs = () => logger.recent() as readonly LocalNodeLogLine[];
      this.#opsPort = Number(new URL(node.opsUrl).port);
      this.#replicationPort = portOf(node.services.replication?.url ?? null);
      return this.#setState('running', {
        url: node.opsUrl,
        replicationUrl: node.services.replication?.url ?? null,
        nodeName: node.nodeName,
      });
    } catch (error) {
      const code = error instanceof ConfigError ? 'CONFIG' : 'START_FAILED';
      const message = error instanceof ConfigError ? error.message : `The embedded node at ${this.rootPath} did not start: ${describeError(error)}`;
      return this.#setState('failed', { error: { message, code } });
    }
  }

  async #stop(): Promise<LocalNodeStatus> {
    const node = this.#node;
    if (!node) return this.status();
    this.#setState('stopping', { url: this.#status.url, replicationUrl: this.#status.replicationUrl, nodeName: this.#status.nodeName });
    this.#node = null;
    this.#token = null;
    try {
      await node.stop();
      return this.#setState('stopped');
    } catch (error) {
      return this.#setState('failed', {
        error: { message: `Stopping the embedded node at ${this.rootPath} failed: ${describeError(error)}`, code: 'STOP_FAILED' },
      });
    }
  }

  #isActiveAdmin(node: RunningNode, username: string): boolean {
    const user = node.services.users.get(username);
    return user?.active === true && user.role === 'super_user';
  }

  /** The launch token, issued again once half its life has passed (or for a changed admin). */
  #currentToken(node: RunningNode): IssuedToken {
    const now = this.#now();
    const held = this.#token;
    // A held token also ends when its user's password changes (token generation): then issue anew.
    const stillValid = held !== null && node.services.tokens.verify(held.value, 'operation') === held.username;
    if (held && stillValid && now < held.issuedAtMs + (held.expiresAtMs - held.issuedAtMs) / 2 && this.#isActiveAdmin(node, held.username)) {
      return held;
    }
    const admin = node.services.users
      .records()
      .find((record) => record.role === 'super_user' && record.active !== false && typeof record.username === 'string');
    if (!admin) {
      throw new PeerdeskError(
        'NO_ADMIN',
        `The embedded node at ${this.rootPath} has no active super_user to open the UI as ` +
          '(were they all dropped or deactivated?); run it with the peerdesk-node CLI and add one with add_user',
      );
    }
    const username = String(admin.username);
    const value = node.services.tokens.issue(username, 'operation', { ephemeral: true });
    const times = tokenTimes(value);
    this.#token = {
      value,
      username,
      issuedAtMs: times ? times.iat * 1000 : now,
      expiresAtMs: times ? times.exp * 1000 : now,
    };
    return this.#token;
  }
}
