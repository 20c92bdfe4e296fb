/** describe_all: every database (except `system`) and its tables. */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { DatabaseDescription } from './types.ts';

export type DescribeAllRequest = Record<string, never>;
export type DescribeAllResponse = Record<string, DatabaseDescription>;

export function describeAll(client: OpsClient, signal?: AbortSignal): Promise<DescribeAllResponse> {
  return client.call<DescribeAllResponse>('describe_all', {}, { signal });
}

export function describeAllQuery(client: OpsClient) {
  return queryOptions({
    queryKey: opsKey(client, 'describe_all'),
    queryFn: ({ signal }) => describeAll(client, signal),
  });
}
