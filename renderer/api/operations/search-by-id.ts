/** search_by_id: records by primary key. */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { DataRecord, PrimaryKey, TableRef } from './types.ts';

export interface SearchByIdRequest extends TableRef {
  ids: PrimaryKey[];
  get_attributes?: string[];
}
export type SearchByIdResponse = DataRecord[];

export function searchById(client: OpsClient, request: SearchByIdRequest, signal?: AbortSignal): Promise<SearchByIdResponse> {
  return client.call<SearchByIdResponse>('search_by_id', { get_attributes: ['*'], ...request }, { signal });
}

export function searchByIdQuery(client: OpsClient, request: SearchByIdRequest) {
  return queryOptions({
    queryKey: opsKey(client, 'search_by_id', request.database, request.table, request.ids),
    queryFn: ({ signal }) => searchById(client, request, signal),
  });
}
