/**
 * The table browser's query state (mode, search, sort, page) and how it becomes one request:
 * search_by_conditions for browsing and condition searches (sorted by the node), or
 * search_by_value for a value search. One extra row is asked for to know whether there is a
 * next page.
 */
import type { SearchByConditionsRequest } from '../../api/operations/search-by-conditions.ts';
import type { SearchByValueRequest } from '../../api/operations/search-by-value.ts';
import type { Comparator, Condition, DataRecord, TableRef } from '../../api/operations/types.ts';

export type SearchMode = 'all' | 'value' | 'conditions';

export interface ConditionDraft {
  id: number;
  attribute: string;
  comparator: Comparator;
  value: string;
  /** upper bound for `between` */
  value2: string;
}

export interface QueryState {
  mode: SearchMode;
  valueAttribute: string;
  valueText: string;
  operator: 'and' | 'or';
  conditions: ConditionDraft[];
  sort: { attribute: string; descending: boolean } | null;
  page: number;
  pageSize: number;
}

export const PAGE_SIZES = [25, 50, 100, 250] as const;

export function initialQueryState(primaryKey: string): QueryState {
  return {
    mode: 'all',
    valueAttribute: primaryKey,
    valueText: '*',
    operator: 'and',
    conditions: [],
    sort: null,
    page: 0,
    pageSize: 25,
  };
}

/**
 * What the user typed as a JSON value when it is one (42, true, null, "quoted"), else the
 * text itself, so `42` finds the number 42 and `"42"` the string.
 */
export function parseValue(text: string): string | number | boolean | null {
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (trimmed === 'null') return null;
  if (/^".*"$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as string;
    } catch {
      return text;
    }
  }
  return text;
}

export function conditionOf(draft: ConditionDraft): Condition {
  const value = draft.comparator === 'between' ? [parseValue(draft.value), parseValue(draft.value2)] : parseValue(draft.value);
  return { attribute: draft.attribute, comparator: draft.comparator, value };
}

export type BrowseRequest =
  | { operation: 'search_by_conditions'; request: SearchByConditionsRequest }
  | { operation: 'search_by_value'; request: SearchByValueRequest };

export function buildRequest(ref: TableRef, state: QueryState, primaryKey: string): BrowseRequest {
  const page = { limit: state.pageSize + 1, offset: state.page * state.pageSize };
  if (state.mode === 'value') {
    return {
      operation: 'search_by_value',
      request: { ...ref, attribute: state.valueAttribute || primaryKey, value: parseValue(state.valueText || '*'), ...page },
    };
  }
  const sort = state.sort ?? { attribute: primaryKey, descending: false };
  return {
    operation: 'search_by_conditions',
    request: {
      ...ref,
      operator: state.operator,
      conditions: state.mode === 'conditions' ? state.conditions.filter((c) => c.attribute).map(conditionOf) : [],
      sort: { attribute: sort.attribute, descending: sort.descending },
      ...page,
    },
  };
}

/** Attributes never shown: password hashes of system.hdb_user (the node strips them too). */
export function withoutSecrets(ref: TableRef, records: DataRecord[]): DataRecord[] {
  if (ref.database !== 'system' || ref.table !== 'hdb_user') return records;
  return records.map(({ password: _password, hash: _hash, ...rest }) => rest);
}

export const TIMESTAMP_ATTRIBUTES = ['__createdtime__', '__updatedtime__'];

/** Columns: primary key, then other attributes by name, then the timestamps; secrets never. */
export function columnsOf(ref: TableRef, primaryKey: string, described: readonly string[], records: readonly DataRecord[]): string[] {
  const names = new Set(described);
  for (const record of records) for (const key of Object.keys(record)) names.add(key);
  names.delete(primaryKey);
  if (ref.database === 'system' && ref.table === 'hdb_user') names.delete('password');
  const timestamps = TIMESTAMP_ATTRIBUTES.filter((t) => names.delete(t));
  return [primaryKey, ...[...names].sort((a, b) => a.localeCompare(b)), ...timestamps];
}
