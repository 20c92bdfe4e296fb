/**
 * The bench's records: ~250 bytes each (msgpack; a little more as JSON), with an attribute of
 * 1000 distinct values (`category`) for equality searches and a number (`score`) for ranges.
 */
import { pack } from 'msgpackr';
import { envInt, type HttpResult, type OpsClient } from './lib.ts';

export const CATEGORY_COUNT = 1000;
/** `score` runs over 0..SCORE_RANGE-1, a permutation of the first SCORE_RANGE ids. */
export const SCORE_RANGE = 100_000;

const CITIES = ['Amsterdam', 'Berlin', 'Cairo', 'Denver', 'Edinburgh', 'Florence', 'Geneva', 'Helsinki', 'Istanbul', 'Jakarta', 'Kyoto', 'Lima', 'Madrid'];
const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi'.split(' ');
const NOTE_LENGTH = 137;

export function category(i: number): string {
  return `cat-${String(i % CATEGORY_COUNT).padStart(4, '0')}`;
}

export function score(i: number): number {
  // 7919 is coprime with 100000, so this is a permutation of 0..99999.
  return (i * 7919) % SCORE_RANGE;
}

function noteFor(i: number): string {
  let out = '';
  for (let w = i % WORDS.length; out.length < NOTE_LENGTH; w = (w * 31 + 7) % WORDS.length) out += WORDS[w] + ' ';
  return out.slice(0, NOTE_LENGTH);
}

export function benchRecord(i: number): Record<string, unknown> {
  return {
    id: i,
    name: `user-${String(i).padStart(7, '0')}`,
    email: `user${i}@example.com`,
    city: CITIES[i % CITIES.length],
    category: category(i),
    score: score(i),
    active: i % 3 !== 0,
    note: noteFor(i),
  };
}

/** Average encoded sizes over a sample, for the figures' details. */
export function recordSizes(sample = 200): { msgpack_bytes: number; json_bytes: number } {
  let msgpack = 0;
  let json = 0;
  for (let i = 0; i < sample; i++) {
    const record = benchRecord(i * 4999);
    msgpack += pack(record).length;
    json += Buffer.byteLength(JSON.stringify(record));
  }
  return { msgpack_bytes: Math.round(msgpack / sample), json_bytes: Math.round(json / sample) };
}

/** Records per insert request in every suite's batched writes. */
export const BATCH_SIZE = 500;
/** Batched requests in flight (BENCH_BATCH_CONCURRENCY, default 4). */
export const BATCHES_IN_FLIGHT = envInt('BENCH_BATCH_CONCURRENCY', 4);

export interface InsertBatches {
  database: string;
  table: string;
  /** id of the first record (benchRecord(first) ...) */
  first?: number;
  total: number;
  inFlight?: number;
  /** more fields of each insert request (e.g. replicateTo) */
  extra?: Record<string, unknown>;
  /** how a request is sent (e.g. retried once on a reset connection) */
  send?: (body: string) => Promise<HttpResult>;
}

/** Insert bench records first..first+total-1 through the API in batches of BATCH_SIZE. */
export async function insertBatches(client: OpsClient, options: InsertBatches): Promise<void> {
  const { database, table, first = 0, total, inFlight = BATCHES_IN_FLIGHT, extra = {} } = options;
  const send = options.send ?? ((body: string) => client.post(body));
  let next = first;
  const end = first + total;
  const worker = async () => {
    while (next < end) {
      const from = next;
      next += BATCH_SIZE;
      const records = Array.from({ length: Math.min(BATCH_SIZE, end - from) }, (_, i) => benchRecord(from + i));
      const result = await send(JSON.stringify({ operation: 'insert', database, table, records, ...extra })).catch((error: Error) => {
        throw new Error(`insert of records ${from}.. into ${database}.${table} failed: ${error.message}`);
      });
      if (result.status !== 200) throw new Error(`insert into ${database}.${table} failed: ${result.status} ${result.body.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}
