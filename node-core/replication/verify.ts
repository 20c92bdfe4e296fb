/**
 * cluster_verify (SPEC 4.11): a digest of (key, version, origin) per table, so nodes can tell
 * cheaply whether their replicas agree record for record and version for version. On a
 * sharded table (SPEC 4.10) the digest covers the stubs too, in the same key order: nodes that
 * know of the same writes agree, whichever of them hold the records.
 */
import crypto from 'node:crypto';
import type { Table } from '../storage/table.ts';
import type { PrimaryKey } from '../storage/types.ts';
import type { TableDigest } from './protocol.ts';

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
