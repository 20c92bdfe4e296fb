/**
 * Searches over a table's secondary indexes: search_by_value patterns and search_by_conditions
 * trees (and/or, nested). A plan draws candidate keys from the most selective index range, then
 * checks every condition against the stored record. `visited` counts index entries and records
 * read, so tests can tell an index lookup from a scan. Strings too long to index (indexing.ts)
 * are found by reading the records, for the conditions that could match one and only in the
 * attributes that have held one.
 */
import { isUnindexedString, MAX_INDEXED_STRING_LENGTH, type IndexValue } from './indexing.ts';
import type { Table } from './table.ts';
import type { DataRecord, PrimaryKey, StoredRecord } from './types.ts';

export const COMPARATORS = [
  'equals',
  'contains',
  'starts_with',
  'ends_with',
  'greater_than',
  'greater_than_equal',
  'less_than',
  'less_than_equal',
  'between',
  'not_equal',
] as const;
export type Comparator = (typeof COMPARATORS)[number];

export interface Condition {
  attribute: string;
  comparator: Comparator;
  value: unknown;
  /** a search_value with `*` inside: starts_with draws candidates, the whole pattern must match */
  pattern?: string;
}

export interface ConditionGroup {
  operator: 'and' | 'or';
  conditions: Array<Condition | ConditionGroup>;
}

export interface SortSpec {
  attribute: string;
  descending?: boolean | undefined;
  next?: SortSpec | undefined;
}

export interface SearchOptions {
  limit?: number | undefined;
  offset?: number | undefined;
  sort?: SortSpec | undefined;
}

export interface SearchResult {
  records: DataRecord[];
  /** index entries plus records read to answer */
  visited: number;
}

/** HarperDB's search_value patterns: `*` alone, `abc*`, `*abc`, `*abc*`, else equality. */
export function conditionForValue(attribute: string, value: unknown): Condition | ConditionGroup {
  if (typeof value !== 'string' || !value.includes('*')) return { attribute, comparator: 'equals', value };
  if (value === '*') return { operator: 'and', conditions: [] };
  const inner = value.replace(/^\*+|\*+$/g, '');
  if (!inner.includes('*')) {
    const leading = value.startsWith('*');
    const trailing = value.endsWith('*');
    if (leading && trailing) return { attribute, comparator: 'contains', value: inner };
    if (trailing) return { attribute, comparator: 'starts_with', value: inner };
    return { attribute, comparator: 'ends_with', value: inner };
  }
  // Wildcards in the middle: scan by the literal prefix and check the whole pattern.
  return { attribute, comparator: 'starts_with', value: value.slice(0, value.indexOf('*')), pattern: value };
}

export function search(table: Table, where: Condition | ConditionGroup, options: SearchOptions = {}): SearchResult {
  const counter = { visited: 0 };
  const offset = options.offset ?? 0;
  const limit = options.limit ?? Infinity;
  const out: DataRecord[] = [];
  // Without a sort, stop as soon as the page is full; with one, every match must be seen.
  const stopAt = options.sort ? Infinity : offset + limit;
  for (const key of candidates(table, where, counter)) {
    const record = table.get(key);
    counter.visited += 1;
    if (!record || !matches(record, where)) continue;
    out.push(record);
    if (out.length >= stopAt) break;
  }
  if (options.sort) out.sort(sortComparer(options.sort));
  return { records: out.slice(offset, limit === Infinity ? undefined : offset + limit), visited: counter.visited };
}

/** Read-only attributes get_attributes may name: the stored version and origin of a record. */
export const META_ATTRIBUTES = { $version: 'v', $origin: 'o' } as const;

/**
 * Pick only `attributes` from each record (`*` = all). `$version`/`$origin` (META_ATTRIBUTES)
 * come from `stored(record)`, the record's stored form, and are never written.
 */
export function project(records: DataRecord[], attributes: readonly string[], stored?: (record: DataRecord) => StoredRecord | undefined): DataRecord[] {
  const meta = attributes.filter((a): a is keyof typeof META_ATTRIBUTES => Object.hasOwn(META_ATTRIBUTES, a));
  if (attributes.includes('*') && meta.length === 0) return records;
  return records.map((record) => {
    const out: DataRecord = attributes.includes('*') ? { ...record } : {};
    for (const attribute of attributes) if (Object.hasOwn(record, attribute)) out[attribute] = record[attribute];
    const row = meta.length && stored ? stored(record) : undefined;
    for (const attribute of meta) if (row) out[attribute] = row[META_ATTRIBUTES[attribute]];
    return out;
  });
}

