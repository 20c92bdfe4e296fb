/**
 * cluster_verify (SPEC 4.11): a digest of (key, version, origin) per table, so nodes can tell
 * cheaply whether their replicas agree record for record and version for version; with repair,
 * every disagreeing table is repaired with each linked node (replication/repair.ts: logged,
 * relayed, tombstones included) and the answer says what changed.
 * On a sharded table (SPEC 4.10) the digest covers the stubs too, in the same key order: nodes
 * that know of the same writes agree, whichever of them hold the records.
 */
import crypto from 'node:crypto';
import type { NodeServices } from '../services.ts';
import type { Table } from '../storage/table.ts';
import type { PrimaryKey } from '../storage/types.ts';
import { holdOf } from './horizon.ts';
import type { ReplicationManager } from './manager.ts';
import type { TableDigest } from './protocol.ts';
import { emptyReport, repairTable, type RepairReport } from './repair.ts';
import { REQUESTS_FEATURE } from './requests.ts';

/** LMDB's key order (ordered-binary): numbers first, by value; then strings, by UTF-8 bytes. */
function compareKeys(a: PrimaryKey, b: PrimaryKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b)));
}

function* stamps(table: Table): Generator<[PrimaryKey, number, string]> {
  const stubs = table.scanStubs();
  let stub = stubs.next();
  for (const { key, stored } of table.scan()) {
    while (!stub.done && compareKeys(stub.value.key, key) < 0) {
      yield [stub.value.key, stub.value.stub.v, stub.value.stub.o];
      stub = stubs.next();
    }
    yield [key, stored.v, stored.o];
  }
  for (; !stub.done; stub = stubs.next()) yield [stub.value.key, stub.value.stub.v, stub.value.stub.o];
}

export function tableDigest(table: Table): TableDigest {
  const hash = crypto.createHash('sha256');
  for (const stamp of stamps(table)) {
    hash.update(JSON.stringify(stamp));
    hash.update('\n');
  }
  return { table: table.name, record_count: table.recordCount(), digest: hash.digest('hex') };
}

export interface VerifyRequest {
  database?: string | undefined;
  table?: string | undefined;
  repair: boolean;
}

type NodeDigest = { node: string; record_count: number; digest: string } | { node: string; error: string };

interface TableVerdict {
  database: string;
  table: string;
  agree: boolean;
  nodes: NodeDigest[];
  /** with repair: what it changed, here and on the linked nodes */
  repaired?: RepairReport;
  repair_errors?: Array<{ node: string; error: string }>;
}

export async function verifyCluster(manager: ReplicationManager, node: NodeServices, request: VerifyRequest): Promise<Record<string, unknown>> {
  if (request.database) node.storage.requireDatabase(request.database);
  const databases = manager.replicatedDatabases().filter((db) => (request.database ? db.name === request.database : db.name !== 'system'));
  const tables: TableVerdict[] = [];
  for (const database of databases) {
    const local = database.tables().filter((t) => t.definition.replicate && (!request.table || t.name === request.table));
    if (request.table && local.length === 0) database.requireTable(request.table);
    const links = manager.links().filter((l) => l.database === database && l.state === 'open');
    const answers = await Promise.all(
      links.map((link) =>
        link.verify(local.map((t) => t.name)).then(
          (results) => ({ node: link.peer, results, error: null as string | null }),
          (error: Error) => ({ node: link.peer, results: [] as TableDigest[], error: error.message }),
        ),
      ),
    );
    for (const table of local) {
      const own = tableDigest(table);
      const nodes: NodeDigest[] = [
        { node: node.nodeName, record_count: own.record_count, digest: own.digest },
        ...answers.map((a): NodeDigest => {
          const result = a.results.find((r) => r.table === table.name);
          return result ? { node: a.node, record_count: result.record_count, digest: result.digest } : { node: a.node, error: a.error ?? 'table missing on this node' };
        }),
      ];
      const verdict: TableVerdict = { database: database.name, table: table.name, agree: nodes.every((n) => 'digest' in n && n.digest === own.digest), nodes };
      if (request.repair && !verdict.agree) {
        verdict.repaired = emptyReport();
        for (const link of links) {
          // A link held at a tombstone horizon merges nothing until the user decided.
          if (holdOf(link)) {
            (verdict.repair_errors ??= []).push({ node: link.peer, error: `replication of '${database.name}' with this node is halted at a tombstone horizon (see cluster_horizon)` });
            continue;
          }
          if (!link.peerHas(REQUESTS_FEATURE)) {
            (verdict.repair_errors ??= []).push({ node: link.peer, error: 'this node runs a version that cannot be repaired with (no requests feature)' });
            continue;
          }
          const policy = manager.membership.policy(link.peer, database.name);
          await repairTable(link, table, node.clock, { pull: policy.subscribes(table.name), push: policy.publishes(table.name) }, verdict.repaired).catch((error: Error) => {
            (verdict.repair_errors ??= []).push({ node: link.peer, error: error.message });
          });
        }
      }
      tables.push(verdict);
    }
  }
  const agree = tables.every((t) => t.agree);
  const repaired = request.repair && !agree;
  const failed = tables.some((t) => t.repair_errors?.length);
  return {
    message: agree ? 'All linked nodes agree' : repaired ? (failed ? 'Differences found; repair failed with some nodes' : 'Differences found and repaired') : 'Differences found',
    agree,
    repair: repaired ? (failed ? 'partial' : 'done') : 'not needed',
    tables,
  };
}
