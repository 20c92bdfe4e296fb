/**
 * What goes into a secondary index for an attribute value. Every attribute is indexed as it
 * appears (dynamic schema): scalars as they are, long strings by a prefix, arrays element by
 * element; objects are not indexed.
 */

/** Long strings are indexed by their first characters; searches re-check the record. */
export const MAX_INDEXED_STRING_LENGTH = 200;

export type IndexValue = string | number | boolean | null;

function indexable(value: unknown): IndexValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return value.length > MAX_INDEXED_STRING_LENGTH ? value.slice(0, MAX_INDEXED_STRING_LENGTH) : value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return value;
    default:
      return undefined;
  }
}

/** The distinct index values of one attribute value. */
export function indexValuesOf(value: unknown): IndexValue[] {
  if (Array.isArray(value)) {
    const out = new Set<IndexValue>();
    for (const element of value) {
      const v = indexable(element);
      if (v !== undefined) out.add(v);
    }
    return [...out];
  }
  const v = indexable(value);
  return v === undefined ? [] : [v];
}

/** True when an index key is exactly the stored value (not a truncated prefix). */
export function isExactIndexValue(value: IndexValue): boolean {
  return typeof value !== 'string' || value.length < MAX_INDEXED_STRING_LENGTH;
}
