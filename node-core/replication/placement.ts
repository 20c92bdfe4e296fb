/**
 * Where a write's records go (SPEC 4.10): the holder rule of the database's sharding settings,
 * or the request's own `replicateTo` (a count, or node names), checked against the members;
 * and `replicatedConfirmation`: wait until that many other holders have committed the write.
 */
import { z } from 'zod';
import { badRequest, OpError } from '../errors.ts';
import type { Database } from '../storage/database.ts';
import type { PrimaryKey } from '../storage/types.ts';
import type { ReplicationManager } from './manager.ts';
import { chooseHolders, membersOf, shardingOf, shardOfNode } from './sharding.ts';

/** How long a write waits for its replicated confirmations by default, in ms. */
export const REPLICATED_CONFIRMATION_TIMEOUT_MS = 10_000;
export const MIN_CONFIRMATION_TIMEOUT_MS = 100;
export const MAX_CONFIRMATION_TIMEOUT_MS = 60_000;
/** How often a waiting write looks at its peers' acknowledgements, in ms. */
export const CONFIRMATION_POLL_MS = 10;
/** Node names one request's `replicateTo` may list. */
export const MAX_REPLICATE_TO_NAMES = 1_000;

export const placementFields = {
  replicateTo: z
    .union([z.number().int().min(0, { message: 'must be a count of at least 0 or a list of node names' }), z.array(z.string().min(1).max(255)).max(MAX_REPLICATE_TO_NAMES)])
    .optional(),
  replicatedConfirmation: z.number().int().min(0).optional(),
  replicatedConfirmationTimeout: z.number().int().min(MIN_CONFIRMATION_TIMEOUT_MS).max(MAX_CONFIRMATION_TIMEOUT_MS).optional(),
};

export interface PlacementRequest {
  replicateTo?: number | string[] | undefined;
  replicatedConfirmation?: number | undefined;
  replicatedConfirmationTimeout?: number | undefined;
}

export interface WritePlacement {
  /** null: every member holds every record (no sharding) */
  holders: ((key: PrimaryKey) => string[]) | null;
  /** other nodes that must confirm before the write returns (0: none) */
  confirmations: number;
  /** the other nodes the write's records go to, at most (for the confirmation check) */
  reach: number;
  timeoutMs: number;
}

/** The placement of a write to `database`, or a 400 naming the field at fault. */
export function placementFor(manager: ReplicationManager | null, database: string, request: PlacementRequest): WritePlacement {
  const timeoutMs = request.replicatedConfirmationTimeout ?? REPLICATED_CONFIRMATION_TIMEOUT_MS;
  const confirmations = request.replicatedConfirmation ?? 0;
  if (!manager) {
    if (request.replicateTo !== undefined || confirmations > 0) throw badRequest("'replicateTo' and 'replicatedConfirmation' need replication, which is not running on this node");
    return { holders: null, confirmations: 0, reach: 0, timeoutMs };
  }
  const source = manager.memberSource;
  const self = source.nodeName;
  const members = membersOf(source, database);
  const others = members.filter((m) => m !== self);
  const settings = shardingOf(source.config, database);
  const wanted = request.replicateTo ?? settings?.replicateToNames ?? settings?.replicateTo ?? null;
  let holders: WritePlacement['holders'] = null;
  let reach = others.length;
  if (typeof wanted === 'number') {
    if (wanted > others.length) {
      throw badRequest(`replicateTo: ${wanted} is more than the ${others.length} other member${others.length === 1 ? '' : 's'} of database '${database}'${others.length ? ` (${others.join(', ')})` : ''}`);
    }
    holders = (key) => chooseHolders(key, self, others, wanted);
    reach = wanted;
  } else if (wanted) {
    const named = [...new Set(wanted.filter((name) => name !== self))];
    for (const name of named) checkMember(source, database, name, members);
    holders = () => [self, ...named];
    reach = named.length;
  }
  if (confirmations > reach) {
    throw badRequest(`replicatedConfirmation: ${confirmations} is more than the ${reach} other node${reach === 1 ? '' : 's'} this write goes to`);
  }
  return { holders, confirmations, reach, timeoutMs };
}

function checkMember(source: ReplicationManager['memberSource'], database: string, name: string, members: string[]): void {
  if (members.includes(name)) return;
  const known = source.nodes().some((n) => n.name === name);
  if (!known) throw badRequest(`replicateTo: node '${name}' is not in this cluster (members of database '${database}': ${members.join(', ')})`);
  const shard = shardOfNode(source, name);
  throw badRequest(
    `replicateTo: node '${name}' is in ${shard === null ? 'no known shard' : `shard ${shard}`}, and database '${database}' is sharded: it replicates only within shard ${shardOfNode(source, source.nodeName)}`,
  );
}

/** A write committed here that not enough other nodes confirmed in time. */
export class ConfirmationTimeoutError extends OpError {
  constructor(message: string, details: Record<string, unknown>) {
    // 504: this node acted for the client towards other servers, and they did not answer in time.
    super(504, message, details);
  }
}

/**
 * Resolves once, for every written record, `placement.confirmations` of its other holders have
 * acknowledged log sequence `sequence` (acks follow their durable commit); otherwise throws
 * ConfirmationTimeoutError saying how many did. `holderSets`: each record's holders (null:
 * every member holds every record).
 */
export async function awaitConfirmations(
  manager: ReplicationManager,
  database: Database,
  sequence: number,
  holderSets: ReadonlyArray<readonly string[]> | null,
  placement: WritePlacement,
  written: Record<string, unknown>,
): Promise<void> {
  const needed = placement.confirmations;
  if (needed === 0) return;
  const self = manager.memberSource.nodeName;
  const deadline = Date.now() + placement.timeoutMs;
  const sets = holderSets ?? [null];
  for (;;) {
    const acked = new Set(manager.links().filter((l) => l.database.name === database.name && l.ackedThrough >= sequence).map((l) => l.peer));
    acked.delete(self);
    // The write is as confirmed as its least confirmed record.
    const perRecord = sets.map((holders) => (holders ? holders.filter((h) => acked.has(h)) : [...acked]));
    const least = perRecord.reduce((min, names) => (names.length < min.length ? names : min), perRecord[0] ?? []);
    if (least.length >= needed) return;
    if (Date.now() >= deadline) {
      const confirmed = [...least].sort();
      throw new ConfirmationTimeoutError(
        `replicatedConfirmation: ${confirmed.length} of ${needed} required other nodes confirmed the write within ${placement.timeoutMs} ms` +
          `${confirmed.length ? ` (${confirmed.join(', ')})` : ''}. The write is committed on '${self}' and stays; it reaches the others when they can take it`,
        { written: true, confirmed: confirmed.length, required: needed, confirmed_by: confirmed, ...written },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, CONFIRMATION_POLL_MS));
  }
}
