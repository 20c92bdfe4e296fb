/**
 * The `ops` suite: what this machine's LMDB can take (the raw ceiling), what the operations API
 * gets out of it for batched and single-record inserts against a real node child process, and
 * indexed search throughput on a 100k-record table; then the batched-insert / ceiling ratio.
 *
 * A middle figure runs the same batches through node-core's storage layer in-process, so the
 * gap splits into storage work (indexing every attribute, the log) and HTTP/JSON/validation.
 *
 * Sizes: BENCH_SCALE (default 1) scales record counts and durations; BENCH_BATCH_CONCURRENCY
 * (default 4) batched requests in flight, BENCH_CLIENTS (default 64) single-record clients,
 * BENCH_SEARCH_CLIENTS (default 16) search clients.
 */
import path from 'node:path';
import { open } from 'lmdb';
import { HybridLogicalClock } from '../node-core/clock/hlc.ts';
import { Storage } from '../node-core/storage/storage.ts';
import { indexValuesOf } from '../node-core/storage/indexing.ts';
import { writeRecords } from '../node-core/storage/writes.ts';
import { ADMIN, basicAuth, NodeProcess } from '../test/support/node-process.ts';
import {
  drive,
  emit,
  envInt,
  latencyDetails,
  note,
  nowMs,
  onCleanup,
  onEmergency,
  OpsClient,
  resource,
  segmentRates,
  round,
  scaled,
  SCALE,
  tempDir,
  type Figure,
} from './lib.ts';
import { benchRecord, CATEGORY_COUNT, category, recordSizes, score, SCORE_RANGE } from './records.ts';

const SUITE = 'ops';
const BATCH_SIZE = 500;
const RATIO_TARGET = 0.3;
/**
 * LMDB puts per stored bench record: one per index entry (its indexed attribute values other
 * than the key, plus the two timestamps; strings too long to index get none), the record itself,
 * and its share of the batch's log entry. The storage-layer run counts the index entries it
 * actually wrote (storage_write_records_batch500's index_entries_per_record) to check this.
 */
const INDEX_ENTRIES_PER_RECORD = Object.entries(benchRecord(0)).reduce((n, [attribute, value]) => n + (attribute === 'id' ? 0 : indexValuesOf(value).length), 0) + 2;
const LMDB_PUTS_PER_RECORD = INDEX_ENTRIES_PER_RECORD + 1 + 1 / BATCH_SIZE;

/** Same environment options as node-core/storage/database.ts. */
const LMDB_OPTIONS = { maxDbs: 3000, overlappingSync: true } as const;

