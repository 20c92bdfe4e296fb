/**
 * Fuzzing the operations API with fast-check: generated requests against one real node — valid-
 * looking operations, the same with a field mutated (wrong types, huge and odd values), unknown
 * fields, unknown operations and raw non-JSON bodies. The node must never crash, never answer
 * 5xx, answer every error as `{"error": "..."}`, and keep the records written before intact.
 * Requests that would legitimately destroy those records (writes to the seed table, dropping
 * its database, touching the admin user or the node's own certificates) are redirected to
 * scratch names first, and body credentials are the admin's (wrong ones trip the per-address
 * login rate limit): the fuzzer hunts crashes, not permitted deletes or lockouts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { ADMIN, NodeProcess } from '../support/node-process.ts';
import { FULL_RUN } from './scenario.ts';

/** Requests generated in the full run (the figure) and in the quick subset. */
export const FUZZ_REQUESTS = FULL_RUN ? 10_000 : 1_000;
const SEED = Number(process.env.PEERDESK_FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const DB = 'fz';
const PROTECTED = 'dogs';
const SCRATCH = 'scratch';
const HEALTH_CHECK_EVERY = 250;
/** Requests sent at once per generated case (the node answers them concurrently). */
const CONCURRENT = 10;

const OPERATIONS = [
  'insert', 'update', 'upsert', 'delete', 'search_by_id', 'search_by_hash', 'search_by_value', 'search_by_conditions',
  'create_database', 'drop_database', 'create_table', 'drop_table', 'create_attribute', 'describe_all', 'describe_database',
  'describe_table', 'add_user', 'alter_user', 'drop_user', 'list_users', 'user_info', 'create_authentication_tokens',
  'refresh_operation_token', 'cluster_status', 'cluster_verify', 'cluster_get_routes', 'cluster_set_routes', 'cluster_delete_routes',
  'add_node', 'update_node', 'remove_node', 'configure_cluster', 'list_certificates', 'add_certificate', 'remove_certificate',
  'system_information', 'get_configuration', 'read_log',
] as const;
const WRITES = new Set(['insert', 'update', 'upsert', 'delete', 'drop_table', 'create_attribute', 'drop_database']);

const odd = fc.oneof(
  fc.constantFrom('', ' ', '*', '%', '../etc', '__proto__', 'constructor', '$version', 'é'.repeat(40), '\u0000', '\ud800', 'x'.repeat(5000)),
  fc.constantFrom(0, -1, 1e308, -0, 2 ** 53 + 1, 1.5, Number.MAX_SAFE_INTEGER),
  fc.constantFrom(null, true, false, [], {}, [[]], { __proto__: 1 }),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
);
const jsonish: fc.Arbitrary<unknown> = fc.oneof({ depthSize: 'small' }, odd, fc.jsonValue({ maxDepth: 3 }));
const name = fc.oneof(fc.constantFrom(DB, SCRATCH, PROTECTED, 'system', 'hdb_user', 'hdb_nodes', 'nope'), fc.stringMatching(/^[a-z_$][a-z0-9_$-]{0,12}$/), odd);
const record = fc.dictionary(fc.oneof(fc.constantFrom('id', 'name', 'age', 'tags', '$origin', '__createdtime__'), fc.string({ maxLength: 12 })), jsonish, { maxKeys: 6 });
const condition = fc.record({ attribute: fc.oneof(fc.constantFrom('id', 'name', 'age'), odd), comparator: fc.oneof(fc.constantFrom('equals', 'contains', 'between', 'greater_than', 'starts_with'), odd), value: jsonish }, { requiredKeys: [] });

/** A request shaped like a real one: an operation and fields drawn from what operations take. */
const validLooking = fc.record(
  {
    operation: fc.constantFrom(...OPERATIONS),
    database: name,
    schema: name,
    table: name,
    primary_key: fc.oneof(fc.constant('id'), odd),
    hash_attribute: fc.oneof(fc.constant('id'), odd),
    attribute: fc.oneof(fc.constantFrom('id', 'name', 'age'), odd),
    records: fc.oneof(fc.array(record, { maxLength: 5 }), odd),
    ids: fc.oneof(fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxLength: 5 }), odd),
    hash_values: fc.oneof(fc.array(fc.integer(), { maxLength: 3 }), odd),
    value: jsonish,
    search_value: jsonish,
    conditions: fc.oneof(fc.array(condition, { maxLength: 3 }), odd),
    operator: fc.oneof(fc.constantFrom('and', 'or'), odd),
    get_attributes: fc.oneof(fc.constant(['*']), fc.array(fc.oneof(fc.constantFrom('*', 'id', '$version', '$origin', 'toString'), odd), { maxLength: 3 }), odd),
    limit: fc.oneof(fc.nat(), odd),
    offset: fc.oneof(fc.nat(), odd),
    sort: fc.oneof(fc.record({ attribute: fc.constantFrom('id', 'age'), descending: fc.boolean() }), odd),
    username: fc.oneof(fc.constantFrom('fuzzer', 'nobody'), odd),
    password: fc.oneof(fc.constant('a-password'), odd),
    role: fc.oneof(fc.constantFrom('super_user', 'cluster_user', 'nope'), odd),
    active: fc.oneof(fc.boolean(), odd),
    name: name,
    certificate: fc.oneof(fc.constant('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), odd),
    routes: fc.oneof(fc.array(fc.oneof(fc.constantFrom('not a host', 'ws://', 'wss://x:0', '127.0.0.1:99999'), odd), { maxLength: 3 }), odd),
    hostname: odd,
    url: odd,
    verify_tls: odd,
    repair: odd,
    [`unknown_field`]: jsonish,
  },
  { requiredKeys: ['operation'] },
);

/** A valid-looking request with one field replaced by anything, or the operation itself odd. */
const mutated = fc.tuple(validLooking, fc.string({ maxLength: 16 }), jsonish).map(([request, field, value]) => ({ ...request, [field || 'operation']: value }));

type Body = { json: unknown } | { raw: string };
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 5, arbitrary: validLooking.map((json) => ({ json })) },
  { weight: 3, arbitrary: mutated.map((json) => ({ json })) },
  { weight: 1, arbitrary: jsonish.map((json) => ({ json })) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 200 }), validLooking.map((r) => JSON.stringify(r).slice(0, -3))).map((raw) => ({ raw })) },
);

