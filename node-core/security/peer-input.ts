/**
 * What a member may send (issue 10 item 9): every schema, name and record from a peer is held
 * to the rules the operations API holds a user to, before anything acts on it. Names are
 * database/table/attribute names by storage/names.ts (no `../../x`, no markup), records are
 * JSON objects JSON can round-trip, keys are valid primary keys, node names are host names, and
 * a database never gets more tables than fit (MAX_TABLES_PER_DATABASE). A frame that breaks a
 * rule is refused whole: the link closes with the reason, and nothing of it is stored.
 */
import { checkHolders } from '../replication/stubs.ts';
import type { CopyMessage, CoreMessage, Message, TableSchema } from '../replication/protocol.ts';
import { attributeNameProblem, nameProblem, primaryKeyProblem } from '../storage/names.ts';
import type { LogEntry, SchemaChange } from '../storage/types.ts';
import { ROLES } from '../system/users.ts';
import { isWellFormed, jsonInputProblem } from './json-input.ts';
import { isNodeName, isReplicationUrl } from './node-names.ts';
import { MAX_TABLES_PER_DATABASE } from './table-limit.ts';

const SYSTEM_DATABASE = 'system';

/** Why a decoded frame cannot be taken (naming the part at fault), or null. */
export function peerMessageProblem(received: Message): string | null {
  // Peer requests (any other `t`) are checked by their own table in peer-requests.ts.
  const message = received as CoreMessage;
  switch (message.t) {
    case 'hello':
      // The node name is an admission matter: an unknown one is refused (4003), and a joiner's is
      // checked before it is recorded (security/admission.ts joinerNameProblem).
      if (message.url !== null && !isReplicationUrl(message.url)) return `hello: url ${quote(message.url)} is not a ws:// or wss:// URL`;
      return named('database', message.database, 'hello') ?? tablesProblem(message.tables, 'hello');
    case 'copy-start':
      return message.tables ? tablesProblem(message.tables, 'copy-start') : null;
    case 'txns':
      for (const [sequence, entry] of message.entries) {
        const problem = entryProblem(entry);
        if (problem) return `txns entry ${sequence}: ${problem}`;
      }
      return null;
    case 'copy':
      return copyProblem(message);
    default:
      return null;
  }
}

/** Rows of the system tables a peer writes (hdb_nodes, hdb_user) must be valid rows of them. */
export function systemRowProblem(database: string, table: string, key: unknown, record: Record<string, unknown> | null | undefined): string | null {
  if (database !== SYSTEM_DATABASE || !record) return null;
  if (table === 'hdb_nodes') {
    if (typeof key !== 'string' || !isNodeName(key)) return `hdb_nodes row ${quote(String(key))}: the name is not a host name or IP address`;
    if (record.name !== undefined && record.name !== key) return `hdb_nodes row ${quote(key)}: name ${quote(String(record.name))} is not its key`;
    if (record.url !== undefined && record.url !== null && (typeof record.url !== 'string' || !isReplicationUrl(record.url))) {
      return `hdb_nodes row ${quote(key)}: url is not a ws:// or wss:// URL`;
    }
  }
  if (table === 'hdb_user') {
    if (typeof key !== 'string' || key.length === 0 || key.length > 128 || key.includes(':')) return `hdb_user row ${quote(String(key))}: not a valid username`;
    if (record.role !== undefined && !(ROLES as readonly unknown[]).includes(record.role)) return `hdb_user row ${quote(key)}: unknown role`;
    if (record.password !== undefined && typeof record.password !== 'string') return `hdb_user row ${quote(key)}: password is not a hash`;
  }
  return null;
}

function tablesProblem(tables: readonly TableSchema[], where: string): string | null {
  if (tables.length > MAX_TABLES_PER_DATABASE) {
    return `${where}: ${tables.length} tables, but at most ${MAX_TABLES_PER_DATABASE} fit in one database (LMDB's sub-database limit)`;
  }
  for (const table of tables) {
    const problem =
      named('table', table.name, where) ??
      attributeProblem(table.primaryKey, `${where} table ${table.name} primary key`) ??
      table.attributes.reduce<string | null>((found, a) => found ?? attributeProblem(a, `${where} table ${table.name} attribute`), null);
    if (problem) return problem;
  }
  return null;
}