export async function run(): Promise<void> {
  const sizes = recordSizes();
  const tableRecords = scaled(100_000, 5_000, BATCH_SIZE);
  const batchConcurrency = envInt('BENCH_BATCH_CONCURRENCY', 4);
  const singleClients = envInt('BENCH_CLIENTS', 64);
  const searchClients = envInt('BENCH_SEARCH_CLIENTS', 16);
  const common = { scale: SCALE, record_msgpack_bytes: sizes.msgpack_bytes, record_json_bytes: sizes.json_bytes };

  // ---- (a) raw ceiling: LMDB alone, in this process, before the node takes the other core ----
  // Three times the API's record count: at this rate a shorter run is over too soon to be steady.
  const raw = await rawCeiling(Math.max(3 * tableRecords, 50_000), batchConcurrency);
  const ceiling = Math.max(raw.txn.rate, raw.parallel.rate);
  const ceilingMode = raw.txn.rate >= raw.parallel.rate ? 'txn500' : 'parallel500';
  for (const [mode, result] of [['txn500', raw.txn], ['parallel500', raw.parallel]] as const) {
    emit({
      suite: SUITE,
      name: `raw_lmdb_put_${mode}`,
      value: round(result.rate),
      unit: 'records/s',
      details: {
        ...common,
        records: result.records,
        batch: BATCH_SIZE,
        in_flight: batchConcurrency,
        how: mode === 'txn500'
          ? 'env.childTransaction(() => 500 × db.put), then await env.flushed'
          : 'Promise.all(500 × db.put), then await env.flushed',
        ...latencyDetails(result.latencies),
        records_per_s_by_third: result.thirds,
      },
    });
  }

  // The same batches through node-core's storage layer in this process (indexing, log, no
  // HTTP): splits the gap between the ceiling and the API into storage work and the rest.
  const storage = await storageLayer(tableRecords, batchConcurrency);
  emit({
    suite: SUITE,
    name: 'storage_write_records_batch500',
    value: round(storage.rate),
    unit: 'records/s',
    ceiling: round(ceiling),
    ratio: round(storage.rate / ceiling, 3),
    details: {
      ...common,
      records: storage.records,
      batch: BATCH_SIZE,
      in_flight: batchConcurrency,
      how: 'Database.transact(writeRecords(insert)) in-process: record + secondary index of every attribute + log entry',
      index_entries_per_record: storage.indexEntriesPerRecord,
      index_entries_per_record_expected: INDEX_ENTRIES_PER_RECORD,
      ...latencyDetails(storage.latencies),
      records_per_s_by_third: storage.thirds,
    },
  });

  // ---- (b), (c): a real node ----
  note('starting a node');
  // The node's root sits in this run's temp dir, so a signal's synchronous cleanup removes it too.
  const nodeRoot = tempDir('node-');
  const node = await NodeProcess.start({ root: nodeRoot.path });
  const unregister = onEmergency(() => void node.kill());
  onCleanup(async () => {
    await node.cleanup();
    unregister();
  });
  const client = new OpsClient(node.url, basicAuth(ADMIN.username, ADMIN.password), Math.max(64, singleClients, searchClients));
  onCleanup(() => client.close());
  await client.ok({ operation: 'create_database', database: 'bench' });
  for (const table of ['warm', 'batch', 'single']) {
    await client.ok({ operation: 'create_table', database: 'bench', table, primary_key: 'id' });
  }

  note('warming up');
  const warmBatches = Math.max(4, Math.round(20 * Math.min(1, SCALE)));
  await batchedInsert(client, 'warm', 0, warmBatches * BATCH_SIZE, batchConcurrency);
  await singleInserts(client, 'warm', 10_000_000, singleClients, scaled(3_000, 500), 2_000);

  note(`batched inserts: ${tableRecords} records in batches of ${BATCH_SIZE}, ${batchConcurrency} in flight`);
  const batched = await batchedInsert(client, 'batch', 0, tableRecords, batchConcurrency);
  const ratio = batched.rate / ceiling;
  emit({
    suite: SUITE,
    name: 'api_insert_batch500',
    value: round(batched.rate),
    unit: 'records/s',
    ceiling: round(ceiling),
    ratio: round(ratio, 3),
    details: {
      ...common,
      records: batched.records,
      batch: BATCH_SIZE,
      in_flight: batchConcurrency,
      ...latencyDetails(batched.latencies),
      records_per_s_by_third: batched.thirds,
    },
  });

  const singleDurationMs = Math.max(1_000, 8_000 * SCALE);
  note(`single-record inserts: ${singleClients} clients for ${round(singleDurationMs / 1000, 1)} s`);
  const single = await singleInserts(client, 'single', 0, singleClients, Number.MAX_SAFE_INTEGER, singleDurationMs);
  emit({
    suite: SUITE,
    name: 'api_insert_single',
    value: round(single.rate),
    unit: 'records/s',
    ceiling: round(ceiling),
    ratio: round(single.rate / ceiling, 4),
    details: { ...common, records: single.records, clients: singleClients, keep_alive: true, ...latencyDetails(single.latencies) },
  });

  // (c) searches over the batch table (tableRecords records, CATEGORY_COUNT categories)
  const searchDurationMs = Math.max(1_000, 6_000 * SCALE);
  const equality = (unit: number) => ({
    operation: 'search_by_value',
    database: 'bench',
    table: 'batch',
    attribute: 'category',
    value: category((unit * 7) % CATEGORY_COUNT),
    get_attributes: ['*'],
  });
  const rangeWidth = 100;
  const scoreSpan = Math.min(SCORE_RANGE, tableRecords);
  const range = (unit: number) => {
    const low = (unit * 997) % (scoreSpan - rangeWidth);
    return {
      operation: 'search_by_conditions',
      database: 'bench',
      table: 'batch',
      conditions: [{ attribute: 'score', comparator: 'between', value: [low, low + rangeWidth - 1] as [number, number] }],
      get_attributes: ['*'],
    };
  };
  const scores = Array.from({ length: tableRecords }, (_, i) => score(i));
  const rangeMatches = (unit: number) => {
    const [low, high] = range(unit).conditions[0]!.value;
    return scores.filter((s) => s >= low && s <= high).length;
  };
  const equalityMatches = (unit: number) => Math.floor(tableRecords / CATEGORY_COUNT) + ((unit * 7) % CATEGORY_COUNT < tableRecords % CATEGORY_COUNT ? 1 : 0);
  for (const [name, makeBody, matches] of [
    ['api_search_by_value_equals', equality, equalityMatches],
    ['api_search_by_conditions_between', range, rangeMatches],
  ] as const) {
    // The answers are checked once for a few queries; the measured loop checks only the status.
    for (const unit of [1, 2, 3]) {
      const got = await client.ok<unknown[]>(makeBody(unit));
      if (got.length !== matches(unit)) throw new Error(`${name}: expected ${matches(unit)} records, got ${got.length}`);
    }
    const expected = round(Array.from({ length: 50 }, (_, unit) => matches(unit)).reduce((a, b) => a + b, 0) / 50, 1);
    await searches(client, makeBody, searchClients, Math.min(1_000, searchDurationMs / 4)); // warm-up
    note(`${name}: ${searchClients} clients for ${round(searchDurationMs / 1000, 1)} s`);
    const result = await searches(client, makeBody, searchClients, searchDurationMs);
    emit({
      suite: SUITE,
      name,
      value: round(result.rate),
      unit: 'requests/s',
      details: {
        ...common,
        table_records: tableRecords,
        records_per_response_avg: expected,
        clients: searchClients,
        ...latencyDetails(result.latencies),
      },
    });
  }

  // ---- (d) the ratio that matters ----
  const ratioFigure: Figure = {
    suite: SUITE,
    name: 'api_insert_batch500_vs_raw_ceiling',
    value: round(ratio, 3),
    unit: 'ratio',
    target: RATIO_TARGET,
    pass: ratio >= RATIO_TARGET,
    details: {
      api_records_per_s: round(batched.rate),
      ceiling_records_per_s: round(ceiling),
      ceiling_mode: ceilingMode,
      storage_layer_records_per_s: round(storage.rate),
      storage_layer_vs_ceiling: round(storage.rate / ceiling, 3),
      api_vs_storage_layer: round(batched.rate / storage.rate, 3),
      // The ceiling is one put per record; a stored record costs one put for the record and one
      // per indexed attribute value (every attribute is indexed), plus its share of the log entry.
      lmdb_puts_per_record: round(LMDB_PUTS_PER_RECORD, 3),
      api_lmdb_puts_per_s: round(batched.rate * LMDB_PUTS_PER_RECORD),
      api_lmdb_puts_vs_ceiling: round((batched.rate * LMDB_PUTS_PER_RECORD) / ceiling, 3),
    },
  };
  emit(ratioFigure);
}

