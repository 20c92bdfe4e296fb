/**
 * The IPC contract between the sandboxed renderer and the Electron main process: channel names,
 * the request/response types of each, and the API the preload exposes as `window.peerdesk`.
 * Shared by preload (types only), main and renderer, so it imports nothing and holds no Node code.
 *
 * Every invoke answers with an `IpcResult<T>`: `{ok: true, value}` or `{ok: false, error}`, never
 * a rejection (Electron would flatten a thrown error into a string). `unwrapIpc` turns a result
 * into the value or a thrown `PeerdeskError` carrying the same `code`.
 */

/** Name of the global the preload installs with contextBridge. */
export const API_GLOBAL = 'peerdesk';

/** Every channel the renderer may invoke; main registers a handler for each and nothing else. */
export const IPC_CHANNELS = {
  getLocalNode: 'peerdesk:local-node:get',
  'localNode.start': 'peerdesk:local-node:start',
  'localNode.stop': 'peerdesk:local-node:stop',
  'localNode.restart': 'peerdesk:local-node:restart',
  'localNode.logs': 'peerdesk:local-node:logs',
  'connections.list': 'peerdesk:connections:list',
  'connections.save': 'peerdesk:connections:save',
  'connections.remove': 'peerdesk:connections:remove',
  'connections.getCredentials': 'peerdesk:connections:get-credentials',
  'connections.exchangePassword': 'peerdesk:connections:exchange-password',
  request: 'peerdesk:ops:request',
  pickPemFile: 'peerdesk:pick-pem-file',
  appVersion: 'peerdesk:app-version',
  openExternal: 'peerdesk:open-external',
} as const;

export type IpcChannelName = keyof typeof IPC_CHANNELS;

/** Events main sends to the renderer (never the other way). */
export const IPC_EVENTS = {
  /** payload: LocalNodeStatus, on every state change of the embedded node */
  localNodeState: 'peerdesk:local-node:state',
} as const;

// ---------------------------------------------------------------------------------------------
// Results and errors

export type IpcErrorCode =
  /** the calling frame is not the top frame of the Peerdesk UI */
  | 'FORBIDDEN_SENDER'
  /** the arguments failed validation; the message names the field */
  | 'INVALID_INPUT'
  /** the embedded node is not running (see getLocalNode().state) */
  | 'NOT_RUNNING'
  /** the embedded node has no active super_user to issue the launch token for */
  | 'NO_ADMIN'
  /** no saved connection has that id */
  | 'NOT_FOUND'
  /** the OS offers no secret storage (e.g. Linux without a keyring): secrets cannot be saved */
  | 'ENCRYPTION_UNAVAILABLE'
  /** connections.json could not be read or written; the message names the file */
  | 'STORAGE'
  /** the node could not be reached (DNS, refused, TLS, reset) */
  | 'NETWORK'
  /** no answer within the timeout */
  | 'TIMEOUT'
  /** a request or response past its size limit */
  | 'TOO_LARGE'
  /** the node refused the credentials (exchangePassword) */
  | 'AUTH_FAILED'
  /** the node answered with an error other than a refused login; `status` is its HTTP status */
  | 'REMOTE_ERROR'
  /** a request carried a credential to an origin it was not saved or typed for (nothing was sent) */
  | 'CREDENTIAL_REFUSED'
  /** a picked file is not what was asked for (not PEM, too big, unreadable) */
  | 'INVALID_FILE'
  /** anything else: a bug; the message says what failed */
  | 'INTERNAL';

export interface IpcError {
  message: string;
  code: IpcErrorCode;
  /** HTTP status, when a node answered (REMOTE_ERROR, AUTH_FAILED) */
  status?: number;
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** The one error type of the IPC boundary: thrown in main, serialised, rethrown by unwrapIpc. */
export class PeerdeskError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PeerdeskError';
  }

  toIpcError(): IpcError {
    return this.status === undefined
      ? { message: this.message, code: this.code }
      : { message: this.message, code: this.code, status: this.status };
  }
}

/** The value of a result, or throws its error as a PeerdeskError. */
export function unwrapIpc<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw new PeerdeskError(result.error.code, result.error.message, result.error.status);
}

// ---------------------------------------------------------------------------------------------
// The embedded node

export type LocalNodeState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface LocalNodeStatus {
  state: LocalNodeState;
  /** operations API (and UI) URL while running, e.g. http://127.0.0.1:43125; null otherwise */
  url: string | null;
  /** replication listener URL while running (ws://127.0.0.1:<port>), null when it has none */
  replicationUrl: string | null;
  nodeName: string | null;
  /** the node's root directory (under the app's userData) */
  rootPath: string;
  /** why the last start or stop failed (state 'failed'); code CONFIG for a bad configuration */
  error: { message: string; code: 'CONFIG' | 'START_FAILED' | 'STOP_FAILED' } | null;
  /** when the state last changed (ms since the epoch) */
  since: number;
}

/** getLocalNode(): the status plus the per-launch super_user operation token while running. */
export interface LocalNodeInfo extends LocalNodeStatus {
  /** `Authorization: Bearer <token>` for the local node; null unless running */
  token: string | null;
  /** user the token was issued to (the node's first active super_user) */
  username: string | null;
  /** when the token expires (ms since the epoch); call getLocalNode again before then */
  tokenExpiresAt: number | null;
}

/** One line of the node's log, oldest first (`level`, `message`, `timestamp` plus any fields). */
export interface LocalNodeLogLine {
  level: string;
  message: string;
  timestamp: string;
  [field: string]: unknown;
}

