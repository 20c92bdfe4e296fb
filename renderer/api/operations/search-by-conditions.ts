/** search_by_conditions: records matching conditions (and/or), sorted and paged by the node. */
import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { Condition, DataRecord, Page, SortSpec, TableRef } from './types.ts';

export interface SearchByConditionsRequest extends TableRef, Page {
  operator?: 'and' | 'or';
  conditions: Condition[];
  sort?: SortSpec;
  get_attributes?: string[];
}
export type SearchByConditionsResponse = DataRecord[];

export function searchByConditions(client: OpsClient, request: SearchByConditionsRequest, signal?: AbortSignal): Promise<SearchByConditionsResponse> {
  return client.call<SearchByConditionsResponse>('search_by_conditions', { get_attributes: ['*'], ...request }, { signal });
}

export function searchByConditionsQuery(client: OpsClient, request: SearchByConditionsRequest) {
  return queryOptions({
    queryKey: opsKey(client, 'search_by_conditions', request.database, request.table, request),
    queryFn: ({ signal }) => searchByConditions(client, request, signal),
    placeholderData: keepPreviousData,
  });
}