// ---- (a) ----

interface Rate {
  rate: number;
  records: number;
  latencies: number[];
  /** records/s over each third of the run */
  thirds?: number[];
}

/** Run `batches` units of BATCH_SIZE records, timing each; the whole run's rate and its thirds. */
async function measureBatches(inFlight: number, batches: number, batch: (unit: number) => Promise<number | void>): Promise<Rate> {
  const latencies: number[] = [];
  const completions: number[] = [];
  let records = 0;
  const startMs = nowMs();
  const { elapsedMs } = await drive(inFlight, batches, async (unit) => {
    const start = nowMs();
    const written = await batch(unit);
    const end = nowMs();
    records += typeof written === 'number' ? written : BATCH_SIZE;
    latencies.push(end - start);
    completions.push(end);
  });
  return { rate: records / (elapsedMs / 1000), records, latencies, thirds: segmentRates(completions, startMs, BATCH_SIZE) };
}

async function rawCeiling(records: number, inFlight: number): Promise<{ txn: Rate; parallel: Rate }> {
  const dir = tempDir('lmdb-');
  const env = open({ path: path.join(dir.path, 'raw.mdb'), ...LMDB_OPTIONS });
  const closeEnv = resource(() => env.close());
  const db = env.openDB<Record<string, unknown>, number>('records', {});
  const batches = Math.ceil(records / BATCH_SIZE);
  const payload = Array.from({ length: BATCH_SIZE }, (_, i) => benchRecord(i));

  const txnBatch = async (firstKey: number) => {
    await env.childTransaction(() => {
      for (let i = 0; i < BATCH_SIZE; i++) db.put(firstKey + i, payload[i]!);
    });
    await env.flushed;
  };
  const parallelBatch = async (firstKey: number) => {
    const puts: Promise<boolean>[] = [];
    for (let i = 0; i < BATCH_SIZE; i++) puts.push(db.put(firstKey + i, payload[i]!));
    await Promise.all(puts);
    await env.flushed;
  };
  const measure = async (batch: (firstKey: number) => Promise<void>, keyBase: number): Promise<Rate> => {
    // warm-up on keys of their own, then the measured run
    await drive(inFlight, Math.max(4, Math.round(batches / 10)), (unit) => batch(keyBase + 50_000_000 + unit * BATCH_SIZE));
    return measureBatches(inFlight, batches, (unit) => batch(keyBase + unit * BATCH_SIZE));
  };
  note(`raw LMDB ceiling: ${batches} batches of ${BATCH_SIZE}, ${inFlight} in flight, per mode`);
  const txn = await measure(txnBatch, 0);
  const parallel = await measure(parallelBatch, 100_000_000);
  await closeEnv.release();
  await dir.release();
  return { txn, parallel };
}

