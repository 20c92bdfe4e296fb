/** describe_database: the tables of one database (used for `system`, which describe_all omits). */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { DatabaseDescription } from './types.ts';

export interface DescribeDatabaseRequest {
  database: string;
}
export type DescribeDatabaseResponse = DatabaseDescription;

export function describeDatabase(client: OpsClient, request: DescribeDatabaseRequest, signal?: AbortSignal): Promise<DescribeDatabaseResponse> {
  return client.call<DescribeDatabaseResponse>('describe_database', request, { signal });
}

export function describeDatabaseQuery(client: OpsClient, request: DescribeDatabaseRequest) {
  return queryOptions({
    queryKey: opsKey(client, 'describe_database', request.database),
    queryFn: ({ signal }) => describeDatabase(client, request, signal),
  });
}
