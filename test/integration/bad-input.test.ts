/**
 * Malformed requests against one real node: each row must get its exact 4xx status and an
 * `{"error": ...}` naming the problem; never a 500. After every row the node must still answer,
 * and at the end every record written before the rows ran must be intact.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { ADMIN, basicAuth, NodeProcess, type OpResponse } from '../support/node-process.ts';

const MAX_BODY = 65_536;
const DB = 'badinput';
const TABLE = 'dogs';

const SEED = [
  { id: 1, name: 'Penny', breed: 'Whippet', age: 5, tags: ['fast', 'small'] },
  { id: 2, name: 'Harper', breed: 'Mutt', age: 7, owner: { name: 'Kyle', city: 'Denver' } },
  { id: 3, name: 'Billy', breed: 'Great Dane', age: 2, nickname: null },
  { id: 4, name: 'Rose', breed: 'Pit Bull', age: 11, weight: 31.5 },
  { id: 5, name: 'Kato', breed: 'Husky', age: 3, good: true },
  { id: 'rex', name: 'Rex', breed: 'Boxer', age: 9 },
];
const SEED_IDS = SEED.map((r) => r.id);

let node: NodeProcess;
/** filled in by before(): values rows need that only exist once the node runs */
const ctx = { refreshToken: '', operationToken: '' };
/** the node's records as they were before any row ran */
let beforeRecords: unknown[] = [];
const seen: Array<{ name: string; status: number; body: unknown }> = [];

type Lazy<T> = T | (() => T);
const resolve = <T>(value: Lazy<T>): T => (typeof value === 'function' ? (value as () => T)() : value);

interface Row {
  name: string;
  /** raw text/bytes sent as is; anything else is JSON-encoded */
  body: Lazy<string | Buffer | object | number | null>;
  /** Authorization header; undefined: admin Basic; null: none */
  auth?: Lazy<string | null>;
  headers?: Record<string, string>;
  /** send with Transfer-Encoding: chunked (no Content-Length) */
  chunked?: boolean;
  method?: string;
  expectStatus: number;
  expectError: RegExp;
}

const q = (body: object) => JSON.stringify(body);
const big = (n: number) => 'x'.repeat(n);
const nested = (levels: number): object => {
  let node: object = { attribute: 'age', comparator: 'equals', value: 5 };
  for (let i = 0; i < levels; i++) node = { operator: 'and', conditions: [node] };
  return node;
};
const NAME_RULE = /may contain only letters, digits/;

const BAD_NAMES: Array<[label: string, value: string, problem: RegExp]> = [
  ['../etc', '../etc', NAME_RULE],
  ['a/b', 'a/b', NAME_RULE],
  ['a\\b', 'a\\b', NAME_RULE],
  ['.', '.', NAME_RULE],
  ['..', '..', NAME_RULE],
  ['empty', '', /must not be empty/],
  ['129 chars', big(129), /at most 128 characters/],
  ['NUL byte', 'a\u0000b', NAME_RULE],
  ['spaces', 'my table', NAME_RULE],
];

