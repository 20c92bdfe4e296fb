/**
 * The request validator's shared pieces: field schemas used by many operations, HarperDB's
 * field aliases, and the one formatter that turns zod issues into a message naming each field.
 */
import { z } from 'zod';
import { nameProblem, primaryKeyProblem } from '../storage/names.ts';

/** HarperDB accepts older names for some fields; requests are normalised to ours first. */
const FIELD_ALIASES: Record<string, string> = {
  schema: 'database',
  hash_attribute: 'primary_key',
  search_attribute: 'attribute',
  search_value: 'value',
  hash_values: 'ids',
};

export function applyFieldAliases(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const [alias, name] of Object.entries(FIELD_ALIASES)) {
    if (alias in out && !(name in out)) out[name] = out[alias];
    delete out[alias];
  }
  return out;
}

export const name = (kind: 'database' | 'table' | 'attribute') =>
  z.string().superRefine((value, ctx) => {
    const problem = nameProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid ${kind} name ${JSON.stringify(value)}: ${problem}` });
  });

export const databaseName = name('database');
export const tableName = name('table');
export const attributeName = name('attribute');

/** `database` defaults to "data" as in HarperDB. */
export const databaseField = databaseName.default('data');

export const primaryKeyValue = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  const problem = primaryKeyProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `primary key ${problem}` });
});

export const dataRecord = z.record(z.string(), z.unknown());

export const getAttributes = z.array(z.string().min(1)).min(1).default(['*']);

export const limitField = z.number().int().min(0).optional();
export const offsetField = z.number().int().min(0).optional();

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out;
}

/** One readable sentence per problem, each naming its field. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = [...prefix, ...issue.path];
      const field = fieldPath(path);
      if (issue.code === 'invalid_type' && issue.input === undefined) {
        return `'${field}' is required (expected ${issue.expected})`;
      }
      if (issue.code === 'invalid_type') {
        return `'${field}' must be ${article(issue.expected)}, got ${describe(issue.input)}`;
      }
      if (issue.code === 'invalid_union') {
        // Every option refused the value's type: name the types accepted.
        const types = issue.errors.map((branch) => (branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0 ? branch[0]!.expected : undefined));
        if (issue.errors.length > 0 && types.every((t) => t !== undefined)) {
          const words = types.map((t) => article(t!));
          const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0];
          return `'${field}' must be ${list}, got ${describe(issue.input)}`;
        }
        // One option matched the value's type: its problems are the ones to report.
        const close = issue.errors.filter((branch, i) => branch.length > 0 && types[i] === undefined);
        if (close.length === 1) return formatIssues(close[0]!, path);
      }
      const message = issue.message.replace(/^Invalid input: /, '');
      return field ? `'${field}': ${message}` : message;
    })
    .join('; ');
}

function article(expected: string): string {
  const word = expected === 'record' ? 'object' : expected === 'int' ? 'integer' : expected;
  if (word === 'null' || word === 'undefined') return word;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'string') return `string ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`;
  if (typeof input === 'object') return 'an object';
  return `${typeof input} ${String(input)}`;
}
