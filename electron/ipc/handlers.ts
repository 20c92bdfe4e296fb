/**
 * Main-process IPC handlers: each call is answered only when it comes from the top frame of the
 * Peerdesk UI (the origin the window loaded from the embedded node), its arguments are validated
 * with zod, and it resolves with an IpcResult: the value, or a serialised {message, code} error.
 * Dependencies are injected, so tests run the handlers without Electron.
 */
import { z } from 'zod';
import { postOperation, OPS_MAX_TIMEOUT_MS } from '../ops-http.ts';
import { externalHttpUrl } from '../policy.ts';
import { PEM_KINDS } from '../pem-files.ts';
import { CredentialOrigins } from './credential-origins.ts';
import {
  connectionIdSchema,
  connectionInputSchema,
  exchangePasswordSchema,
  formatIssues,
  pemCertificateSchema,
} from '../profiles.ts';
import {
  IPC_CHANNELS,
  IPC_EVENTS,
  PeerdeskError,
  type ConnectionAuth,
  type ConnectionInput,
  type ConnectionSummary,
  type ExchangePasswordInput,
  type IpcChannelName,
  type IpcResult,
  type IpcValue,
  type LocalNodeInfo,
  type LocalNodeLogLine,
  type LocalNodeStatus,
  type PemFile,
  type PemKind,
} from './contract.ts';

/** The parts of Electron's IpcMainInvokeEvent the checks read. */
export interface IpcSenderEvent {
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** The part of Electron's ipcMain that registration needs. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcSenderEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** What the handlers need of the embedded node (NodeLifecycle). */
export interface LocalNodeControl {
  localNode(): LocalNodeInfo;
  start(): Promise<LocalNodeStatus>;
  stop(): Promise<LocalNodeStatus>;
  restart(): Promise<LocalNodeStatus>;
  logs(limit?: number): LocalNodeLogLine[];
}

/** What the handlers need of the saved connections (ConnectionProfiles). */
export interface ConnectionStore {
  list(): Promise<ConnectionSummary[]>;
  get(id: string): Promise<ConnectionSummary>;
  save(input: ConnectionInput): Promise<ConnectionSummary>;
  remove(id: string): Promise<{ removed: boolean }>;
  getCredentials(id: string): Promise<ConnectionAuth>;
  exchangePassword(input: ExchangePasswordInput): Promise<ConnectionSummary>;
}

export interface HandlerDeps {
  /** Origin of the UI allowed to call, e.g. `http://127.0.0.1:43125`; null before the UI loads. */
  trustedOrigin(): string | null;
  localNode: LocalNodeControl;
  connections: ConnectionStore;
  appVersion: string;
  /** Shows an open-file dialog and reads the PEM file chosen; null when cancelled. */
  pickPemFile(kind: PemKind): Promise<PemFile | null>;
  /** Opens a checked http(s) URL in the user's browser. */
  openExternal(url: string): Promise<void>;
  /** How `request` reaches nodes; postOperation unless a test says otherwise. */
  post?: typeof postOperation;
}

export type IpcHandler<K extends IpcChannelName> = (event: IpcSenderEvent, ...args: unknown[]) => Promise<IpcResult<IpcValue<K>>>;
export type IpcHandlers = { [K in IpcChannelName]: IpcHandler<K> };

/** Origin of a URL, or null for anything unparseable or opaque (file:, data:, about:blank). */
function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** Why a sender is refused, or null when it is the top frame of the trusted origin. */
export function senderRefusal(event: IpcSenderEvent, trustedOrigin: string | null): string | null {
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent) return `frame ${frame.url} is not a top-level frame`;
  if (!trustedOrigin) return 'the Peerdesk UI is not loaded yet';
  const origin = originOf(frame.url);
  if (origin !== originOf(trustedOrigin)) return `frame ${frame.url} is not the Peerdesk UI (${trustedOrigin})`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Argument schemas, one tuple per channel

const none = z.tuple([]);
const logsArgs = z.tuple([
  z
    .strictObject({
      limit: z.number({ error: 'limit must be a number' }).int({ error: 'limit must be an integer' }).min(1).max(2000).optional(),
    })
    .optional(),
]);
const requestSchema = z.strictObject({
  url: z.string({ error: 'url must be a string' }).min(1).max(2048),
  body: z.string({ error: 'body must be the JSON text of one operation' }),
  headers: z.record(z.string(), z.string().max(16 * 1024)).optional(),
  timeoutMs: z.number().int().min(1).max(OPS_MAX_TIMEOUT_MS, { error: `timeoutMs must be at most ${OPS_MAX_TIMEOUT_MS}` }).optional(),
  connectionId: connectionIdSchema.optional(),
  caCertificate: pemCertificateSchema.optional(),
});
const pemKindSchema = z.enum(PEM_KINDS as [PemKind, ...PemKind[]], { error: `kind must be one of ${PEM_KINDS.join(', ')}` });

function parseArgs<S extends z.ZodTuple>(channel: string, schema: S, args: unknown[]): z.output<S> {
  const result = schema.safeParse(args);
  if (result.success) return result.data;
  const arity = result.error.issues.find((issue) => issue.path.length === 0 && (issue.code === 'too_small' || issue.code === 'too_big'));
  if (arity) {
    const count = schema.def.items.length;
    const expected = count === 0 ? 'expected no arguments' : `expected ${count === 1 ? '1 argument' : `${count} arguments`}`;
    throw new PeerdeskError('INVALID_INPUT', `IPC ${channel}: ${expected}, got ${args.length}`);
  }
  throw new PeerdeskError('INVALID_INPUT', `IPC ${channel}: ${formatIssues(result.error.issues)}`);
}

function serialiseError(channel: string, error: unknown): IpcResult<never> {
  if (error instanceof PeerdeskError) return { ok: false, error: error.toIpcError() };
  console.error(`Peerdesk: IPC ${channel} failed:`, error);
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: { message: `IPC ${channel} failed: ${message}`, code: 'INTERNAL' } };
}

