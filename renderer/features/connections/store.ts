/**
 * Where connections and their sessions are kept. In the desktop app: the bridge (main stores
 * them, secrets encrypted with safeStorage, and does the login itself). In a browser: this
 * origin's localStorage. Passwords are never stored: only the tokens a login returns. The
 * local node's own settings (name, colour, production) always live in localStorage.
 */
import type { ConnectionAuth, ConnectionSummary, PeerdeskApi } from '../../../electron/ipc/contract.ts';
import { bridge, isPeerdeskError, viaBridge } from '../../api/bridge.ts';
import { OpsError } from '../../api/errors.ts';
import { OpsClient } from '../../api/ops-client.ts';
import { createAuthenticationTokens } from '../../api/operations/create-authentication-tokens.ts';
import { defaultTransport } from '../../api/transport.ts';
import { LOCAL_ID, nodeLabel, parseProfiles, parseSession, type ConnectionProfile, type Session } from './model.ts';

export interface ConnectionStore {
  readonly kind: 'bridge' | 'local-storage';
  /** saved remote connections */
  loadProfiles(): Promise<ConnectionProfile[]>;
  /** creates (isNew) or updates a profile; returns it as stored (a new one gets its id here) */
  saveProfile(profile: ConnectionProfile, isNew: boolean): Promise<ConnectionProfile>;
  removeProfile(id: string): Promise<void>;
  loadSession(profile: ConnectionProfile): Promise<Session | null>;
  saveSession(id: string, session: Session | null): Promise<void>;
  /** trades credentials for a session of a saved profile (the password goes no further) */
  logIn(profile: ConnectionProfile, username: string, password: string): Promise<Session>;
}

const PROFILES_KEY = 'peerdesk.connections.v1';
const SESSIONS_KEY = 'peerdesk.sessions.v1';
const LOCAL_KEY = 'peerdesk.local-node.v1';

function readJson(key: string): unknown {
  try {
    const raw = localStorage.getItem(key);
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return undefined;
  }
}

/** Logs in with create_authentication_tokens directly (browser, and the local node anywhere). */
export async function logInDirectly(profile: ConnectionProfile, username: string, password: string): Promise<Session> {
  const anonymous = new OpsClient({ connectionId: profile.id, nodeLabel: nodeLabel(profile), baseUrl: profile.url, auth: { kind: 'none' }, transport: defaultTransport() });
  const tokens = await createAuthenticationTokens(anonymous, { username, password });
  return { username, operationToken: tokens.operation_token, refreshToken: tokens.refresh_token, since: Date.now() };
}

/** The local node's settings and session, kept in this origin's localStorage. */
export const localNodeSettings = {
  load(): Partial<Pick<ConnectionProfile, 'name' | 'colour' | 'production' | 'username'>> {
    const [profile] = parseProfiles([{ id: LOCAL_ID, url: '', ...(readJson(LOCAL_KEY) as object | undefined) }]);
    return profile ? { name: profile.name, colour: profile.colour, production: profile.production, username: profile.username } : {};
  },
  save(profile: ConnectionProfile): void {
    localStorage.setItem(LOCAL_KEY, JSON.stringify({ name: profile.name, colour: profile.colour, production: profile.production, username: profile.username }));
  },
};

function storedSessions(): Record<string, unknown> {
  const stored = readJson(SESSIONS_KEY);
  return stored && typeof stored === 'object' ? { ...(stored as Record<string, unknown>) } : {};
}