export interface LocalNodeLogsOptions {
  /** newest lines to return, 1-2000; default 200 */
  limit?: number;
}

// ---------------------------------------------------------------------------------------------
// Saved connections

/** Credentials as the renderer hands them in (connections.save) or gets them (getCredentials). */
export type ConnectionAuth =
  | { kind: 'none' }
  | { kind: 'token'; operationToken: string; refreshToken: string | null; username?: string | null }
  | { kind: 'basic'; username: string; password: string };

/** A saved connection as list/save return it: never a secret. */
export interface ConnectionSummary {
  id: string;
  name: string;
  /** the node's operations API URL (http or https, no credentials in it) */
  url: string;
  /** `#rrggbb`, shown wherever the connection is */
  colour: string;
  /** destructive operations ask for typed confirmation */
  production: boolean;
  /** PEM of a CA to trust for this node's TLS certificate (besides the system's); not a secret */
  caCertificate: string | null;
  auth:
    | { kind: 'none' }
    | { kind: 'token'; username: string | null; hasRefreshToken: boolean }
    | { kind: 'basic'; username: string };
  createdAt: number;
  updatedAt: number;
}

/**
 * connections.save: without `id` a new connection (name and url required); with `id` an update of
 * the fields given. `auth` omitted keeps the stored credentials (the renderer need not hold them);
 * `{kind: 'token', ...}` with new tokens is how a renewed operation token is kept.
 */
export interface ConnectionInput {
  id?: string;
  name?: string;
  url?: string;
  colour?: string;
  production?: boolean;
  caCertificate?: string | null;
  auth?: ConnectionAuth;
}

/** Log in at a saved connection's node; only the tokens it returns are stored, never the password. */
export interface ExchangePasswordInput {
  id: string;
  username: string;
  password: string;
}

// ---------------------------------------------------------------------------------------------
// Operations over IPC (the renderer's IPC transport: main does the HTTP)

export interface OpsHttpRequest {
  /** the node's operations API URL, http or https */
  url: string;
  /** JSON text of one operation */
  body: string;
  /** only Authorization, Content-Type and Accept are sent; anything else is refused */
  headers?: Record<string, string>;
  /** default 30 s, at most 10 min */
  timeoutMs?: number;
  /** a saved connection whose TLS trust (caCertificate) applies; `url` must have its origin */
  connectionId?: string;
  /** a CA to trust for this request alone (testing a connection before saving it) */
  caCertificate?: string;
}

/** The node's answer whatever its status; failures to get one are IpcErrors (NETWORK, TIMEOUT, TOO_LARGE). */
export interface OpsHttpResponse {
  status: number;
  body: string;
}

// ---------------------------------------------------------------------------------------------
// Files and the rest

/** certificate and certificateAuthority expect a CERTIFICATE block, privateKey a PRIVATE KEY. */
export type PemKind = 'certificate' | 'privateKey' | 'certificateAuthority';

export interface PemFile {
  path: string;
  contents: string;
}

/** What `window.peerdesk` offers; each invoke maps 1:1 to the IPC_CHANNELS entry of the same (dotted) name. */
export interface PeerdeskApi {
  /** The embedded node's status, URL and per-launch token (never a password). */
  getLocalNode(): Promise<IpcResult<LocalNodeInfo>>;
  localNode: {
    start(): Promise<IpcResult<LocalNodeStatus>>;
    stop(): Promise<IpcResult<LocalNodeStatus>>;
    /** Stop then start; data is kept, and the same port is reused when it is free. */
    restart(): Promise<IpcResult<LocalNodeStatus>>;
    logs(options?: LocalNodeLogsOptions): Promise<IpcResult<LocalNodeLogLine[]>>;
    /** Called on every state change; returns the unsubscribe function. */
    onState(listener: (status: LocalNodeStatus) => void): () => void;
  };
  connections: {
    list(): Promise<IpcResult<ConnectionSummary[]>>;
    save(input: ConnectionInput): Promise<IpcResult<ConnectionSummary>>;
    remove(id: string): Promise<IpcResult<{ removed: boolean }>>;
    /** The stored credentials of one connection, for the renderer's client of that node. */
    getCredentials(id: string): Promise<IpcResult<ConnectionAuth>>;
    exchangePassword(input: ExchangePasswordInput): Promise<IpcResult<ConnectionSummary>>;
  };
  /** POST one operation to a node from main (no CORS; the connection's CA). */
  request(request: OpsHttpRequest): Promise<IpcResult<OpsHttpResponse>>;
  /** Open-file dialog for a PEM file; null when the user cancels. */
  pickPemFile(kind: PemKind): Promise<IpcResult<PemFile | null>>;
  appVersion(): Promise<IpcResult<string>>;
  /** Opens an http(s) URL in the user's browser. */
  openExternal(url: string): Promise<IpcResult<null>>;
}

/** The request and result of each channel, derived from PeerdeskApi by the dotted name. */
type Member<T, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof T
    ? Member<T[Head], Rest>
    : never
  : P extends keyof T
    ? T[P]
    : never;

export type IpcMethod<K extends IpcChannelName> = Member<PeerdeskApi, K> extends (...args: infer A) => Promise<IpcResult<infer R>>
  ? { args: A; result: R }
  : never;
export type IpcArgs<K extends IpcChannelName> = IpcMethod<K>['args'];
export type IpcValue<K extends IpcChannelName> = IpcMethod<K>['result'];
