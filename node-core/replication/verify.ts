/**
 * cluster_verify (SPEC 4.11): a digest of (key, version, origin) per table, so nodes can tell
 * cheaply whether their replicas agree record for record and version for version.
 */
import crypto from 'node:crypto';
import type { Table } from '../storage/table.ts';
import type { TableDigest } from './protocol.ts';

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
