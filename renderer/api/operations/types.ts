/**
 * Shapes shared by several operations (SPEC 2): a table description, a record, the
 * write-result envelope and search conditions. Fields not listed are kept but not relied on.
 */

/** A record: any JSON object; `__createdtime__`/`__updatedtime__` are the node's (ms). */
export type DataRecord = Record<string, unknown>;

export type PrimaryKey = string | number;

export interface AttributeDescription {
  attribute: string;
  indexed?: boolean;
  is_primary_key?: boolean;
}

export interface TableDescription {
  schema?: string;
  database?: string;
  name: string;
  hash_attribute: string;
  primary_key?: string;
  attributes: AttributeDescription[];
  record_count?: number;
  replicate?: boolean;
  db_size?: number;
  [field: string]: unknown;
}

/** Tables of one database by name. */
export type DatabaseDescription = Record<string, TableDescription>;

export interface TableRef {
  database: string;
  table: string;
}

export const COMPARATORS = [
  'equals',
  'not_equal',
  'contains',
  'starts_with',
  'ends_with',
  'greater_than',
  'greater_than_equal',
  'less_than',
  'less_than_equal',
  'between',
] as const;
export type Comparator = (typeof COMPARATORS)[number];

export interface Condition {
  attribute: string;
  comparator: Comparator;
  value: unknown;
}

export interface SortSpec {
  attribute: string;
  descending?: boolean;
  next?: SortSpec;
}

/** Paging as the node takes it. */
export interface Page {
  limit?: number;
  offset?: number;
}

/** insert/update/delete answers: a message and the keys written or skipped. */
export interface WriteResult {
  message: string;
  skipped_hashes?: PrimaryKey[];
}

/** The primary key attribute of a described table (HarperDB: hash_attribute). */
export function primaryKeyOf(table: TableDescription): string {
  return table.primary_key ?? table.hash_attribute ?? 'id';
}
