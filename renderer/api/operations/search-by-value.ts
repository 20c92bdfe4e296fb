/** search_by_value: records whose attribute equals a value (`*` wildcards), paged. */
import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { DataRecord, Page, SortSpec, TableRef } from './types.ts';

export interface SearchByValueRequest extends TableRef, Page {
  attribute: string;
  value: string | number | boolean | null;
  get_attributes?: string[];
  /** HarperDB sorts a value search; Peerdesk keeps index order */
  sort?: SortSpec;
}
export type SearchByValueResponse = DataRecord[];

export function searchByValue(client: OpsClient, request: SearchByValueRequest, signal?: AbortSignal): Promise<SearchByValueResponse> {
  return client.call<SearchByValueResponse>('search_by_value', { get_attributes: ['*'], ...request }, { signal });
}

export function searchByValueQuery(client: OpsClient, request: SearchByValueRequest) {
  return queryOptions({
    queryKey: opsKey(client, 'search_by_value', request.database, request.table, request),
    queryFn: ({ signal }) => searchByValue(client, request, signal),
    placeholderData: keepPreviousData,
  });
}