function entryProblem(entry: LogEntry): string | null {
  if (typeof entry.u !== 'string' && entry.u !== null && entry.u !== undefined) return 'user is not a string';
  for (const change of entry.s ?? []) {
    const problem = schemaChangeProblem(change);
    if (problem) return problem;
  }
  for (const write of entry.w) {
    if (typeof write !== 'object' || write === null) return 'a write is not an object';
    // Sharded (SPEC 4.10): `h` lists the holders; a stub (`x`) carries no record.
    const problem = named('table', write.t, 'write') ?? keyProblem(write.k) ?? holdersProblem(write.h) ?? (write.d === true || (write.x === true && write.h !== undefined) ? null : recordProblem(write.r));
    if (problem) return `${problem} (table ${quote(String(write.t))})`;
  }
  return null;
}

function schemaChangeProblem(change: SchemaChange): string | null {
  if (typeof change !== 'object' || change === null) return 'a schema change is not an object';
  switch (change.kind) {
    case 'create_table':
      if (!Array.isArray(change.attributes) || typeof change.replicate !== 'boolean') return `create_table ${quote(String(change.table))} is malformed`;
      return tablesProblem([{ name: change.table, primaryKey: change.primaryKey, attributes: change.attributes, replicate: change.replicate }], 'create_table');
    case 'create_attribute':
      return named('table', change.table, 'create_attribute') ?? attributeProblem(change.attribute, 'create_attribute');
    case 'drop_table':
      return named('table', change.table, 'drop_table');
    default:
      return `unknown schema change ${quote(String((change as { kind?: unknown }).kind))}`;
  }
}

function copyProblem(message: CopyMessage): string | null {
  const table = named('table', message.table, 'copy');
  if (table) return table;
  for (const item of message.records as unknown[]) {
    // A fifth element (sharded tables) lists the record's holders.
    if (!Array.isArray(item) || (item.length !== 4 && item.length !== 5) || typeof item[1] !== 'number' || typeof item[2] !== 'string') return `copy of ${message.table}: a record entry is malformed`;
    const problem = keyProblem(item[0]) ?? holdersProblem(item[4]) ?? (item[3] === null ? null : recordProblem(item[3]));
    if (problem) return `copy of ${message.table}: ${problem}`;
  }
  return null;
}

/** A sharded write's holder list: absent, or a short list of node names (SPEC 4.10). */
function holdersProblem(holders: unknown): string | null {
  if (holders === undefined) return null;
  try {
    checkHolders(holders);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function named(kind: 'database' | 'table', name: unknown, where: string): string | null {
  if (typeof name !== 'string') return `${where}: ${kind} name is not a string`;
  const problem = nameProblem(name);
  return problem ? `${where}: invalid ${kind} name ${quote(name)}: ${problem}` : null;
}

function attributeProblem(name: unknown, where: string): string | null {
  if (typeof name !== 'string') return `${where} is not a string`;
  const problem = attributeNameProblem(name) ?? (isWellFormed(name) ? null : 'contains a lone UTF-16 surrogate');
  return problem ? `${where} ${quote(name)} ${problem}` : null;
}

function keyProblem(key: unknown): string | null {
  const problem = primaryKeyProblem(key) ?? jsonInputProblem(key);
  return problem ? `primary key ${quote(String(key))}: ${problem}` : null;
}

function recordProblem(record: unknown): string | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record) || ArrayBuffer.isView(record)) {
    return `a record is ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}, not an object`;
  }
  for (const value of Object.values(record)) if (!isJsonValue(value)) return 'a record holds a value JSON cannot carry';
  const problem = jsonInputProblem(record);
  return problem ? `record ${problem}` : null;
}

/** Only what JSON has (msgpack can also carry binary, undefined and more). */
function isJsonValue(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === null || typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') continue;
    if (Array.isArray(item)) {
      for (const child of item) stack.push(child);
    } else if (typeof item === 'object' && Object.getPrototypeOf(item) === Object.prototype) {
      for (const child of Object.values(item)) stack.push(child);
    } else {
      return false;
    }
  }
  return true;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? text.slice(0, 60) + '…' : text);
}
