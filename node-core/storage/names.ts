/**
 * Rules for the names of databases, tables and attributes, and limits on primary keys.
 * Names become LMDB file and sub-database names, so anything path-like is refused here.
 */
import { badRequest } from '../errors.ts';

export const MAX_NAME_LENGTH = 128;
/** LMDB keys are capped at 1978 bytes; index keys hold an attribute name and a value too. */
export const MAX_PRIMARY_KEY_BYTES = 1000;

const NAME_PATTERN = /^[A-Za-z0-9_$][A-Za-z0-9_$-]*$/;

/** Why `name` is not a valid database/table name, or null when it is. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  // Names become keys of response objects (describe_all): "__proto__" would set a prototype.
  if (name === '__proto__') return 'is reserved ("__proto__")';
  if (!NAME_PATTERN.test(name)) {
    return 'may contain only letters, digits, "_", "$" and "-" (not starting with "-")';
  }
  return null;
}

export function assertValidName(kind: 'database' | 'table' | 'attribute', name: string): void {
  const problem = nameProblem(name);
  if (problem) throw badRequest(`Invalid ${kind} name ${JSON.stringify(name)}: ${problem}`);
}

/**
 * Names beginning with "$" are the node's own read-only attributes (`$version`, `$origin` in
 * get_attributes): a record may not carry one, or reads could not tell them apart.
 */
export const RESERVED_ATTRIBUTE_PREFIX = '$';

/** Attribute names are record keys: any text, but bounded, never empty and not reserved. */
export function attributeNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  if (name.startsWith(RESERVED_ATTRIBUTE_PREFIX)) return `must not begin with "${RESERVED_ATTRIBUTE_PREFIX}" (reserved for the node's read-only attributes)`;
  return null;
}

export type PrimaryKey = string | number;

export function primaryKeyProblem(key: unknown): string | null {
  if (typeof key === 'number') return Number.isFinite(key) ? null : 'must be a finite number';
  if (typeof key === 'string') {
    if (key.length === 0) return 'must not be an empty string';
    if (Buffer.byteLength(key) > MAX_PRIMARY_KEY_BYTES) {
      return `must be at most ${MAX_PRIMARY_KEY_BYTES} bytes`;
    }
    return null;
  }
  return 'must be a string or a number';
}
