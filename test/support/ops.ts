/**
 * Small helpers for operations API tests: asserting HarperDB-shaped errors and records, and
 * setting up tables and users in one line.
 */
import assert from 'node:assert/strict';
import { basicAuth, type NodeProcess, type OpResponse } from './node-process.ts';

type Row = Record<string, unknown>;

/** The response is `{"error": ...}` with `status`, and the message matches every pattern. */
export function assertError(response: OpResponse, status: number, ...patterns: Array<RegExp | string>): void {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  const body = response.body as Row;
  assert.deepEqual(Object.keys(body), ['error'], `error body: ${JSON.stringify(body)}`);
  assert.equal(typeof body.error, 'string');
  for (const pattern of patterns) {
    if (typeof pattern === 'string') assert.ok((body.error as string).includes(pattern), `${JSON.stringify(body.error)} should include ${JSON.stringify(pattern)}`);
    else assert.match(body.error as string, pattern);
  }
}

/** Every record carries numeric __createdtime__ <= __updatedtime__, both recent. */
export function assertTimestamps(record: Row, since = 0): void {
  const created = record.__createdtime__;
  const updated = record.__updatedtime__;
  assert.equal(typeof created, 'number', `__createdtime__ of ${JSON.stringify(record)}`);
  assert.equal(typeof updated, 'number', `__updatedtime__ of ${JSON.stringify(record)}`);
  assert.ok((created as number) >= since && (created as number) <= Date.now() + 1000, `__createdtime__ ${created} is not recent`);
  assert.ok((updated as number) >= (created as number), `__updatedtime__ ${updated} < __createdtime__ ${created}`);
}

/** Records without their timestamps (after checking them), for deepEqual on contents. */
export function contents(records: Row[], since = 0): Row[] {
  return records.map(({ __createdtime__, __updatedtime__, ...rest }) => {
    assertTimestamps({ __createdtime__, __updatedtime__ }, since);
    return rest;
  });
}

/** The records sorted by `attribute` (for results whose order the API does not promise). */
export function sortedBy<T extends Row>(records: T[], attribute = 'id'): T[] {
  return [...records].sort((a, b) => {
    const x = a[attribute] as string | number;
    const y = b[attribute] as string | number;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** The values of `attribute` in the records, in response order. */
export function pluck(records: Row[], attribute = 'id'): unknown[] {
  return records.map((record) => record[attribute]);
}

export async function createTable(node: NodeProcess, database: string, table: string, primaryKey = 'id'): Promise<void> {
  await node.ok({ operation: 'create_table', database, table, primary_key: primaryKey });
}

export async function insert(node: NodeProcess, database: string, table: string, records: Row[]): Promise<void> {
  const body = await node.ok<{ inserted_hashes: unknown[]; skipped_hashes: unknown[] }>({ operation: 'insert', database, table, records });
  assert.equal(body.inserted_hashes.length, records.length, `insert: ${JSON.stringify(body)}`);
}

/** Adds a user and returns its Basic Authorization header. */
export async function addUser(node: NodeProcess, username: string, role: string, password = `${username}-password`): Promise<string> {
  await node.ok({ operation: 'add_user', username, password, role, active: true });
  return basicAuth(username, password);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
