/** describe_table: one table's primary key, attributes and record count. */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { TableDescription, TableRef } from './types.ts';

export type DescribeTableRequest = TableRef;
export type DescribeTableResponse = TableDescription;

export function describeTable(client: OpsClient, request: DescribeTableRequest, signal?: AbortSignal): Promise<DescribeTableResponse> {
  return client.call<DescribeTableResponse>('describe_table', request, { signal });
}

export function describeTableQuery(client: OpsClient, request: DescribeTableRequest) {
  return queryOptions({
    queryKey: opsKey(client, 'describe_table', request.database, request.table),
    queryFn: ({ signal }) => describeTable(client, request, signal),
  });
}
