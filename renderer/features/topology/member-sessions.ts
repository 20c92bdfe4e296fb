/**
 * "Log in to all members" (clusters without cluster_network): the credentials the user typed
 * once are exchanged at each member URL the user confirmed (create_authentication_tokens there,
 * so each member's token is its own) and then forgotten. The sessions live in memory for this
 * page only, per cluster view; nothing is stored, and no URL the user did not confirm is asked.
 */
import { useSyncExternalStore } from 'react';
import { OpsClient } from '../../api/ops-client.ts';
import { createAuthenticationTokens } from '../../api/operations/create-authentication-tokens.ts';
import { nodeLabel } from '../connections/model.ts';

const sessions = new Map<string, OpsClient>();
const listeners = new Set<() => void>();
let version = 0;

const key = (viewId: string, member: string) => `${viewId}\u0000${member}`;

function changed(): void {
  version += 1;
  for (const listener of listeners) listener();
}

export function memberClient(viewId: string, member: string): OpsClient | null {
  return sessions.get(key(viewId, member)) ?? null;
}

export function forgetMember(viewId: string, member: string): void {
  if (sessions.delete(key(viewId, member))) changed();
}

/** Re-renders when a member session is added or dropped. */
export function useMemberSessionsVersion(): number {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => version,
  );
}

export interface MemberLogin {
  member: string;
  url: string;
}

export interface MemberLoginResult {
  member: string;
  url: string;
  error: unknown;
}

/** Logs in at every confirmed member URL with one user name and password; returns each outcome. */
export async function logInToMembers(viewId: string, members: readonly MemberLogin[], credentials: { username: string; password: string }): Promise<MemberLoginResult[]> {
  const results = await Promise.all(
    members.map(async ({ member, url }): Promise<MemberLoginResult> => {
      const label = nodeLabel({ name: member, url });
      const base = { connectionId: `${viewId}~member~${member}`, nodeLabel: label, baseUrl: url };
      try {
        const tokens = await createAuthenticationTokens(new OpsClient({ ...base, auth: { kind: 'none' } }), credentials);
        sessions.set(key(viewId, member), new OpsClient({ ...base, auth: { kind: 'token', operationToken: tokens.operation_token, refreshToken: tokens.refresh_token } }));
        return { member, url, error: null };
      } catch (error) {
        return { member, url, error };
      }
    }),
  );
  changed();
  return results;
}