async function storageLayer(records: number, inFlight: number): Promise<Rate & { indexEntriesPerRecord: number }> {
  const root = tempDir('storage-');
  const storage = Storage.open(root.path, { nodeName: 'bench', clock: new HybridLogicalClock() });
  const closeStorage = resource(() => storage.close());
  const database = storage.createDatabase('bench');
  await database.createTable({ name: 'batch', primaryKey: 'id', attributes: ['id'], replicate: true }, { user: null });
  const warmBatches = Math.max(4, Math.round(records / BATCH_SIZE / 10));
  const batches = Math.ceil(records / BATCH_SIZE);
  const makeBatches = (first: number, count: number) =>
    Array.from({ length: count }, (_, b) => Array.from({ length: BATCH_SIZE }, (_, i) => benchRecord(first + b * BATCH_SIZE + i)));
  const write = async (rows: Record<string, unknown>[]) => {
    const keys = rows.map((row) => row.id as number);
    await database.transact((tx) => writeRecords(tx, tx.table('batch'), rows, keys, 'insert'), { user: 'bench' });
  };
  note(`storage layer: ${batches} batches of ${BATCH_SIZE}, ${inFlight} in flight`);
  const warm = makeBatches(50_000_000, warmBatches);
  await drive(inFlight, warm.length, (unit) => write(warm[unit]!));
  const measured = makeBatches(0, batches);
  const result = await measureBatches(inFlight, batches, (unit) => write(measured[unit]!));
  const table = database.requireTable('batch');
  const indexEntries = (table.stores.index.getStats() as { entryCount: number }).entryCount;
  const indexEntriesPerRecord = round(indexEntries / table.recordCount(), 3);
  await closeStorage.release();
  await root.release();
  return { ...result, indexEntriesPerRecord };
}

// ---- (b) ----

async function batchedInsert(client: OpsClient, table: string, firstId: number, records: number, inFlight: number): Promise<Rate> {
  const batches = Math.ceil(records / BATCH_SIZE);
  // Serialise up front so the client's own cost stays out of the measured loop.
  const bodies = Array.from({ length: batches }, (_, b) => {
    const rows = [];
    for (let i = b * BATCH_SIZE; i < Math.min(records, (b + 1) * BATCH_SIZE); i++) rows.push(benchRecord(firstId + i));
    return Buffer.from(JSON.stringify({ operation: 'insert', database: 'bench', table, records: rows }));
  });
  const result = await measureBatches(inFlight, batches, async (unit) => {
    const response = await client.post(bodies[unit]!);
    if (response.status !== 200) throw new Error(`insert batch ${unit}: ${response.status} ${response.body.slice(0, 300)}`);
    return (JSON.parse(response.body) as { inserted_hashes: unknown[] }).inserted_hashes.length;
  });
  if (result.records !== records) throw new Error(`batched insert into ${table}: ${result.records} of ${records} records inserted`);
  return result;
}

async function singleInserts(client: OpsClient, table: string, firstId: number, clients: number, maxRecords: number, durationMs: number): Promise<Rate> {
  const latencies: number[] = [];
  const { done, elapsedMs } = await drive(
    clients,
    maxRecords,
    async (unit) => {
      const body = JSON.stringify({ operation: 'insert', database: 'bench', table, records: [benchRecord(firstId + unit)] });
      const result = await client.post(body);
      if (result.status !== 200) throw new Error(`single insert ${unit}: ${result.status} ${result.body.slice(0, 300)}`);
      latencies.push(result.ms);
    },
    durationMs,
  );
  return { rate: done / (elapsedMs / 1000), records: done, latencies };
}

// ---- (c) ----

async function searches(client: OpsClient, makeBody: (unit: number) => unknown, clients: number, durationMs: number): Promise<Rate> {
  const latencies: number[] = [];
  const { done, elapsedMs } = await drive(
    clients,
    Number.MAX_SAFE_INTEGER,
    async (unit) => {
      const result = await client.post(JSON.stringify(makeBody(unit)));
      if (result.status !== 200) throw new Error(`search ${unit}: ${result.status} ${result.body.slice(0, 300)}`);
      latencies.push(result.ms);
    },
    durationMs,
  );
  return { rate: done / (elapsedMs / 1000), records: done, latencies };
}
