/**
 * Connections: the local node (the one serving this UI, or the desktop app's embedded node)
 * and saved remote nodes. A profile holds no secret; a session holds the tokens from
 * create_authentication_tokens (never a password).
 */
import { CONNECTION_COLOURS, isHexColour } from '../../lib/colour.ts';

export const LOCAL_ID = 'local';

export interface ConnectionProfile {
  id: string;
  name: string;
  /** operations API URL, e.g. http://127.0.0.1:9925 */
  url: string;
  colour: string;
  /** destructive operations need the name typed to confirm */
  production: boolean;
  kind: 'local' | 'remote';
  /** last user name logged in with (a convenience, not a secret) */
  username?: string | undefined;
}

export interface Session {
  username: string;
  operationToken: string;
  refreshToken?: string | undefined;
  /** a saved connection of the desktop app may use Basic auth; held in memory only, never written by the renderer */
  basicPassword?: string | undefined;
  /** when this login happened (ms): a new login makes a new client */
  since: number;
}

export function nodeLabel(profile: Pick<ConnectionProfile, 'name' | 'url'>): string {
  return `${profile.name} (${profile.url})`;
}

/** Why a URL cannot be a node's operations API, or null when it can. */
export function urlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'Enter a full URL, e.g. http://127.0.0.1:9925 or https://db.example.com:9926';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'The URL must start with http:// or https://';
  if (url.username || url.password) return 'Leave credentials out of the URL; log in below instead';
  if (!url.hostname) return 'The URL needs a host name';
  return null;
}

/** The URL as stored: origin plus path, no trailing slash. */
export function normalizeUrl(text: string): string {
  const url = new URL(text.trim());
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function newConnectionId(): string {
  return `conn-${crypto.randomUUID()}`;
}

/** A default colour not used yet, when one is left. */
export function nextColour(profiles: readonly ConnectionProfile[]): string {
  const used = new Set(profiles.map((p) => p.colour));
  return (CONNECTION_COLOURS.find((c) => !used.has(c.value)) ?? CONNECTION_COLOURS[0]).value;
}

/** Keeps only well-formed profiles from stored JSON (older or hand-edited data is skipped). */
export function parseProfiles(value: unknown): ConnectionProfile[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): ConnectionProfile[] => {
    if (!item || typeof item !== 'object') return [];
    const p = item as Record<string, unknown>;
    if (typeof p.id !== 'string' || typeof p.name !== 'string' || typeof p.url !== 'string') return [];
    return [
      {
        id: p.id,
        name: p.name.slice(0, 100),
        url: p.url,
        colour: typeof p.colour === 'string' && isHexColour(p.colour) ? p.colour : CONNECTION_COLOURS[0].value,
        production: p.production === true,
        kind: p.id === LOCAL_ID ? 'local' : 'remote',
        username: typeof p.username === 'string' ? p.username : undefined,
      },
    ];
  });
}

export function parseSession(value: unknown): Session | null {
  if (!value || typeof value !== 'object') return null;
  const s = value as Record<string, unknown>;
  if (typeof s.username !== 'string' || typeof s.operationToken !== 'string') return null;
  return {
    username: s.username,
    operationToken: s.operationToken,
    refreshToken: typeof s.refreshToken === 'string' ? s.refreshToken : undefined,
    since: typeof s.since === 'number' ? s.since : Date.now(),
  };
}
