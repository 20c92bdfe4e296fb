/** list_users: every user with its role (super_user); never a password. */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export interface UserRole {
  id?: string;
  role: string;
  permission?: { super_user?: boolean; cluster_user?: boolean; [field: string]: unknown };
}

export interface UserRecord {
  username: string;
  active: boolean;
  role: UserRole | string;
  __createdtime__?: number;
  __updatedtime__?: number;
}
export type ListUsersResponse = UserRecord[];

export function listUsers(client: OpsClient, signal?: AbortSignal): Promise<ListUsersResponse> {
  return client.call<ListUsersResponse>('list_users', {}, { signal });
}

export function listUsersQuery(client: OpsClient) {
  return queryOptions({
    queryKey: opsKey(client, 'list_users'),
    queryFn: ({ signal }) => listUsers(client, signal),
    select: (users) => users.map(({ username, active, role, __createdtime__, __updatedtime__ }) => ({ username, active, role, __createdtime__, __updatedtime__ })),
  });
}

/** "super_user", "read_only", ... whichever shape the role came in. */
export function roleName(role: UserRole | string | undefined): string {
  if (!role) return 'unknown';
  return typeof role === 'string' ? role : role.role;
}