export const localStorageStore: ConnectionStore = {
  kind: 'local-storage',
  async loadProfiles() {
    return parseProfiles(readJson(PROFILES_KEY)).filter((p) => p.id !== LOCAL_ID);
  },
  async saveProfile(profile) {
    const all = parseProfiles(readJson(PROFILES_KEY));
    const next = all.some((p) => p.id === profile.id) ? all.map((p) => (p.id === profile.id ? profile : p)) : [...all, profile];
    localStorage.setItem(PROFILES_KEY, JSON.stringify(next));
    return profile;
  },
  async removeProfile(id) {
    localStorage.setItem(PROFILES_KEY, JSON.stringify(parseProfiles(readJson(PROFILES_KEY)).filter((p) => p.id !== id)));
  },
  async loadSession(profile) {
    return parseSession(storedSessions()[profile.id]);
  },
  async saveSession(id, session) {
    const all = storedSessions();
    if (session) all[id] = { username: session.username, operationToken: session.operationToken, refreshToken: session.refreshToken, since: session.since };
    else delete all[id];
    localStorage.setItem(SESSIONS_KEY, JSON.stringify(all));
  },
  logIn: logInDirectly,
};

function profileOf(summary: ConnectionSummary): ConnectionProfile {
  const [profile] = parseProfiles([{ ...summary, username: summary.auth.kind === 'none' ? undefined : summary.auth.username ?? undefined }]);
  return profile ?? { id: summary.id, name: summary.name, url: summary.url, colour: summary.colour, production: summary.production, kind: 'remote' };
}

function sessionOf(auth: ConnectionAuth, fallbackUsername: string | undefined): Session | null {
  if (auth.kind === 'token') {
    return { username: auth.username ?? fallbackUsername ?? 'unknown user', operationToken: auth.operationToken, refreshToken: auth.refreshToken ?? undefined, since: Date.now() };
  }
  if (auth.kind === 'basic') return { username: auth.username, operationToken: '', basicPassword: auth.password, since: Date.now() };
  return null;
}

/** A failed exchangePassword as the OpsError of the login it stands for. */
function loginError(profile: ConnectionProfile, error: unknown): unknown {
  if (!isPeerdeskError(error)) return error;
  const label = nodeLabel(profile);
  switch (error.code) {
    case 'AUTH_FAILED':
      return new OpsError('create_authentication_tokens', label, 'http', error.message, error.status ?? 401);
    case 'REMOTE_ERROR':
      return new OpsError('create_authentication_tokens', label, 'http', error.message, error.status ?? 500);
    case 'NETWORK':
      return new OpsError('create_authentication_tokens', label, 'network', error.message);
    case 'TIMEOUT':
      return new OpsError('create_authentication_tokens', label, 'timeout', error.message);
    default:
      return error;
  }
}

function bridgeStore(api: PeerdeskApi): ConnectionStore {
  const { connections } = api;
  return {
    kind: 'bridge',
    async loadProfiles() {
      return (await viaBridge(connections.list())).map(profileOf);
    },
    async saveProfile(profile, isNew) {
      const fields = { name: profile.name, url: profile.url, colour: profile.colour, production: profile.production };
      const saved = await viaBridge(connections.save(isNew ? fields : { id: profile.id, ...fields }));
      return { ...profileOf(saved), username: profile.username ?? profileOf(saved).username };
    },
    async removeProfile(id) {
      await viaBridge(connections.remove(id));
    },
    async loadSession(profile) {
      return sessionOf(await viaBridge(connections.getCredentials(profile.id)), profile.username);
    },
    async saveSession(id, session) {
      const auth: ConnectionAuth = session
        ? { kind: 'token', operationToken: session.operationToken, refreshToken: session.refreshToken ?? null, username: session.username }
        : { kind: 'none' };
      await viaBridge(connections.save({ id, auth }));
    },
    async logIn(profile, username, password) {
      try {
        await viaBridge(connections.exchangePassword({ id: profile.id, username, password }));
      } catch (error) {
        throw loginError(profile, error);
      }
      const session = sessionOf(await viaBridge(connections.getCredentials(profile.id)), username);
      if (!session) throw new OpsError('create_authentication_tokens', nodeLabel(profile), 'client', 'the desktop app logged in but kept no session');
      return session;
    },
  };
}

export function connectionStore(): ConnectionStore {
  const api = bridge();
  return api ? bridgeStore(api) : localStorageStore;
}
