/**
 * add_node (alias set_node): this node starts replicating with a peer (SPEC 2, 3, 4). With
 * `authorization` (the peer's credentials, for a first contact) the node dials the peer once
 * presenting them, and over wss has its certificate signed; they are used for that handshake
 * only and never stored. A refused login fails with 502 and "Login failed", leaving no
 * hdb_nodes record on either side.
 */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';
import type { NodeSubscription } from './update-node.ts';

export interface AddNodeRequest {
  /** the peer's node name (its host) */
  hostname?: string;
  /** the peer's replication URL (ws:// or wss://), when it is not the default for the hostname */
  url?: string;
  /** a super_user of the peer, for the first contact */
  authorization?: { username: string; password: string };
  /** false: do not check the peer's TLS certificate during the first contact (dangerous) */
  verify_tls?: boolean;
  /** ISO-8601 or epoch ms: skip the initial copy and replicate only changes after this time */
  start_time?: string | number;
  /** replaces "everything both ways" with these tables for this peer */
  subscriptions?: NodeSubscription[];
}

export interface AddNodeResponse {
  message: string;
}

export function addNode(client: OpsClient, request: AddNodeRequest): Promise<AddNodeResponse> {
  return client.call<AddNodeResponse>('add_node', request);
}

export function addNodeMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'add_node'),
    mutationFn: (request: AddNodeRequest) => addNode(client, request),
  });
}