const rows: Row[] = [
  // ---- the envelope: JSON and operation ----
  { name: 'truncated JSON', body: '{"operation": "describe_all"', expectStatus: 400, expectError: /Invalid JSON/ },
  { name: 'trailing garbage after JSON', body: '{"operation":"describe_all"} trailing', expectStatus: 400, expectError: /Invalid JSON/ },
  { name: 'single-quoted JSON', body: "{'operation':'describe_all'}", expectStatus: 400, expectError: /Invalid JSON/ },
  { name: 'invalid UTF-8 bytes', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), expectStatus: 400, expectError: /Invalid JSON/ },
  { name: 'empty body', body: '', expectStatus: 400, expectError: /body is empty/ },
  { name: 'whitespace-only body', body: ' \n\t ', expectStatus: 400, expectError: /body is empty/ },
  { name: 'body is null', body: 'null', expectStatus: 400, expectError: /must be a JSON object.*got null/ },
  { name: 'body is an array', body: '[{"operation":"describe_all"}]', expectStatus: 400, expectError: /must be a JSON object.*got an array/ },
  { name: 'body is a string', body: '"describe_all"', expectStatus: 400, expectError: /must be a JSON object.*got a string/ },
  { name: 'body is a number', body: '42', expectStatus: 400, expectError: /must be a JSON object.*got a number/ },
  { name: 'body is a boolean', body: 'true', expectStatus: 400, expectError: /must be a JSON object.*got a boolean/ },
  { name: 'missing operation', body: {}, expectStatus: 400, expectError: /'operation' is required/ },
  { name: 'operation is a number', body: { operation: 5 }, expectStatus: 400, expectError: /'operation' must be a string/ },
  { name: 'operation is null', body: { operation: null }, expectStatus: 400, expectError: /'operation' must be a string/ },
  { name: 'operation is an array', body: { operation: ['describe_all'] }, expectStatus: 400, expectError: /'operation' must be a string/ },
  { name: 'unknown operation', body: { operation: 'drop_everything' }, expectStatus: 400, expectError: /Operation 'drop_everything' not found/ },
  { name: 'empty operation', body: { operation: '' }, expectStatus: 400, expectError: /Operation '' not found/ },
  { name: 'operation __proto__', body: { operation: '__proto__' }, expectStatus: 400, expectError: /Operation '__proto__' not found/ },
  { name: 'operation in upper case', body: { operation: 'DESCRIBE_ALL' }, expectStatus: 400, expectError: /Operation 'DESCRIBE_ALL' not found/ },
  { name: 'method PUT', method: 'PUT', body: { operation: 'describe_all' }, expectStatus: 405, expectError: /Method PUT not allowed/ },

  // ---- authentication (kept under 15 rows: failed logins are rate-limited per address) ----
  { name: 'no Authorization header', auth: null, body: { operation: 'describe_all' }, expectStatus: 401, expectError: /^Must login$/ },
  { name: 'empty Authorization header', auth: null, headers: { Authorization: '' }, body: { operation: 'describe_all' }, expectStatus: 401, expectError: /^Must login$/ },
  { name: 'unknown operation without auth', auth: null, body: { operation: 'drop_everything' }, expectStatus: 401, expectError: /^Must login$/ },
  { name: 'wrong password', auth: basicAuth(ADMIN.username, 'not-the-password'), body: { operation: 'describe_all' }, expectStatus: 401, expectError: /^Login failed$/ },
  { name: 'unknown user', auth: basicAuth('nobody', 'whatever'), body: { operation: 'describe_all' }, expectStatus: 401, expectError: /^Login failed$/ },
  {
    name: 'Authorization without a scheme',
    auth: Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64'),
    body: { operation: 'describe_all' },
    expectStatus: 401,
    expectError: /^Login failed: .*scheme/,
  },
  {
    name: 'Basic without a colon',
    auth: 'Basic ' + Buffer.from(`${ADMIN.username}${ADMIN.password}`).toString('base64'),
    body: { operation: 'describe_all' },
    expectStatus: 401,
    expectError: /^Login failed: .*username:password/,
  },
  { name: 'Basic with invalid base64', auth: 'Basic !!!not*base64!!!', body: { operation: 'describe_all' }, expectStatus: 401, expectError: /^Login failed: .*base64/ },
  { name: 'Bearer garbage', auth: 'Bearer garbage.garbage.garbage', body: { operation: 'describe_all' }, expectStatus: 401, expectError: /^Login failed: .*token/ },
  { name: 'Bearer with a refresh token', auth: () => `Bearer ${ctx.refreshToken}`, body: { operation: 'describe_all' }, expectStatus: 401, expectError: /^Login failed: .*token/ },
  { name: 'unknown scheme', auth: 'Digest username="admin"', body: { operation: 'describe_all' }, expectStatus: 401, expectError: /^Login failed: .*scheme 'Digest'/ },
  {
    name: 'create_authentication_tokens with a wrong password',
    auth: null,
    body: { operation: 'create_authentication_tokens', username: ADMIN.username, password: 'wrong' },
    expectStatus: 401,
    expectError: /^Login failed$/,
  },
  { name: 'create_authentication_tokens with nothing', auth: null, body: { operation: 'create_authentication_tokens' }, expectStatus: 401, expectError: /^Must login$/ },

  // ---- body size ----
  {
    name: 'body over maxBodySize with Content-Length',
    body: q({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 900, blob: big(MAX_BODY) }] }),
    expectStatus: 413,
    expectError: new RegExp(`over the limit of ${MAX_BODY} bytes.*maxBodySize`),
  },
  {
    name: 'body over maxBodySize, chunked without Content-Length',
    chunked: true,
    body: q({ operation: 'insert', database: DB, table: TABLE, records: [{ id: 901, blob: big(MAX_BODY * 2) }] }),
    expectStatus: 413,
    expectError: new RegExp(`over the limit of ${MAX_BODY} bytes.*maxBodySize`),
  },

  // ---- names of databases, tables and attributes ----
  ...BAD_NAMES.map(([label, value, problem]): Row => ({
    name: `create_database named ${label}`,
    body: { operation: 'create_database', database: value },
    expectStatus: 400,
    expectError: new RegExp(`'database': invalid database name .*${problem.source}`),
  })),
  ...BAD_NAMES.map(([label, value, problem]): Row => ({
    name: `create_table named ${label}`,
    body: { operation: 'create_table', database: DB, table: value, primary_key: 'id' },
    expectStatus: 400,
    expectError: new RegExp(`'table': invalid table name .*${problem.source}`),
  })),
  ...BAD_NAMES.map(([label, value, problem]): Row => ({
    name: `create_attribute named ${label}`,
    body: { operation: 'create_attribute', database: DB, table: TABLE, attribute: value },
    expectStatus: 400,
    expectError: new RegExp(`'attribute': invalid attribute name .*${problem.source}`),
  })),
  { name: 'create_table with primary_key a/b', body: { operation: 'create_table', database: DB, table: 'cats', primary_key: 'a/b' }, expectStatus: 400, expectError: /'primary_key': invalid attribute name "a\/b"/ },
  {
    name: 'create_table with attribute named ..',
    body: { operation: 'create_table', database: DB, table: 'cats', attributes: [{ name: '..' }] },
    expectStatus: 400,
    expectError: /'attributes\[0\]\.name': invalid attribute name "\.\."/,
  },
  { name: 'insert into table ../../system/hdb_user', body: { operation: 'insert', database: DB, table: '../../system/hdb_user', records: [{ id: 1 }] }, expectStatus: 400, expectError: /'table': invalid table name/ },
  { name: 'search_by_id in database ../etc', body: { operation: 'search_by_id', database: '../etc', table: TABLE, ids: [1] }, expectStatus: 400, expectError: /'database': invalid database name "\.\.\/etc"/ },
  { name: 'schema alias with a path', body: { operation: 'describe_table', schema: '/etc', table: TABLE }, expectStatus: 400, expectError: /'database': invalid database name "\/etc"/ },
  { name: 'record attribute with an empty name', body: { operation: 'insert', database: DB, table: TABLE, records: [{ id: 902, '': 1 }] }, expectStatus: 400, expectError: /records\[0\]: attribute name "" must not be empty/ },
  { name: 'record attribute name of 129 chars', body: { operation: 'insert', database: DB, table: TABLE, records: [{ id: 903, [big(129)]: 1 }] }, expectStatus: 400, expectError: /records\[0\]: attribute name .* at most 128 characters/ },

  // ---- records ----
  { name: 'record is a number', body: { operation: 'insert', database: DB, table: TABLE, records: [5] }, expectStatus: 400, expectError: /'records\[0\]' must be an object, got number 5/ },
  { name: 'record is a string', body: { operation: 'insert', database: DB, table: TABLE, records: ['rex'] }, expectStatus: 400, expectError: /'records\[0\]' must be an object, got string "rex"/ },
  { name: 'record is null', body: { operation: 'upsert', database: DB, table: TABLE, records: [{ id: 904 }, null] }, expectStatus: 400, expectError: /'records\[1\]' must be an object, got null/ },
  { name: 'record is an array', body: { operation: 'insert', database: DB, table: TABLE, records: [[1, 2]] }, expectStatus: 400, expectError: /'records\[0\]' must be an object, got an array/ },
  { name: 'records nested array', body: { operation: 'update', database: DB, table: TABLE, records: [[[{ id: 1 }]]] }, expectStatus: 400, expectError: /'records\[0\]' must be an object, got an array/ },
  { name: 'records is an object', body: { operation: 'insert', database: DB, table: TABLE, records: { id: 905 } }, expectStatus: 400, expectError: /'records' must be an array, got an object/ },
  { name: 'records is a string', body: { operation: 'upsert', database: DB, table: TABLE, records: '[{"id":906}]' }, expectStatus: 400, expectError: /'records' must be an array, got string/ },
  { name: 'records missing', body: { operation: 'insert', database: DB, table: TABLE }, expectStatus: 400, expectError: /'records' is required/ },
  { name: 'update record without primary key', body: { operation: 'update', database: DB, table: TABLE, records: [{ name: 'Nobody' }] }, expectStatus: 400, expectError: /records\[0\] has no 'id'.*update/ },
  { name: 'update record with null primary key', body: { operation: 'update', database: DB, table: TABLE, records: [{ id: 1, age: 6 }, { id: null, age: 1 }] }, expectStatus: 400, expectError: /records\[1\] has no 'id'/ },
  { name: 'primary key is an object', body: { operation: 'insert', database: DB, table: TABLE, records: [{ id: { a: 1 } }] }, expectStatus: 400, expectError: /records\[0\]\.id .*must be a string or a number/ },
  { name: 'primary key is an array', body: { operation: 'upsert', database: DB, table: TABLE, records: [{ id: [1] }] }, expectStatus: 400, expectError: /records\[0\]\.id .*must be a string or a number/ },
  { name: 'primary key is a boolean', body: { operation: 'update', database: DB, table: TABLE, records: [{ id: true }] }, expectStatus: 400, expectError: /records\[0\]\.id .*must be a string or a number/ },
  { name: 'primary key is an empty string', body: { operation: 'insert', database: DB, table: TABLE, records: [{ id: '' }] }, expectStatus: 400, expectError: /records\[0\]\.id .*must not be an empty string/ },
  { name: 'primary key over 1000 bytes', body: { operation: 'insert', database: DB, table: TABLE, records: [{ id: 'é'.repeat(501) }] }, expectStatus: 400, expectError: /records\[0\]\.id .*at most 1000 bytes/ },
  {
    name: 'record value nested 20000 arrays deep',
    body: `{"operation":"insert","database":"${DB}","table":"${TABLE}","records":[{"id":910,"deep":${'['.repeat(20_000)}1${']'.repeat(20_000)}}]}`,
    expectStatus: 400,
    expectError: /nested deeper than 100 levels/,
  },
  { name: 'body of 30000 nested arrays', body: '['.repeat(30_000) + ']'.repeat(30_000), expectStatus: 400, expectError: /nested deeper than 100 levels/ },
  { name: 'primary key overflowing to Infinity', body: `{"operation":"insert","database":"${DB}","table":"${TABLE}","records":[{"id":1e400}]}`, expectStatus: 400, expectError: /records\[0\]\.id .*finite number/ },

  // ---- wrong-typed fields, per operation family ----
  // schema
  { name: 'describe_table with table as a number', body: { operation: 'describe_table', database: DB, table: 5 }, expectStatus: 400, expectError: /'table' must be a string, got number 5/ },
  { name: 'describe_database with database as an array', body: { operation: 'describe_database', database: [DB] }, expectStatus: 400, expectError: /'database' must be a string, got an array/ },
  { name: 'drop_table without table', body: { operation: 'drop_table', database: DB }, expectStatus: 400, expectError: /'table' is required/ },
  { name: 'create_table with replicate as a string', body: { operation: 'create_table', database: DB, table: 'cats', replicate: 'yes' }, expectStatus: 400, expectError: /'replicate' must be a boolean/ },
  { name: 'create_table with attributes as a string', body: { operation: 'create_table', database: DB, table: 'cats', attributes: 'name' }, expectStatus: 400, expectError: /'attributes' must be an array/ },
  { name: 'create_table with an attribute without name', body: { operation: 'create_table', database: DB, table: 'cats', attributes: [{ type: 'String' }] }, expectStatus: 400, expectError: /'attributes\[0\]\.name' is required/ },
  // data
  { name: 'insert with table as a number', body: { operation: 'insert', database: DB, table: 5, records: [{ id: 907 }] }, expectStatus: 400, expectError: /'table' must be a string, got number 5/ },
  { name: 'upsert with database as an object', body: { operation: 'upsert', database: {}, table: TABLE, records: [{ id: 908 }] }, expectStatus: 400, expectError: /'database' must be a string, got an object/ },
  { name: 'delete with ids as a string', body: { operation: 'delete', database: DB, table: TABLE, ids: '1' }, expectStatus: 400, expectError: /'ids' must be an array, got string "1"/ },
  { name: 'delete with an object id', body: { operation: 'delete', database: DB, table: TABLE, ids: [1, { id: 2 }] }, expectStatus: 400, expectError: /'ids\[1\]'.*must be a string or a number, got an object/ },
  { name: 'delete without ids', body: { operation: 'delete', database: DB, table: TABLE }, expectStatus: 400, expectError: /'ids' is required/ },
  // search_by_id
  { name: 'search_by_id with ids as a string', body: { operation: 'search_by_id', database: DB, table: TABLE, ids: '1' }, expectStatus: 400, expectError: /'ids' must be an array, got string "1"/ },
  { name: 'search_by_id with a boolean id', body: { operation: 'search_by_id', database: DB, table: TABLE, ids: [true] }, expectStatus: 400, expectError: /'ids\[0\]'.*must be a string or a number, got boolean true/ },
  { name: 'search_by_id with an empty-string id', body: { operation: 'search_by_id', database: DB, table: TABLE, ids: [''] }, expectStatus: 400, expectError: /'ids\[0\]'.*must not be an empty string/ },
  { name: 'search_by_id with empty get_attributes', body: { operation: 'search_by_id', database: DB, table: TABLE, ids: [1], get_attributes: [] }, expectStatus: 400, expectError: /'get_attributes'.*(>=1|at least 1)/ },
  { name: 'search_by_id with get_attributes as a string', body: { operation: 'search_by_id', database: DB, table: TABLE, ids: [1], get_attributes: 'name' }, expectStatus: 400, expectError: /'get_attributes' must be an array/ },
  // search_by_value
  { name: 'search_by_value without attribute', body: { operation: 'search_by_value', database: DB, table: TABLE, value: 'Penny' }, expectStatus: 400, expectError: /'attribute' is required/ },
  { name: 'search_by_value with an object value', body: { operation: 'search_by_value', database: DB, table: TABLE, attribute: 'name', value: { $ne: 1 } }, expectStatus: 400, expectError: /'value'.*must be a string, a number, a boolean or null, got an object/ },
  { name: 'limit negative', body: { operation: 'search_by_value', database: DB, table: TABLE, attribute: 'name', value: '*', limit: -1 }, expectStatus: 400, expectError: /'limit'.*>=0/ },
  { name: 'limit not an integer', body: { operation: 'search_by_value', database: DB, table: TABLE, attribute: 'name', value: '*', limit: 1.5 }, expectStatus: 400, expectError: /'limit' must be an integer, got number 1.5/ },
  { name: 'limit as a string', body: { operation: 'search_by_value', database: DB, table: TABLE, attribute: 'name', value: '*', limit: '10' }, expectStatus: 400, expectError: /'limit' must be a number, got string "10"/ },
  { name: 'offset negative', body: { operation: 'search_by_value', database: DB, table: TABLE, attribute: 'name', value: '*', offset: -5 }, expectStatus: 400, expectError: /'offset'.*>=0/ },
  // search_by_conditions
  {
    name: 'conditions not an array',
    body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: { attribute: 'age', comparator: 'equals', value: 5 } },
    expectStatus: 400,
    expectError: /'conditions' must be an array, got an object/,
  },
  { name: 'condition is a number', body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: [5] }, expectStatus: 400, expectError: /'conditions\[0\]' must be an object, got number 5/ },
  {
    name: 'unknown comparator',
    body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: [{ attribute: 'name', comparator: 'like', value: 'P%' }] },
    expectStatus: 400,
    expectError: /'conditions\[0\]\.comparator'.*expected one of .*equals/,
  },
  {
    name: 'condition without attribute',
    body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: [{ comparator: 'equals', value: 1 }] },
    expectStatus: 400,
    expectError: /'conditions\[0\]'.*needs 'attribute'/,
  },
  {
    name: 'between with a number',
    body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: [{ attribute: 'age', comparator: 'between', value: 5 }] },
    expectStatus: 400,
    expectError: /'conditions\[0\]'.*'between' needs 'value' as \[low, high\]/,
  },
  {
    name: 'between with a 1-element array',
    body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: [{ attribute: 'age', comparator: 'between', value: [1] }] },
    expectStatus: 400,
    expectError: /'conditions\[0\]'.*'between' needs 'value' as \[low, high\]/,
  },
  {
    name: 'between with a 3-element array in a nested group',
    body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: [{ operator: 'or', conditions: [{ attribute: 'age', comparator: 'between', value: [1, 2, 3] }] }] },
    expectStatus: 400,
    expectError: /'conditions\[0\]\.conditions\[0\]'.*'between' needs 'value' as \[low, high\]/,
  },
  { name: 'conditions nested 9 levels', body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: [nested(9)] }, expectStatus: 400, expectError: /'conditions'.*nest at most 8 levels/ },
  {
    name: 'conditions nested 3000 levels',
    body: `{"operation":"search_by_conditions","database":"${DB}","table":"${TABLE}","conditions":[${'{"conditions":['.repeat(3000)}{"attribute":"age","comparator":"equals","value":5}${']}'.repeat(3000)}]}`,
    expectStatus: 400,
    expectError: /nested deeper than 100 levels/,
  },
  { name: 'operator xor', body: { operation: 'search_by_conditions', database: DB, table: TABLE, operator: 'xor', conditions: [] }, expectStatus: 400, expectError: /'operator'.*expected one of "and"\|"or"/ },
  { name: 'sort without attribute', body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: [], sort: { descending: true } }, expectStatus: 400, expectError: /'sort\.attribute' is required/ },
  {
    name: 'sort nested 2000 levels',
    body: `{"operation":"search_by_conditions","database":"${DB}","table":"${TABLE}","conditions":[],"sort":${'{"attribute":"a","next":'.repeat(2000)}{"attribute":"a"}${'}'.repeat(2000)}}`,
    expectStatus: 400,
    expectError: /nested deeper than 100 levels/,
  },
  { name: 'sort as a string', body: { operation: 'search_by_conditions', database: DB, table: TABLE, conditions: [], sort: 'name' }, expectStatus: 400, expectError: /'sort' must be an object, got string "name"/ },
  // users and tokens
  { name: 'add_user without password', body: { operation: 'add_user', username: 'carol', role: 'user' }, expectStatus: 400, expectError: /'password' is required/ },
  { name: 'add_user with a bad role', body: { operation: 'add_user', username: 'carol', password: 'pw-carol', role: 'god' }, expectStatus: 400, expectError: /'role'.*expected one of .*super_user/ },
  { name: 'add_user with ":" in the username', body: { operation: 'add_user', username: 'car:ol', password: 'pw-carol', role: 'user' }, expectStatus: 400, expectError: /'username'.*must not contain ":"/ },
  { name: 'add_user with an empty username', body: { operation: 'add_user', username: '', password: 'pw-carol', role: 'user' }, expectStatus: 400, expectError: /'username'.*>=1/ },
  { name: 'add_user that exists', body: { operation: 'add_user', username: ADMIN.username, password: 'pw', role: 'user' }, expectStatus: 400, expectError: /User 'admin' already exists/ },
  { name: 'drop_user of an unknown user', body: { operation: 'drop_user', username: 'nobody' }, expectStatus: 404, expectError: /User 'nobody' does not exist/ },
  { name: 'drop_user of oneself', body: { operation: 'drop_user', username: ADMIN.username }, expectStatus: 400, expectError: /cannot drop the user you are logged in as/ },
  {
    name: 'create_authentication_tokens with only username',
    auth: null,
    body: { operation: 'create_authentication_tokens', username: ADMIN.username },
    expectStatus: 400,
    expectError: /'username' and 'password' must be given together/,
  },
  { name: 'refresh_operation_token with garbage', auth: null, body: { operation: 'refresh_operation_token', refresh_token: 'garbage' }, expectStatus: 401, expectError: /Invalid or expired refresh token/ },
  {
    name: 'refresh_operation_token with an operation token',
    auth: null,
    body: () => ({ operation: 'refresh_operation_token', refresh_token: ctx.operationToken }),
    expectStatus: 401,
    expectError: /Invalid or expired refresh token/,
  },
  { name: 'refresh_operation_token with a number', body: { operation: 'refresh_operation_token', refresh_token: 12345 }, expectStatus: 400, expectError: /'refresh_token' must be a string/ },
  // node
  { name: 'read_log with limit 0', body: { operation: 'read_log', limit: 0 }, expectStatus: 400, expectError: /'limit'.*>=1/ },
  { name: 'read_log with a bad level', body: { operation: 'read_log', level: 'loud' }, expectStatus: 400, expectError: /'level'.*expected one of .*error/ },
  { name: 'read_log with a bad date', body: { operation: 'read_log', from: 'yesterday' }, expectStatus: 400, expectError: /'from'.*(ISO )?datetime/i },
  { name: 'system_information with an unknown attribute', body: { operation: 'system_information', attributes: ['bogus'] }, expectStatus: 400, expectError: /'attributes\[0\]'.*expected one of/ },

  // ---- unknown databases and tables ----
  { name: 'describe_database of an unknown database', body: { operation: 'describe_database', database: 'nope' }, expectStatus: 404, expectError: /database 'nope' does not exist/ },
  { name: 'insert into an unknown database', body: { operation: 'insert', database: 'nope', table: TABLE, records: [{ id: 909 }] }, expectStatus: 400, expectError: /database 'nope' does not exist/ },
  { name: 'drop_database of an unknown database', body: { operation: 'drop_database', database: 'nope' }, expectStatus: 404, expectError: /database 'nope' does not exist/ },
  { name: 'describe_table of an unknown table', body: { operation: 'describe_table', database: DB, table: 'nope' }, expectStatus: 404, expectError: /Table 'badinput\.nope' does not exist/ },
  { name: 'search_by_id in an unknown table', body: { operation: 'search_by_id', database: DB, table: 'nope', ids: [1] }, expectStatus: 404, expectError: /Table 'badinput\.nope' does not exist/ },
  { name: 'drop_table of an unknown table', body: { operation: 'drop_table', database: DB, table: 'nope' }, expectStatus: 404, expectError: /Table 'badinput\.nope' does not exist/ },

  // ---- the system database, and things that exist ----
  { name: 'drop_database system', body: { operation: 'drop_database', database: 'system' }, expectStatus: 400, expectError: /'system' database cannot be dropped/ },
  { name: 'drop_table system.hdb_user', body: { operation: 'drop_table', database: 'system', table: 'hdb_user' }, expectStatus: 400, expectError: /system database cannot be dropped/ },
  { name: 'insert into system.hdb_user', body: { operation: 'insert', database: 'system', table: 'hdb_user', records: [{ username: 'mallory', role: 'super_user' }] }, expectStatus: 403, expectError: /system database is changed through its operations/ },
  { name: 'create_table in the system database', body: { operation: 'create_table', database: 'system', table: 'evil' }, expectStatus: 403, expectError: /system database/ },
  { name: 'create_attribute in system.hdb_user', body: { operation: 'create_attribute', database: 'system', table: 'hdb_user', attribute: 'is_admin' }, expectStatus: 403, expectError: /system database/ },
  { name: 'create_database that exists', body: { operation: 'create_database', database: DB }, expectStatus: 400, expectError: /database 'badinput' already exists/ },
  { name: 'create_database system', body: { operation: 'create_database', database: 'system' }, expectStatus: 400, expectError: /database 'system' already exists/ },
  { name: 'create_table that exists', body: { operation: 'create_table', database: DB, table: TABLE, primary_key: 'id' }, expectStatus: 400, expectError: /Table 'dogs' already exists in 'badinput'/ },
  { name: 'create_attribute that exists', body: { operation: 'create_attribute', database: DB, table: TABLE, attribute: 'breed' }, expectStatus: 400, expectError: /Attribute 'breed' already exists/ },
];

