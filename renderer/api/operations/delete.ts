/** delete: records by primary key. */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { PrimaryKey, TableRef, WriteResult } from './types.ts';

export interface DeleteRequest extends TableRef {
  ids: PrimaryKey[];
}
export interface DeleteResponse extends WriteResult {
  deleted_hashes: PrimaryKey[];
}

export function deleteRecords(client: OpsClient, request: DeleteRequest): Promise<DeleteResponse> {
  return client.call<DeleteResponse>('delete', request);
}

export function deleteMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'delete'),
    mutationFn: (request: DeleteRequest) => deleteRecords(client, request),
  });
}