export function createIpcHandlers(deps: HandlerDeps): IpcHandlers {
  const post = deps.post ?? postOperation;
  const credentials = new CredentialOrigins(() => deps.localNode.localNode().url);

  /** One handler: the sender check, argument validation, the work, and the result envelope. */
  function define<K extends IpcChannelName, S extends z.ZodTuple>(
    name: K,
    schema: S,
    work: (args: z.output<S>) => Promise<IpcValue<K>> | IpcValue<K>,
  ): IpcHandler<K> {
    const channel = IPC_CHANNELS[name];
    return async (event, ...args) => {
      const refusal = senderRefusal(event, deps.trustedOrigin());
      if (refusal) return { ok: false, error: { message: `IPC ${channel} refused: ${refusal}`, code: 'FORBIDDEN_SENDER' } };
      try {
        return { ok: true, value: await work(parseArgs(channel, schema, args)) };
      } catch (error) {
        return serialiseError(channel, error);
      }
    };
  }

  return {
    getLocalNode: define('getLocalNode', none, () => deps.localNode.localNode()),
    'localNode.start': define('localNode.start', none, () => deps.localNode.start()),
    'localNode.stop': define('localNode.stop', none, () => deps.localNode.stop()),
    'localNode.restart': define('localNode.restart', none, () => deps.localNode.restart()),
    'localNode.logs': define('localNode.logs', logsArgs, ([options]) => deps.localNode.logs(options?.limit)),
    'connections.list': define('connections.list', none, () => deps.connections.list()),
    'connections.save': define('connections.save', z.tuple([connectionInputSchema]), ([input]) => deps.connections.save(input)),
    'connections.remove': define('connections.remove', z.tuple([connectionIdSchema]), ([id]) => deps.connections.remove(id)),
    'connections.getCredentials': define('connections.getCredentials', z.tuple([connectionIdSchema]), ([id]) =>
      deps.connections.getCredentials(id),
    ),
    'connections.exchangePassword': define('connections.exchangePassword', z.tuple([exchangePasswordSchema]), ([input]) =>
      deps.connections.exchangePassword(input),
    ),
    request: define('request', z.tuple([requestSchema]), async ([request]) => {
      let caCertificate = request.caCertificate ?? null;
      if (request.connectionId !== undefined) {
        const connection = await deps.connections.get(request.connectionId);
        if (originOf(request.url) !== originOf(connection.url)) {
          throw new PeerdeskError('INVALID_INPUT', `${request.url} is not at the origin of connection '${connection.name}' (${connection.url})`);
        }
        caCertificate ??= connection.caCertificate;
      }
      credentials.check({ ...request, savedConnection: request.connectionId !== undefined });
      const response = await post(request.url, request.body, { headers: request.headers, timeoutMs: request.timeoutMs, caCertificate });
      credentials.observe(request, response);
      return response;
    }),
    pickPemFile: define('pickPemFile', z.tuple([pemKindSchema]), ([kind]) => deps.pickPemFile(kind)),
    appVersion: define('appVersion', none, () => deps.appVersion),
    openExternal: define('openExternal', z.tuple([z.string({ error: 'url must be a string' }).max(8192)]), async ([url]) => {
      const external = externalHttpUrl(url);
      if (!external) throw new PeerdeskError('INVALID_INPUT', 'Only http:// and https:// links open in the browser');
      await deps.openExternal(external);
      return null;
    }),
  };
}

/** Registers every handler on its channel; returns a function that removes them again. */
export function registerIpcHandlers(ipcMain: IpcMainLike, handlers: IpcHandlers): () => void {
  const names = Object.keys(IPC_CHANNELS) as IpcChannelName[];
  for (const name of names) ipcMain.handle(IPC_CHANNELS[name], (event, ...args) => handlers[name](event, ...args));
  return () => {
    for (const name of names) ipcMain.removeHandler(IPC_CHANNELS[name]);
  };
}

/** The parts of a webContents that state events need. */
export interface EventTarget {
  isDestroyed(): boolean;
  getURL(): string;
  send(channel: string, payload: unknown): void;
}

/** Sends the node's status to the window, only while it shows the trusted UI; true when sent. */
export function sendLocalNodeState(target: EventTarget, trustedOrigin: string | null, status: LocalNodeStatus): boolean {
  if (target.isDestroyed()) return false;
  if (senderRefusal({ senderFrame: { url: target.getURL(), parent: null } }, trustedOrigin)) return false;
  target.send(IPC_EVENTS.localNodeState, status);
  return true;
}