/** POST with node:http, for what fetch cannot do simply (other methods, chunked bodies). */
function send(url: string, body: Buffer, options: { method: string; headers: Record<string, string>; chunked: boolean }): Promise<OpResponse> {
  return new Promise((resolvePromise, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
    if (!options.chunked) headers['Content-Length'] = String(body.length);
    let answered = false;
    const req = http.request(url + '/', { method: options.method, headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // keep the text for the assertion message
        }
        resolvePromise({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    // The node may answer (413) and stop reading before the whole body is written.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    if (options.chunked) {
      for (let i = 0; i < body.length; i += 8192) req.write(body.subarray(i, i + 8192));
      req.end();
    } else {
      req.end(body);
    }
  });
}

async function run(row: Row): Promise<OpResponse> {
  const value = resolve(row.body);
  const payload = typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value);
  const auth = row.auth === undefined ? basicAuth(ADMIN.username, ADMIN.password) : resolve(row.auth);
  const headers = { ...(auth !== null ? { Authorization: auth } : {}), ...row.headers };
  if (row.chunked || row.method) {
    return send(node.url, Buffer.from(payload), { method: row.method ?? 'POST', headers, chunked: row.chunked ?? false });
  }
  return node.raw(payload, null, headers);
}

before(async () => {
  node = await NodeProcess.start({ args: [`--OPERATIONSAPI_NETWORK_MAXBODYSIZE=${MAX_BODY}`] });
  await node.ok({ operation: 'create_database', database: DB });
  await node.ok({
    operation: 'create_table',
    database: DB,
    table: TABLE,
    primary_key: 'id',
    attributes: [{ name: 'name' }, { name: 'breed' }, { name: 'age' }],
  });
  const inserted = await node.ok({ operation: 'insert', database: DB, table: TABLE, records: SEED });
  assert.deepEqual(inserted.inserted_hashes, SEED_IDS);
  beforeRecords = await node.ok({ operation: 'search_by_id', database: DB, table: TABLE, ids: SEED_IDS });
  assert.equal(beforeRecords.length, SEED.length);
  const tokens = await node.ok({ operation: 'create_authentication_tokens', username: ADMIN.username, password: ADMIN.password });
  ctx.refreshToken = tokens.refresh_token;
  ctx.operationToken = tokens.operation_token;
  assert.ok(ctx.refreshToken && ctx.operationToken);
});

after(async () => node?.cleanup());

test(`the table has at least 70 rows and few failed-login rows`, () => {
  assert.ok(rows.length >= 70, `only ${rows.length} rows`);
  assert.equal(new Set(rows.map((r) => r.name)).size, rows.length, 'row names must be unique');
  const loginRows = rows.filter((r) => /Must login|Login failed/.test(r.expectError.source)).length;
  assert.ok(loginRows < 15, `${loginRows} rows expect "Must login"/"Login failed"; keep under 15 (failed logins are rate-limited)`);
  for (const row of rows) assert.ok(row.expectStatus >= 400 && row.expectStatus < 500, `${row.name}: expectStatus must be 4xx`);
});

for (const row of rows) {
  test(`bad input: ${row.name}`, async () => {
    const response = await run(row);
    seen.push({ name: row.name, ...response });
    const shown = `row "${row.name}" → ${response.status} ${JSON.stringify(response.body).slice(0, 600)}`;
    assert.notEqual(response.status, 500, `internal error for ${shown}`);
    assert.equal(response.status, row.expectStatus, `expected ${row.expectStatus} for ${shown}`);
    const body = response.body as { error?: unknown } | null;
    assert.ok(body !== null && typeof body === 'object' && typeof body.error === 'string', `expected {"error": "..."} for ${shown}`);
    assert.match(body.error as string, row.expectError, `unclear error for ${shown}`);
    // The node still answers, and nothing was written.
    const alive = await node.op({ operation: 'describe_table', database: DB, table: TABLE });
    assert.equal(alive.status, 200, `node no longer answers after ${shown}: ${alive.status} ${JSON.stringify(alive.body)}\nstderr:\n${node.stderr.slice(-2000)}`);
    assert.equal(alive.body.record_count, SEED.length, `record count changed after ${shown}`);
  });
}

test('every record written before the rows is intact, and no row got a 500', async () => {
  const now: Array<Record<string, unknown>> = await node.ok({ operation: 'search_by_id', database: DB, table: TABLE, ids: SEED_IDS });
  assert.deepEqual(now, beforeRecords);
  for (const record of SEED) {
    const stored: Record<string, unknown> | undefined = now.find((r) => r.id === record.id);
    assert.ok(stored, `record ${record.id} missing`);
    for (const [key, value] of Object.entries(record)) assert.deepEqual(stored[key], value, `record ${record.id}.${key}`);
  }
  const describe = await node.ok({ operation: 'describe_all' });
  assert.deepEqual(Object.keys(describe), [DB], 'no database was created by a bad request');
  assert.deepEqual(Object.keys(describe[DB]), [TABLE], 'no table was created by a bad request');
  const internal = seen.filter((s) => s.status >= 500);
  assert.deepEqual(internal, [], 'responses with a 5xx');
  assert.equal(seen.length, rows.length, 'every row ran');
  assert.doesNotMatch(node.stderr, /Internal error in operation/, 'the node logged an internal error');
});