/** Redirect what would legitimately destroy the seed data (see the module comment). */
function defang(request: unknown): unknown {
  if (!request || typeof request !== 'object' || Array.isArray(request)) return request;
  const r = { ...(request as Record<string, unknown>) };
  const op = r.operation;
  if (typeof op === 'string' && WRITES.has(op)) {
    for (const field of ['database', 'schema'] as const) if (r[field] === DB && op === 'drop_database') r[field] = SCRATCH;
    for (const field of ['table'] as const) if (r[field] === PROTECTED) r[field] = SCRATCH;
    if (r.database === 'system' || r.schema === 'system') r.database = r.schema = SCRATCH;
  }
  // New databases and tables are real LMDB environments and sub-databases: valid new names
  // go to the scratch ones (which exist), so 10,000 requests do not build thousands of files.
  if (op === 'create_database' || op === 'create_table') {
    for (const field of ['database', 'schema', 'table'] as const) if (typeof r[field] === 'string' && /^[A-Za-z0-9_$][A-Za-z0-9_$-]*$/.test(r[field])) r[field] = field === 'table' ? SCRATCH : DB;
  }
  if (op === 'drop_database' && r.database === undefined && r.schema === undefined) r.database = SCRATCH;
  if ((op === 'alter_user' || op === 'drop_user') && (r.username === ADMIN.username || typeof r.username !== 'string')) r.username = 'fuzzer';
  // Wrong passwords in a body count as failed logins: enough of them lock this address out
  // (the rate limit, working as meant), which would end the fuzzing, not find a defect.
  if (op === 'create_authentication_tokens' && (r.username !== undefined || r.password !== undefined)) Object.assign(r, { username: ADMIN.username, password: ADMIN.password });
  if (op === 'remove_certificate' || op === 'add_certificate') r.name = `fuzz-${typeof r.name === 'string' ? r.name.slice(0, 20) : 'x'}`;
  if (op === 'configure_cluster' || op === 'cluster_set_routes' || op === 'add_node' || op === 'update_node' || op === 'cluster_delete_routes') {
    // Keep them, but never pointing at a real address this machine would dial for long.
    if (typeof r.url === 'string') r.url = 'ws://192.0.2.1:1';
  }
  return r;
}

let node: NodeProcess;
let seedRecords: unknown;
const statuses = new Map<number, number>();

before(async () => {
  node = await NodeProcess.start();
  await node.ok({ operation: 'create_table', database: DB, table: PROTECTED, primary_key: 'id' });
  await node.ok({ operation: 'create_table', database: DB, table: SCRATCH, primary_key: 'id' });
  await node.ok({ operation: 'insert', database: DB, table: PROTECTED, records: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `dog ${i}`, age: i % 15, tags: ['a', i] })) });
  seedRecords = await node.ok({ operation: 'search_by_value', database: DB, table: PROTECTED, attribute: 'id', value: '*', get_attributes: ['*', '$version'] });
});
after(async () => {
  console.log(`# fuzz-ops: ${[...statuses.values()].reduce((a, b) => a + b, 0)} requests, seed ${SEED}, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  await node?.cleanup();
});

test(`${FUZZ_REQUESTS} generated operations-API requests: no crash, no 5xx, errors as {"error"}, seed data intact`, { timeout: 240_000 }, async () => {
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(body, { minLength: CONCURRENT, maxLength: CONCURRENT }), async (batch) => {
      await Promise.all(batch.map(async (generated) => {
        const text = 'raw' in generated ? generated.raw : JSON.stringify(defang(generated.json)) ?? 'null';
        const response = await node.raw(text);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        assert.ok(response.status < 500, `${response.status} for ${text.slice(0, 400)}: ${JSON.stringify(response.body).slice(0, 400)}`);
        if (response.status >= 400) {
          const error = (response.body as { error?: unknown })?.error;
          assert.equal(typeof error, 'string', `error body for ${text.slice(0, 300)}: ${JSON.stringify(response.body).slice(0, 300)}`);
        }
      }));
      sent += batch.length;
      if (sent % HEALTH_CHECK_EVERY < CONCURRENT) assert.ok(node.running, `node died:\n${node.stderr.slice(-3000)}`);
    }),
    { numRuns: Math.ceil(FUZZ_REQUESTS / CONCURRENT), seed: SEED, endOnFailure: true },
  );
  assert.ok(node.running, `node died:\n${node.stderr.slice(-3000)}`);
  const now = await node.ok({ operation: 'search_by_value', database: DB, table: PROTECTED, attribute: 'id', value: '*', get_attributes: ['*', '$version'] });
  assert.deepEqual(now, seedRecords, 'the records written before the fuzzing are intact');
});
