/**
 * LMDB commits that fail (disk full, read-only or failing disk) as one typed error. lmdb-js
 * rejects the transaction with "Commit failed" and, a moment later, a second promise it hangs
 * on the error (`commitError`) with the system error; nobody awaits that one, so without this
 * it ends the process as an unhandled rejection. Here it is observed, and the failure becomes
 * an OpError 507 (Insufficient Storage) that names the cause: callers (the operations API, a
 * replication link) fail the one write and the node keeps running.
 */
import { OpError } from '../errors.ts';

/** HTTP 507 Insufficient Storage: the node could not store the write. */
export const STORAGE_FAILED_STATUS = 507;

/** lmdb-js's message for a transaction whose commit failed. */
const COMMIT_FAILED = /^Commit failed/;

/** Use as `.catch(commitFailure)` on every LMDB write: rethrows, a failed commit as an OpError 507. */
export function commitFailure(error: unknown): never {
  const detail = (error as { commitError?: unknown } | null)?.commitError;
  if (detail instanceof Promise) detail.catch(() => undefined);
  if (error instanceof Error && COMMIT_FAILED.test(error.message)) {
    throw new OpError(STORAGE_FAILED_STATUS, 'Storage write failed: the disk is full, read-only or failing (the write was not stored)');
  }
  throw error;
}

let guarded = false;

/**
 * lmdb-js rejects every promise pending on a failed commit, including ones nobody holds (its
 * own bookkeeping): those would end the process as unhandled rejections although the caller
 * of the failed write already got its OpError 507. This drops exactly those — a "Commit
 * failed" error or its commitError — after logging them once per second at most; any other
 * unhandled rejection still ends the process as before. Installed once per process.
 */
export function guardCommitFailures(log: (message: string) => void): void {
  if (guarded) return;
  guarded = true;
  let lastLogged = 0;
  process.on('unhandledRejection', (reason) => {
    const isCommitFailure = reason instanceof Error && (COMMIT_FAILED.test(reason.message) || (reason as { code?: unknown }).code === LMDB_IO_ERROR);
    if (!isCommitFailure) throw reason;
    if (Date.now() - lastLogged > 1_000) {
      lastLogged = Date.now();
      log(`storage commit failed: ${reason.message}`);
    }
  });
}

/** errno EIO as lmdb-js reports a failed write of a full tmpfs or failing disk. */
const LMDB_IO_ERROR = 5;
