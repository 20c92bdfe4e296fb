/** get_configuration: the node's effective configuration (super_user). */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export type GetConfigurationRequest = Record<string, never>;
export type GetConfigurationResponse = Record<string, unknown>;

export function getConfiguration(client: OpsClient, signal?: AbortSignal): Promise<GetConfigurationResponse> {
  return client.call<GetConfigurationResponse>('get_configuration', {}, { signal });
}

export function getConfigurationQuery(client: OpsClient) {
  return queryOptions({
    queryKey: opsKey(client, 'get_configuration'),
    queryFn: ({ signal }) => getConfiguration(client, signal),
  });
}
