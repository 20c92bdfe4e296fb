/**
 * Reads of records this node does not hold (SPEC 4.10): for each stub, ask the record's holders
 * over their links, lowest latency first, failing over to the next; a key no holder answered for
 * fails the read with 502 naming the nodes tried and why. Searches of a table with stubs also
 * ask every linked member for the matching records it holds.
 */
import { OpError } from '../errors.ts';
import type { Table } from '../storage/table.ts';
import type { PrimaryKey, StoredRecord } from '../storage/types.ts';
import type { Link } from './link.ts';
import type { ReplicationManager } from './manager.ts';
import { FETCH_RECORDS, MAX_FETCH_KEYS, SEARCH_RECORDS, type HeldRecord } from './peer-requests.ts';
import { membersOf, rehomedHolders, shardingOf } from './sharding.ts';

/** Open links of `database`, by peer name. */
function openLinks(manager: ReplicationManager, database: string): Map<string, Link> {
  const links = new Map<string, Link>();
  for (const link of manager.links()) if (link.database.name === database && link.state === 'open') links.set(link.peer, link);
  return links;
}

/** Who may hold `key` besides this node: its recorded holders and their replacements, lowest latency first. */
export function candidateHolders(manager: ReplicationManager, table: Table, key: PrimaryKey, holders: readonly string[]): string[] {
  const database = table.definition.database;
  const members = membersOf(manager.memberSource, database);
  const count = shardingOf(manager.memberSource.config, database)?.replicateTo ?? members.length - 1;
  const names = [...new Set([...holders, ...rehomedHolders(key, holders, members, count)])].filter((n) => n !== manager.memberSource.nodeName);
  const links = openLinks(manager, database);
  const latency = (name: string) => links.get(name)?.latencyMs ?? (links.has(name) ? Number.MAX_SAFE_INTEGER - 1 : Number.MAX_SAFE_INTEGER);
  return names.sort((a, b) => latency(a) - latency(b));
}

const stored = ([, v, o, r]: HeldRecord): StoredRecord => ({ v, o, r });

/**
 * The records of `keys` this node holds only stubs of, fetched from holders. Keys without a stub
 * here are left out. Throws 502 naming the nodes tried when some key could not be read.
 */
export async function fetchHeldElsewhere(manager: ReplicationManager, table: Table, keys: readonly PrimaryKey[]): Promise<Map<PrimaryKey, StoredRecord>> {
  const found = new Map<PrimaryKey, StoredRecord>();
  const waiting = new Map<PrimaryKey, { candidates: string[]; tried: string[] }>();
  for (const key of keys) {
    const stub = table.getStub(key);
    if (stub && !waiting.has(key)) waiting.set(key, { candidates: candidateHolders(manager, table, key, stub.h), tried: [] });
  }
  const failures = new Map<string, string>();
  while (waiting.size > 0) {
    const round = new Map<string, PrimaryKey[]>();
    for (const [key, state] of waiting) {
      const next = state.candidates.shift();
      if (next === undefined) throw unreadable(table, key, state.tried, failures);
      state.tried.push(next);
      round.set(next, [...(round.get(next) ?? []), key]);
    }
    const links = openLinks(manager, table.definition.database);
    await Promise.all(
      [...round].map(async ([peer, asked]) => {
        const link = links.get(peer);
        if (!link) {
          failures.set(peer, 'not connected');
          return;
        }
        for (let i = 0; i < asked.length; i += MAX_FETCH_KEYS) {
          try {
            const { records } = await link.request(FETCH_RECORDS, { table: table.name, keys: asked.slice(i, i + MAX_FETCH_KEYS) });
            for (const record of records) if (waiting.has(record[0])) found.set(record[0], stored(record));
          } catch (error) {
            failures.set(peer, (error as Error).message);
            return;
          }
        }
        for (const key of asked) if (!found.has(key)) failures.set(peer, failures.get(peer) ?? 'does not hold it');
      }),
    );
    for (const key of found.keys()) waiting.delete(key);
  }
  return found;
}

function unreadable(table: Table, key: PrimaryKey, tried: string[], failures: Map<string, string>): OpError {
  const where = `${table.definition.database}.${table.name}`;
  if (tried.length === 0) return new OpError(502, `Record ${JSON.stringify(key)} of ${where} is not stored on this node and no other holder is known`);
  const reasons = tried.map((name) => `'${name}' (${failures.get(name) ?? 'no answer'})`).join(', ');
  return new OpError(502, `Record ${JSON.stringify(key)} of ${where} is not stored on this node; tried ${reasons}`);
}

/**
 * Records matching `where` held by other members, for keys this node has only stubs of (the
 * highest version of each). Every open link of the database is asked; a member that does not
 * answer fails the search with 502 when some stub's holders all failed to answer.
 */
export async function searchHeldElsewhere(manager: ReplicationManager, table: Table, where: object): Promise<StoredRecord[]> {
  if (table.stubCount() === 0) return [];
  const links = openLinks(manager, table.definition.database);
  const answered = new Set<string>([manager.memberSource.nodeName]);
  const failures = new Map<string, string>();
  const best = new Map<PrimaryKey, StoredRecord>();
  await Promise.all(
    [...links].map(async ([peer, link]) => {
      try {
        const { records } = await link.request(SEARCH_RECORDS, { table: table.name, where: where as Record<string, unknown> });
        answered.add(peer);
        for (const record of records) {
          const key = record[0];
          const previous = best.get(key);
          if (table.getStub(key) && (!previous || previous.v < record[1])) best.set(key, stored(record));
        }
      } catch (error) {
        failures.set(peer, (error as Error).message);
      }
    }),
  );
  if (failures.size > 0) {
    // Complete only if every stub has some holder that answered.
    for (const { key, stub } of table.scanStubs()) {
      const holders = candidateHolders(manager, table, key, stub.h);
      if (!holders.some((name) => answered.has(name))) throw unreadable(table, key, holders, failures);
    }
  }
  return [...best.values()];
}
