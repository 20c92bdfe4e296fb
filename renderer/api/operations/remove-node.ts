/**
 * remove_node: this node deletes its hdb_nodes record of a peer (and any route to it) and stops
 * replicating with it. hdb_nodes replicates, so the other members learn of the removal too.
 */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export interface RemoveNodeRequest {
  /** the peer's node name */
  hostname: string;
}

export interface RemoveNodeResponse {
  message: string;
}

export function removeNode(client: OpsClient, request: RemoveNodeRequest): Promise<RemoveNodeResponse> {
  return client.call<RemoveNodeResponse>('remove_node', request);
}

export function removeNodeMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'remove_node'),
    mutationFn: (request: RemoveNodeRequest) => removeNode(client, request),
  });
}
