/** drop_table: removes a table and its records (super_user). */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { TableRef } from './types.ts';

export type DropTableRequest = TableRef;
export interface DropTableResponse {
  message: string;
}

export function dropTable(client: OpsClient, request: DropTableRequest): Promise<DropTableResponse> {
  return client.call<DropTableResponse>('drop_table', request);
}

export function dropTableMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'drop_table'),
    mutationFn: (request: DropTableRequest) => dropTable(client, request),
  });
}
