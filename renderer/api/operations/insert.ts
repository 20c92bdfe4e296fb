/** insert: new records (an existing key is skipped and reported in skipped_hashes). */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { DataRecord, PrimaryKey, TableRef, WriteResult } from './types.ts';

export interface InsertRequest extends TableRef {
  records: DataRecord[];
}
export interface InsertResponse extends WriteResult {
  inserted_hashes: PrimaryKey[];
}

export function insert(client: OpsClient, request: InsertRequest): Promise<InsertResponse> {
  return client.call<InsertResponse>('insert', request);
}

export function insertMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'insert'),
    mutationFn: (request: InsertRequest) => insert(client, request),
  });
}
