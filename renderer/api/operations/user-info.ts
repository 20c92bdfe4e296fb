/** user_info: who this connection is logged in as, and with which role. */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { UserRole } from './list-users.ts';

export interface UserInfoResponse {
  username: string;
  active: boolean;
  role: UserRole | string;
}

export function userInfo(client: OpsClient, signal?: AbortSignal): Promise<UserInfoResponse> {
  return client.call<UserInfoResponse>('user_info', {}, { signal });
}

export function userInfoQuery(client: OpsClient) {
  return queryOptions({
    queryKey: opsKey(client, 'user_info'),
    queryFn: ({ signal }) => userInfo(client, signal),
    staleTime: 60_000,
  });
}

/** True when the role has super_user rights (HarperDB: permission.super_user). */
export function isSuperUser(info: UserInfoResponse | undefined): boolean {
  if (!info) return false;
  const role = info.role;
  if (typeof role === 'string') return role === 'super_user';
  return role.role === 'super_user' || role.permission?.super_user === true;
}
