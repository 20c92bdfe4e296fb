/**
 * The connections context: the profiles (local node first), which one is active, each one's
 * session, and one OpsClient per logged-in connection. Logging in trades the password for
 * tokens at once; a 401 on any query or mutation ends that connection's session and asks for a
 * new login there, leaving the other connections alone.
 */
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { bridge, viaBridge } from '../../api/bridge.ts';
import { errorText, isOpsError } from '../../api/errors.ts';
import { OpsClient, type OpsAuth, type Tokens } from '../../api/ops-client.ts';
import { defaultTransport, fetchTransport } from '../../api/transport.ts';
import { CONNECTION_COLOURS } from '../../lib/colour.ts';
import { LOCAL_ID, nodeLabel, type ConnectionProfile, type Session } from './model.ts';
import { connectionStore, localNodeSettings, localStorageStore, logInDirectly } from './store.ts';
import { clearViewState } from './view-state.ts';

interface ConnectionsContextValue {
  ready: boolean;
  profiles: ConnectionProfile[];
  activeId: string | null;
  active: ConnectionProfile | null;
  sessions: Record<string, Session>;
  /** why a connection's session ended (shown on its login form) */
  endedSessions: Record<string, string>;
  /** why there is no local node connection, or why loading saved connections failed */
  localNote: string | null;
  /** true when the local node's session comes from the desktop app (no login needed) */
  localFromBridge: boolean;
  select(id: string): void;
  /** saves the profile; with credentials, a new connection is kept only when the login works */
  save(profile: ConnectionProfile, isNew: boolean, credentials?: { username: string; password: string }): Promise<ConnectionProfile>;
  remove(id: string): Promise<void>;
  login(id: string, username: string, password: string): Promise<void>;
  logout(id: string): Promise<void>;
  clientFor(id: string): OpsClient | null;
}

const ConnectionsContext = createContext<ConnectionsContextValue | null>(null);

const ACTIVE_KEY = 'peerdesk.active.v1';

export function useConnections(): ConnectionsContextValue {
  const value = useContext(ConnectionsContext);
  if (!value) throw new Error('useConnections must be used inside <ConnectionsProvider>');
  return value;
}

interface LocalDiscovery {
  profile: ConnectionProfile | null;
  session: Session | null;
  note: string | null;
}

/** The local node's profile: this page's origin in a browser, the bridge's node in the app. */
async function discoverLocal(): Promise<LocalDiscovery> {
  const settings = localNodeSettings.load();
  const profile = (url: string): ConnectionProfile => ({
    id: LOCAL_ID,
    kind: 'local',
    url,
    name: settings.name ?? 'Local node',
    colour: settings.colour ?? CONNECTION_COLOURS[1].value,
    production: settings.production ?? false,
    username: settings.username,
  });
  const api = bridge();
  if (api) {
    try {
      const info = await viaBridge(api.getLocalNode());
      const session = info.token ? { username: info.username ?? 'local admin', operationToken: info.token, since: Date.now() } : null;
      return { profile: profile(info.url ?? location.origin), session, note: null };
    } catch (error) {
      return { profile: profile(location.origin), session: null, note: errorText(error) };
    }
  }
  if (location.protocol === 'http:' || location.protocol === 'https:') {
    return { profile: profile(location.origin), session: await localStorageStore.loadSession(profile(location.origin)), note: null };
  }
  return { profile: null, session: null, note: 'This page was not served by a node, so there is no local node here.' };
}

