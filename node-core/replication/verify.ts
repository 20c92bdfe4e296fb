/**
 * cluster_verify (SPEC 4.11): a digest of (key, version, origin) per table, so nodes can tell
 * cheaply whether their replicas agree record for record and version for version; with repair,
 * every disagreeing table is repaired with each linked node (replication/repair.ts: logged,
 * relayed, tombstones included) and the answer says what changed.
 */
import crypto from 'node:crypto';
import type { NodeServices } from '../services.ts';
import type { Table } from '../storage/table.ts';
import { holdOf } from './horizon.ts';
import type { ReplicationManager } from './manager.ts';
import type { TableDigest } from './protocol.ts';
import { emptyReport, repairTable, type RepairReport } from './repair.ts';
import { REQUESTS_FEATURE } from './requests.ts';

export function tableDigest(table: Table): TableDigest {
  const hash = crypto.createHash('sha256');
  let count = 0;
  for (const { key, stored } of table.scan()) {
    hash.update(JSON.stringify([key, stored.v, stored.o]));
    hash.update('\n');
    count++;
  }
  return { table: table.name, record_count: count, digest: hash.digest('hex') };
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
