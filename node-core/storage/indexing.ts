/**
 * What goes into a secondary index for an attribute value. Every attribute is indexed as it
 * appears (dynamic schema): scalars as they are, arrays element by element; objects are not
 * indexed, and neither are strings too long to be useful as keys (free text): the table notes
 * the attribute instead (Table.hasUnindexedValues) and searches that could match such a string
 * read the records rather than the index (search.ts), so they still answer exactly.
 */

/**
 * Strings longer than this (in UTF-16 code units) are not indexed. A key this long already
 * costs more to encode, compare and store than the record lookup it would save, and values this
 * long are text that is searched by contains/starts_with, not looked up by equality.
 */
export const MAX_INDEXED_STRING_LENGTH = 128;

export type IndexValue = string | number | boolean | null;

/** The index value of a scalar; undefined when it is not indexed (see `isUnindexedValue`). */
function indexable(value: unknown): IndexValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return value.length > MAX_INDEXED_STRING_LENGTH ? undefined : value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return value;
    default:
      return undefined;
  }
}

/** True for a string that a search may have to find although the index does not hold it. */
export function isUnindexedString(value: unknown): boolean {
  return typeof value === 'string' && value.length > MAX_INDEXED_STRING_LENGTH;
}

/** True when the attribute value holds a string the index leaves out (itself or an element). */
export function hasUnindexedString(value: unknown): boolean {
  return Array.isArray(value) ? value.some(isUnindexedString) : isUnindexedString(value);
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
