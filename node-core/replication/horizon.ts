/**
 * The tombstone horizon (SPEC 4.6). A peer purges tombstones after replication.tombstoneRetention
 * and says in its hello the latest stamp it purged (its horizon, on its own clock). This node's
 * position in that peer's log is on the same clock: a position before the horizon means deletes
 * this node never received may be forgotten there, so a merge could bring them back. Then this
 * node halts the database's replication (persisted, shown in cluster_status) instead of merging:
 * its links of that database stay open but held (nothing sent or applied, only requests), and
 * the user decides on the rows only this node holds (cluster_horizon, keep or drop), after which
 * replication resumes with a full merge. The peer holds its side of the link by the same rule.
 */
import type { Database } from '../storage/database.ts';
import { tombstoneHorizon } from '../storage/tombstones.ts';
import { positionKey, SYNCED_KEY } from './apply.ts';
import { CloseCode, type Hello } from './protocol.ts';
import type { Link } from './link.ts';

/** Meta key of a halted database: the HaltRecord. */
export const HALT_KEY = ['horizonHalt'];

export interface HaltRecord {
  /** when replication of the database halted (ms) */
  since: number;
  reason: string;
  /** peers whose horizon this node's position was past */
  peers: string[];
}

export interface Hold {
  reason: string;
  since: number;
}

/** Links of each database that passed through the horizon check, to hold them all on a halt. */
const linksByDatabase = new WeakMap<Database, Set<Link>>();
/** Held links and why. */
const holds = new WeakMap<Link, Hold>();

export function haltRecord(database: Database): HaltRecord | null {
  return database.getMeta<HaltRecord>(HALT_KEY) ?? null;
}

/** What this node puts in its hello about the horizon. */
export function helloHorizon(database: Database): Pick<Hello, 'horizon' | 'halted'> {
  return { horizon: tombstoneHorizon(database), halted: haltRecord(database) !== null };
}

/**
 * Decide, from the peer's hello, whether the link must be held; halts the database here when
 * this node is past the peer's horizon. Called once per link, before anything is sent or applied.
 */
export async function checkHorizon(link: Link, hello: Hello): Promise<Hold | null> {
  const { database, peer } = link;
  let links = linksByDatabase.get(database);
  if (!links) linksByDatabase.set(database, (links = new Set()));
  links.add(link);
  link.onClosed(() => links.delete(link));

  const synced = database.getMeta<boolean>(SYNCED_KEY) === true;
  const position = database.getMeta<number>(positionKey(peer)) ?? 0;
  const peerHorizon = hello.horizon ?? 0;
  if (synced && position > 0 && position < peerHorizon) {
    await halt(database, peer, `'${peer}' no longer remembers deletes after this node's last sync of '${database.name}' (${new Date(position).toISOString()}; its tombstones are kept back to ${new Date(peerHorizon).toISOString()})`);
  }
  const own = haltRecord(database);
  let hold: Hold | null = null;
  if (own) hold = { reason: own.reason, since: own.since };
  else if (hello.halted) hold = { reason: `'${peer}' halted replication of '${database.name}' (past a tombstone horizon) until its user decides`, since: Date.now() };
  else if (hello.position > 0 && hello.position < tombstoneHorizon(database)) {
    hold = { reason: `'${peer}' last synced '${database.name}' before the deletes this node still remembers: it must decide on its rows first`, since: Date.now() };
  }
  if (hold) holds.set(link, hold);
  return hold;
}

async function halt(database: Database, peer: string, reason: string): Promise<void> {
  const existing = haltRecord(database);
  const record: HaltRecord = existing ? { ...existing, peers: [...new Set([...existing.peers, peer])] } : { since: Date.now(), reason, peers: [peer] };
  await database.setMeta([[HALT_KEY, record]]);
  // Links of this database already streaming must stop: they reconnect held.
  for (const other of linksByDatabase.get(database) ?? []) {
    if (other.peer !== peer && other.state === 'open' && !holds.has(other)) other.close(CloseCode.goingAway, `replication of '${database.name}' halted (tombstone horizon)`);
  }
}

/** The hold of a link, if it is held (for cluster_status). */
export function holdOf(link: Link): Hold | null {
  return holds.get(link) ?? null;
}

/** cluster_status fields of a held link (none for others). */
export function horizonStatus(link: Link): Record<string, unknown> {
  const hold = holds.get(link);
  return hold ? { lastReceivedStatus: 'Halted', halt_reason: hold.reason, halted_since: new Date(hold.since).toUTCString() } : {};
}

/** Open held links of a database (the peers to compare local rows with). */
export function heldLinks(database: Database): Link[] {
  return [...(linksByDatabase.get(database) ?? [])].filter((l) => l.state === 'open' && holds.has(l));
}

/**
 * Resume after the user decided: forget the halt and every position in the peers' logs, and
 * ask for a copy, so the next links merge full snapshots (tombstones included) under the
 * conflict rule. Held links close and reconnect.
 */
export async function resume(database: Database, peers: Iterable<string>): Promise<void> {
  const record = haltRecord(database);
  const all = new Set([...peers, ...(record?.peers ?? [])]);
  await database.setMeta([[HALT_KEY, undefined], [SYNCED_KEY, false], ...[...all].map((p): [Array<string | number>, unknown] => [positionKey(p), undefined])]);
  for (const link of [...(linksByDatabase.get(database) ?? [])]) {
    if (link.state === 'open') link.close(CloseCode.normal, `replication of '${database.name}' resumed`);
  }
}
