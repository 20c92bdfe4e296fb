/**
 * File modes of a node's data (issue 10 item 8): the root directory is 0700 and database files
 * (system.mdb holds the password hashes) 0600, so other local users can read neither. LMDB
 * creates files by the process umask; they are tightened right after opening. Modes found laxer
 * on an existing root are tightened at every start too (never loosened), so a root made by an
 * older version, or copied with default modes, is protected from the next start on.
 */
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Create `directory` (and parents) if missing, and make it 0700 whether new or not. */
export function ensurePrivateDirectory(directory: string): void {
  fs.mkdirSync(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  tighten(directory, PRIVATE_DIRECTORY_MODE);
}

/** Make an existing file 0600 (or stricter already); missing files are skipped. */
export function ensurePrivateFile(file: string): void {
  tighten(file, PRIVATE_FILE_MODE);
}

/** An LMDB environment's files: the data file and its lock file. */
export function ensurePrivateDatabaseFiles(dataFile: string): void {
  for (const file of [dataFile, `${dataFile}-lock`]) ensurePrivateFile(file);
}

function tighten(file: string, mode: number): void {
  let current: number;
  try {
    current = fs.statSync(file).mode & 0o777;
  } catch {
    return;
  }
  // Only ever remove permissions: an owner who made a file stricter keeps it so.
  const next = current & mode;
  if (next !== current) fs.chmodSync(file, next);
}

/** The root and every directory the node keeps data in directly under it. */
export function ensurePrivateRoot(rootPath: string): void {
  ensurePrivateDirectory(rootPath);
  for (const child of ['database', 'keys', 'log']) {
    const directory = path.join(rootPath, child);
    if (fs.existsSync(directory)) tighten(directory, PRIVATE_DIRECTORY_MODE);
  }
}
