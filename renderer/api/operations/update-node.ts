/**
 * update_node: changes this node's hdb_nodes record of a peer (SPEC 2, 4): its subscriptions,
 * the certificate serials it refuses from that peer (`revoked_certificates`, always the full
 * list), `replicates`, `shard`. 404 when the peer has no hdb_nodes record on this node.
 */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export interface NodeSubscription {
  database: string;
  table: string;
  publish: boolean;
  subscribe: boolean;
}

export interface UpdateNodeRequest {
  /** the peer's node name (or give `url`) */
  hostname?: string;
  /** the peer's replication URL, ws:// or wss:// */
  url?: string;
  subscriptions?: NodeSubscription[];
  /** serials this node refuses from the peer: the whole list, replacing the one stored */
  revoked_certificates?: string[];
  replicates?: boolean;
  shard?: number | null;
  start_time?: string | number;
}

export interface UpdateNodeResponse {
  message: string;
}

export function updateNode(client: OpsClient, request: UpdateNodeRequest): Promise<UpdateNodeResponse> {
  return client.call<UpdateNodeResponse>('update_node', request);
}

export function updateNodeMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'update_node'),
    mutationFn: (request: UpdateNodeRequest) => updateNode(client, request),
  });
}