// ---- candidates: which primary keys could match, read from an index where possible ----

function isGroup(node: Condition | ConditionGroup): node is ConditionGroup {
  return 'conditions' in node;
}

/** Lower is more selective; used to choose which condition of an AND draws candidates. */
function selectivity(table: Table, node: Condition | ConditionGroup): number {
  if (isGroup(node)) {
    if (node.conditions.length === 0) return 100;
    const scores = node.conditions.map((c) => selectivity(table, c));
    return node.operator === 'and' ? Math.min(...scores) : Math.max(...scores) + 1;
  }
  if (node.attribute === table.primaryKey && node.comparator === 'equals') return 0;
  switch (node.comparator) {
    case 'equals':
      return 1;
    case 'starts_with':
    case 'between':
      return 2;
    case 'greater_than':
    case 'greater_than_equal':
    case 'less_than':
    case 'less_than_equal':
      return 3;
    case 'contains':
    case 'ends_with':
      return 4;
    case 'not_equal':
      return 100;
  }
}

function* candidates(table: Table, node: Condition | ConditionGroup, counter: { visited: number }): Generator<PrimaryKey> {
  if (isGroup(node)) {
    if (node.conditions.length === 0) return yield* allKeys(table, counter);
    if (node.operator === 'and') {
      const best = [...node.conditions].sort((a, b) => selectivity(table, a) - selectivity(table, b))[0]!;
      return yield* candidates(table, best, counter);
    }
    const seen = new Set<PrimaryKey>();
    for (const child of node.conditions) {
      for (const key of candidates(table, child, counter)) {
        if (!seen.has(key)) {
          seen.add(key);
          yield key;
        }
      }
    }
    return;
  }
  if (node.comparator === 'not_equal') return yield* allKeys(table, counter);
  if (node.attribute === table.primaryKey) return yield* primaryKeyCandidates(table, node, counter);
  if (table.hasUnindexedValues(node.attribute) && mayMatchUnindexedString(node)) return yield* allKeys(table, counter);
  yield* indexCandidates(table, node, counter);
}

/** Whether `condition` could match a string the index leaves out (so the index alone may miss records). */
function mayMatchUnindexedString(condition: Condition): boolean {
  const { comparator, value } = condition;
  switch (comparator) {
    case 'equals':
      return isUnindexedString(value);
    case 'starts_with':
    case 'contains':
    case 'ends_with':
      return typeof value === 'string';
    case 'between':
      return Array.isArray(value) && typeof value[0] === 'string';
    case 'greater_than':
    case 'greater_than_equal':
    case 'less_than':
    case 'less_than_equal':
      return typeof value === 'string';
    case 'not_equal':
      return true;
  }
}

function* allKeys(table: Table, counter: { visited: number }): Generator<PrimaryKey> {
  for (const key of table.stores.records.getKeys({})) {
    counter.visited += 1;
    yield key as PrimaryKey;
  }
}

function* primaryKeyCandidates(table: Table, condition: Condition, counter: { visited: number }): Generator<PrimaryKey> {
  if (condition.comparator === 'equals') {
    if (typeof condition.value === 'string' || typeof condition.value === 'number') yield condition.value;
    return;
  }
  yield* allKeys(table, counter);
}

function* indexCandidates(table: Table, condition: Condition, counter: { visited: number }): Generator<PrimaryKey> {
  const { attribute, comparator, value } = condition;
  const found: PrimaryKey[] = [];
  const collect = (start: IndexValue | undefined, keep: (v: IndexValue) => 'take' | 'skip' | 'stop') => {
    table.scanIndex(attribute, start, (indexValue, key) => {
      counter.visited += 1;
      const verdict = keep(indexValue);
      if (verdict === 'stop') return false;
      if (verdict === 'take') found.push(key);
      return true;
    });
  };
  switch (comparator) {
    case 'equals': {
      // A string too long to index is in no index key (and would not fit in one).
      if (!isScalar(value) || isUnindexedString(value)) break;
      for (const key of table.keysWithValue(attribute, value)) {
        counter.visited += 1;
        found.push(key);
      }
      break;
    }
    case 'starts_with': {
      // No indexed string is longer than MAX_INDEXED_STRING_LENGTH, so none has a longer prefix.
      if (typeof value !== 'string' || isUnindexedString(value)) break;
      collect(value, (v) => (typeof v === 'string' && v.startsWith(value) ? 'take' : 'stop'));
      break;
    }
    case 'between': {
      if (!Array.isArray(value) || value.length !== 2 || !isScalar(value[0])) break;
      const [low, high] = value as [IndexValue, unknown];
      collect(rangeStart(low), (v) => inRange(v, low, high));
      break;
    }
    case 'greater_than':
    case 'greater_than_equal':
      if (!isScalar(value)) break;
      collect(rangeStart(value), (v) => (sameType(v, value) ? 'take' : 'stop'));
      break;
    case 'less_than':
    case 'less_than_equal':
      if (!isScalar(value)) break;
      collect(typeof value === 'string' ? '' : -Infinity, (v) => (sameType(v, value) ? (compare(v, value) <= 0 ? 'take' : 'stop') : 'skip'));
      break;
    default:
      // contains / ends_with: no ordered range, but the index keys are smaller than the records.
      collect(undefined, (v) => (typeof v === 'string' || typeof value !== 'string' ? 'take' : 'skip'));
  }
  yield* new Set(found);
}

