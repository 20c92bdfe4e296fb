/**
 * What a parsed JSON request body may hold (issue 10 item 10): only values that come back as
 * they were sent. JSON.parse turns `1e999` into Infinity (stored as null), `-0` into a number
 * JSON prints as 0 (a second, invisible key beside 0), and `"\ud800"` into a lone surrogate that
 * UTF-8 storage changes; a field named `__proto__` turns into a prototype wherever it is copied.
 * Each is refused with the path of the value, before anything is stored;
 * the same walk bounds nesting, without recursion.
 */

/** Deeper bodies are refused: schemas, storage and encoders recurse. */
export const MAX_BODY_DEPTH = 100;

/** Why `value` cannot be taken as it is (naming the field), or null. */
export function jsonInputProblem(value: unknown, maxDepth = MAX_BODY_DEPTH): string | null {
  const stack: Array<[unknown, number, string]> = [[value, 1, '']];
  while (stack.length > 0) {
    const [item, depth, path] = stack.pop()!;
    const problem = scalarProblem(item);
    if (problem) return `${path || 'the body'} ${problem}`;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > maxDepth) return `Request body is nested deeper than ${maxDepth} levels of objects and arrays`;
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], depth + 1, `${path}[${i}]`]);
      continue;
    }
    for (const key of Object.keys(item)) {
      if (!isWellFormed(key)) return `a field name ${describeString(key)} contains a lone UTF-16 surrogate, which cannot be stored as sent`;
      // An own "__proto__" survives JSON.parse but becomes a prototype wherever it is copied by assignment.
      if (key === '__proto__') return `${path || 'the body'} has a field named "__proto__", which is not allowed`;
      stack.push([(item as Record<string, unknown>)[key], depth + 1, path ? `${path}.${key}` : key]);
    }
  }
  return null;
}

function scalarProblem(item: unknown): string | null {
  if (typeof item === 'number') {
    if (!Number.isFinite(item)) return 'must be a finite number (a JSON number this large becomes Infinity, stored as null); send it as a string';
    if (Object.is(item, -0)) return 'is -0, which JSON returns as 0; send 0';
  }
  if (typeof item === 'string' && !isWellFormed(item)) {
    return `${describeString(item)} contains a lone UTF-16 surrogate, which cannot be stored as sent`;
  }
  return null;
}

/** No lone UTF-16 surrogates (String.prototype.isWellFormed, which the ES2023 lib does not type). */
export function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

function describeString(text: string): string {
  const shown = text.length > 40 ? text.slice(0, 40) + '…' : text;
  // JSON.stringify escapes lone surrogates (\udXXX), so the message itself stays well-formed.
  return JSON.stringify(shown);
}
