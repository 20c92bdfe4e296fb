/** update: merges fields into existing records (a missing key is skipped). */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { DataRecord, PrimaryKey, TableRef, WriteResult } from './types.ts';

export interface UpdateRequest extends TableRef {
  records: DataRecord[];
}
export interface UpdateResponse extends WriteResult {
  update_hashes: PrimaryKey[];
}

export function update(client: OpsClient, request: UpdateRequest): Promise<UpdateResponse> {
  return client.call<UpdateResponse>('update', request);
}

export function updateMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'update'),
    mutationFn: (request: UpdateRequest) => update(client, request),
  });
}
