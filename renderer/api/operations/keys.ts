/**
 * Query keys for every operation: `[connectionId, operation, ...args]`, so one connection's
 * cache can be dropped or refreshed as a whole, and an operation's entries across arguments.
 */
import type { OpsClient } from '../ops-client.ts';

export type OpsQueryKey = readonly [connectionId: string, operation: string, ...args: unknown[]];

export function opsKey(client: OpsClient, operation: string, ...args: unknown[]): OpsQueryKey {
  return [client.connectionId, operation, ...args] as const;
}
