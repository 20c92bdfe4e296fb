/**
 * "All records" by the node's capability. Peerdesk sorts and pages search_by_conditions with no
 * conditions; HarperDB 4.7 refuses that ("'conditions' must contain at least 1 items") but sorts
 * and pages search_by_value on the primary key with "*". The first refusal is remembered per
 * connection, so each node is asked in its form from then on.
 */
import { isOpsError } from '../../api/errors.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { searchByConditions, type SearchByConditionsRequest } from '../../api/operations/search-by-conditions.ts';
import { searchByValue } from '../../api/operations/search-by-value.ts';
import type { DataRecord } from '../../api/operations/types.ts';

/** Connections known to refuse search_by_conditions without conditions. */
const refusesEmptyConditions = new Set<string>();

/** The node's 400 for an empty condition list (HarperDB's words name `conditions`). */
export function isEmptyConditionsRefusal(error: unknown): boolean {
  return isOpsError(error) && error.status === 400 && /conditions/i.test(error.serverMessage);
}

/** The search_by_value form of a browse: every record by the primary key, sorted and paged the same. */
export function valueFormOf(request: SearchByConditionsRequest, primaryKey: string) {
  const { database, table, sort, limit, offset } = request;
  return { database, table, attribute: primaryKey, value: '*', ...(sort ? { sort } : {}), ...(limit !== undefined ? { limit } : {}), ...(offset !== undefined ? { offset } : {}) };
}

export async function browseRecords(client: OpsClient, request: SearchByConditionsRequest, primaryKey: string, signal?: AbortSignal): Promise<DataRecord[]> {
  if (request.conditions.length > 0) return searchByConditions(client, request, signal);
  if (!refusesEmptyConditions.has(client.connectionId)) {
    try {
      return await searchByConditions(client, request, signal);
    } catch (error) {
      if (!isEmptyConditionsRefusal(error)) throw error;
      refusesEmptyConditions.add(client.connectionId);
    }
  }
  return searchByValue(client, valueFormOf(request, primaryKey), signal);
}