/**
 * Where an index range from `value` starts: a string too long for a key starts at its prefix,
 * which sorts at or before it (the visitor's verdicts and the record check do the rest).
 */
function rangeStart(value: IndexValue): IndexValue {
  return isUnindexedString(value) ? (value as string).slice(0, MAX_INDEXED_STRING_LENGTH) : value;
}

function isScalar(value: unknown): value is IndexValue {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function sameType(a: unknown, b: unknown): boolean {
  return typeof a === typeof b && a !== null && b !== null;
}

function inRange(v: IndexValue, low: IndexValue, high: unknown): 'take' | 'skip' | 'stop' {
  if (!sameType(v, low)) return 'stop';
  if (sameType(v, high) && compare(v, high) > 0) return 'stop';
  return 'take';
}

// ---- matching a record against conditions ----

function matches(record: DataRecord, node: Condition | ConditionGroup): boolean {
  if (isGroup(node)) {
    if (node.conditions.length === 0) return true;
    return node.operator === 'and'
      ? node.conditions.every((c) => matches(record, c))
      : node.conditions.some((c) => matches(record, c));
  }
  const actual = record[node.attribute];
  if (node.comparator === 'not_equal') return !valueMatches(actual, { ...node, comparator: 'equals' });
  if (actual === undefined) return false;
  if (Array.isArray(actual) && node.comparator !== 'contains') return actual.some((element) => valueMatches(element, node));
  return valueMatches(actual, node);
}

function valueMatches(actual: unknown, condition: Condition): boolean {
  const expected = condition.value;
  const pattern = condition.pattern;
  switch (condition.comparator) {
    case 'equals':
      if (Array.isArray(actual)) return actual.some((element) => element === expected);
      return actual === expected;
    case 'not_equal':
      return actual !== expected;
    case 'contains':
      if (Array.isArray(actual)) return actual.some((element) => element === expected || (typeof element === 'string' && typeof expected === 'string' && element.includes(expected)));
      return typeof actual === 'string' && typeof expected === 'string' && actual.includes(expected);
    case 'starts_with':
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      return pattern ? wildcardRegExp(pattern).test(actual) : actual.startsWith(expected);
    case 'ends_with':
      return typeof actual === 'string' && typeof expected === 'string' && actual.endsWith(expected);
    case 'greater_than':
      return sameType(actual, expected) && compare(actual, expected) > 0;
    case 'greater_than_equal':
      return sameType(actual, expected) && compare(actual, expected) >= 0;
    case 'less_than':
      return sameType(actual, expected) && compare(actual, expected) < 0;
    case 'less_than_equal':
      return sameType(actual, expected) && compare(actual, expected) <= 0;
    case 'between': {
      if (!Array.isArray(expected) || expected.length !== 2) return false;
      const [low, high] = expected as [unknown, unknown];
      return sameType(actual, low) && sameType(actual, high) && compare(actual, low) >= 0 && compare(actual, high) <= 0;
    }
  }
}

const patternCache = new Map<string, RegExp>();
function wildcardRegExp(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp('^' + pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
    if (patternCache.size > 100) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
}

/** Orders numbers numerically and strings by code point; other types by type name. */
function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const ta = a === undefined ? '~' : a === null ? ' ' : typeof a;
  const tb = b === undefined ? '~' : b === null ? ' ' : typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function sortComparer(spec: SortSpec): (a: DataRecord, b: DataRecord) => number {
  return (a, b) => {
    for (let s: SortSpec | undefined = spec; s; s = s.next) {
      const order = compare(a[s.attribute], b[s.attribute]);
      if (order !== 0) return s.descending ? -order : order;
    }
    return 0;
  };
}
