/** create_table: a new table (and its database when missing) with a primary key (super_user). */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { TableRef } from './types.ts';

export interface CreateTableRequest extends TableRef {
  primary_key: string;
}
export interface CreateTableResponse {
  message: string;
}

export function createTable(client: OpsClient, request: CreateTableRequest): Promise<CreateTableResponse> {
  return client.call<CreateTableResponse>('create_table', request);
}

export function createTableMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'create_table'),
    mutationFn: (request: CreateTableRequest) => createTable(client, request),
  });
}