export function ConnectionsProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const store = useMemo(connectionStore, []);
  const [ready, setReady] = useState(false);
  const [profiles, setProfiles] = useState<ConnectionProfile[]>([]);
  const [sessions, setSessions] = useState<Record<string, Session>>({});
  const [endedSessions, setEndedSessions] = useState<Record<string, string>>({});
  const [activeId, setActiveId] = useState<string | null>(null);
  const [localNote, setLocalNote] = useState<string | null>(null);
  const [localFromBridge, setLocalFromBridge] = useState(false);
  const clients = useRef(new Map<string, { key: string; client: OpsClient }>());
  const profilesRef = useRef(profiles);
  profilesRef.current = profiles;

  /** The local node's session is this origin's (localStorage); remote ones are the store's. */
  const storeFor = useCallback((id: string) => (id === LOCAL_ID ? localStorageStore : store), [store]);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const notes: string[] = [];
      const local = await discoverLocal();
      if (local.note) notes.push(local.note);
      const remotes = await store.loadProfiles().catch((error: unknown) => {
        notes.push(`Saved connections could not be loaded: ${errorText(error)}`);
        return [] as ConnectionProfile[];
      });
      const all = local.profile ? [local.profile, ...remotes] : remotes;
      const loaded: Record<string, Session> = {};
      await Promise.all(
        remotes.map(async (profile) => {
          const session = await store.loadSession(profile).catch(() => null);
          if (session) loaded[profile.id] = session;
        }),
      );
      if (local.session) loaded[LOCAL_ID] = local.session;
      if (cancelled) return;
      setProfiles(all);
      setSessions(loaded);
      setLocalNote(notes.join(' ') || null);
      setLocalFromBridge(bridge() !== undefined && local.session !== null);
      const remembered = localStorage.getItem(ACTIVE_KEY);
      setActiveId(all.find((p) => p.id === remembered)?.id ?? all[0]?.id ?? null);
      setReady(true);
    })();
    return () => {
      cancelled = true;
    };
  }, [store]);

  const setSession = useCallback(
    async (id: string, session: Session | null, persist = true) => {
      setSessions((all) => {
        const next = { ...all };
        if (session) next[id] = session;
        else delete next[id];
        return next;
      });
      if (persist && !(id === LOCAL_ID && bridge())) await storeFor(id).saveSession(id, session);
    },
    [storeFor],
  );

  const endSession = useCallback(
    (id: string, reason: string) => {
      setEndedSessions((all) => ({ ...all, [id]: reason }));
      void setSession(id, null).catch(() => undefined);
    },
    [setSession],
  );

  // A 401 anywhere means that connection's tokens are no longer good: ask for a login there.
  useEffect(() => {
    const onError = (key: readonly unknown[] | undefined, error: unknown) => {
      if (!isOpsError(error) || error.status !== 401 || error.operation === 'create_authentication_tokens') return;
      const id = key?.[0];
      if (typeof id === 'string') endSession(id, errorText(error));
    };
    const unsubscribeQueries = queryClient.getQueryCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') onError(event.query.queryKey, event.action.error);
    });
    const unsubscribeMutations = queryClient.getMutationCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') onError(event.mutation.options.mutationKey, event.action.error);
    });
    return () => {
      unsubscribeQueries();
      unsubscribeMutations();
    };
  }, [queryClient, endSession]);

  const clientFor = useCallback(
    (id: string): OpsClient | null => {
      const profile = profiles.find((p) => p.id === id);
      const session = sessions[id];
      if (!profile || !session) return null;
      const key = `${profile.url}|${profile.name}|${session.since}`;
      const cached = clients.current.get(id);
      if (cached?.key === key) return cached.client;
      const auth: OpsAuth = session.basicPassword
        ? { kind: 'basic', username: session.username, password: session.basicPassword }
        : { kind: 'token', operationToken: session.operationToken, refreshToken: session.refreshToken };
      const api = bridge();
      const isLocal = id === LOCAL_ID;
      const client = new OpsClient({
        connectionId: id,
        nodeLabel: nodeLabel(profile),
        baseUrl: profile.url,
        auth,
        // The local node serves this page: same origin, plain fetch. Remote nodes go through
        // the desktop app when there is one (no CORS, the connection's CA).
        transport: isLocal ? fetchTransport : defaultTransport(),
        ...(!isLocal && api ? { transportConnectionId: id } : {}),
        ...(isLocal && localFromBridge && api
          ? {
              renew: async (): Promise<Tokens> => {
                const info = await viaBridge(api.getLocalNode());
                if (!info.token) throw new Error(`the embedded node is ${info.state}`);
                return { operationToken: info.token };
              },
            }
          : {}),
        onTokens: (tokens: Tokens) => {
          const next = { ...session, operationToken: tokens.operationToken, refreshToken: tokens.refreshToken ?? session.refreshToken };
          void setSession(id, next, !(isLocal && localFromBridge)).catch(() => undefined);
        },
      });
      clients.current.set(id, { key, client });
      return client;
    },
    [profiles, sessions, setSession, localFromBridge],
  );

  const value = useMemo<ConnectionsContextValue>(() => {
    const active = profiles.find((p) => p.id === activeId) ?? null;
    return {
      ready,
      profiles,
      activeId,
      active,
      sessions,
      endedSessions,
      localNote,
      localFromBridge,
      clientFor,
      select(id) {
        setActiveId(id);
        localStorage.setItem(ACTIVE_KEY, id);
      },
      async save(profile, isNew, credentials) {
        const previous = profilesRef.current.find((p) => p.id === profile.id);
        let saved: ConnectionProfile;
        let session: Session | null = null;
        if (profile.id === LOCAL_ID) {
          saved = profile;
          localNodeSettings.save(saved);
        } else if (store.kind === 'local-storage') {
          // Log in first: a failed login saves nothing.
          if (credentials) session = await logInDirectly(profile, credentials.username, credentials.password);
          saved = await store.saveProfile(credentials ? { ...profile, username: credentials.username } : profile, isNew);
        } else {
          // The desktop app logs in for a saved connection: save, log in, undo a new one on failure.
          saved = await store.saveProfile(profile, isNew);
          if (credentials) {
            try {
              session = await store.logIn(saved, credentials.username, credentials.password);
              saved = { ...saved, username: credentials.username };
            } catch (error) {
              if (isNew) await store.removeProfile(saved.id).catch(() => undefined);
              throw error;
            }
          }
        }
        setProfiles((all) => (all.some((p) => p.id === saved.id) ? all.map((p) => (p.id === saved.id ? saved : p)) : [...all, saved]));
        if (session || (previous && previous.url !== saved.url)) {
          queryClient.removeQueries({ queryKey: [saved.id] });
          setEndedSessions(({ [saved.id]: _ended, ...rest }) => rest);
          // The bridge already keeps the session it logged in with.
          await setSession(saved.id, session, store.kind === 'local-storage');
        }
        return saved;
      },
      async remove(id) {
        if (id === LOCAL_ID) return;
        await store.removeProfile(id);
        if (store.kind === 'local-storage') await store.saveSession(id, null);
        setProfiles((all) => all.filter((p) => p.id !== id));
        setSessions(({ [id]: _gone, ...rest }) => rest);
        queryClient.removeQueries({ queryKey: [id] });
        clearViewState(id);
        clients.current.delete(id);
        if (activeId === id) setActiveId(profilesRef.current.find((p) => p.id !== id)?.id ?? null);
      },
      async login(id, username, password) {
        const profile = profilesRef.current.find((p) => p.id === id);
        if (!profile) throw new Error(`No connection ${id}`);
        const viaStore = id !== LOCAL_ID && store.kind === 'bridge';
        const session = viaStore ? await store.logIn(profile, username, password) : await logInDirectly(profile, username, password);
        queryClient.removeQueries({ queryKey: [id] });
        setEndedSessions(({ [id]: _ended, ...rest }) => rest);
        await setSession(id, session, !viaStore);
        if (profile.username !== username) {
          const updated = { ...profile, username };
          setProfiles((all) => all.map((p) => (p.id === id ? updated : p)));
          if (id === LOCAL_ID) localNodeSettings.save(updated);
          else if (store.kind === 'local-storage') await store.saveProfile(updated, false);
        }
      },
      async logout(id) {
        await setSession(id, null);
        queryClient.removeQueries({ queryKey: [id] });
      },
    };
  }, [ready, profiles, activeId, sessions, endedSessions, localNote, localFromBridge, clientFor, setSession, queryClient, store]);

  return <ConnectionsContext.Provider value={value}>{children}</ConnectionsContext.Provider>;
}
