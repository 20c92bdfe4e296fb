/**
 * Validation of a record typed as JSON: it must parse, be an object, and (when editing) keep
 * its primary key. Problems come back as sentences with the line and column of a syntax error.
 */
import type { DataRecord, PrimaryKey } from '../../api/operations/types.ts';
import { TIMESTAMP_ATTRIBUTES } from './query-state.ts';

export type RecordCheck = { ok: true; record: DataRecord } | { ok: false; problem: string };

/** "line 3, column 7" for a character offset in `text`. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/**
 * Where JSON text first goes wrong (a character offset), by a small recursive-descent scan:
 * JSON.parse messages do not always carry a position.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (text[i] !== '"') fail();
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '-') fail();
    i += match![0].length;
  };
  const value = (): void => {
    space();
    const ch = text[i];
    if (ch === '{') {
      i++;
      space();
      if (text[i] === '}') return void i++;
      for (;;) {
        space();
        if (text[i] !== '"') fail();
        string();
        space();
        if (text[i] !== ':') fail();
        i++;
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (ch === '[') {
      i++;
      space();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    return number();
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return -1;
  } catch (offset) {
    return Math.min(offset as number, text.length);
  }
}

export function checkRecordJson(text: string, primaryKey: string, mode: 'insert' | 'update', originalKey?: PrimaryKey): RecordCheck {
  if (!text.trim()) return { ok: false, problem: 'Type a JSON object, e.g. {"name": "Rex"}.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const offset = jsonErrorOffset(text);
    const reason = (error as Error).message.replace(/^JSON\.parse: /, '').replace(/, [\s\S]* is not valid JSON$/, '');
    return { ok: false, problem: `Not valid JSON${offset >= 0 ? ` at ${position(text, offset)}` : ''}: ${reason}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problem: 'A record must be one JSON object ({ ... }), not an array or a single value.' };
  }
  const record = { ...(value as DataRecord) };
  for (const attribute of TIMESTAMP_ATTRIBUTES) delete record[attribute];
  const key = record[primaryKey];
  if (key !== undefined && typeof key !== 'string' && typeof key !== 'number') {
    return { ok: false, problem: `The primary key '${primaryKey}' must be a string or a number.` };
  }
  if (mode === 'update') {
    if (key === undefined) return { ok: false, problem: `Keep the primary key '${primaryKey}': it says which record to update.` };
    if (key !== originalKey) return { ok: false, problem: `The primary key '${primaryKey}' cannot be changed (was ${JSON.stringify(originalKey)}). Insert a new record instead.` };
  }
  return { ok: true, record };
}
