/**
 * Reads harperdb-config.yaml (remembering the line of every key, for error messages) and writes
 * the commented default file on first start.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML, { isMap, isScalar, isSeq, LineCounter } from 'yaml';
import { ConfigError, type KeyPath, type SourceEntry } from './errors.ts';
import type { Config } from './schema.ts';

export const CONFIG_FILE_NAME = 'harperdb-config.yaml';

export interface ConfigFileContents {
  data: Record<string, unknown>;
  sources: SourceEntry[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function collectSources(node: unknown, at: KeyPath, where: (offset: number) => string, out: SourceEntry[]): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const located = (isScalar(pair.key) ? pair.key : pair.value) as { range?: [number, number, number] } | null;
      const keyPath = [...at, key];
      if (located?.range) out.push({ path: keyPath, from: where(located.range[0]) });
      collectSources(pair.value, keyPath, where, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const located = item as { range?: [number, number, number] } | null;
      if (located?.range) out.push({ path: [...at, index], from: where(located.range[0]) });
      collectSources(item, [...at, index], where, out);
    });
  }
}

/** The file's contents, or undefined when there is no file; a ConfigError when it cannot be used. */
export function readConfigFile(configPath: string): ConfigFileContents | undefined {
  let text: string;
  try {
    text = fs.readFileSync(configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read configuration file ${configPath}: ${(error as Error).message}`, { configPath, cause: error });
  }
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: true });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const pos = syntaxError.linePos?.[0];
    const where = pos ? ` line ${pos.line}, column ${pos.col}` : '';
    const [summary = '', ...frame] = syntaxError.message.split('\n');
    const reason = summary.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(
      `Invalid configuration: YAML syntax error in ${configPath}${where}: ${reason}${frame.length ? `\n${frame.join('\n').trimEnd()}` : ''}`,
      { configPath, cause: syntaxError },
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return { data: {}, sources: [] };
  if (!isRecord(data)) {
    throw new ConfigError(
      `Invalid configuration: ${configPath} holds ${JSON.stringify(data)}: expected a mapping of keys to values at the top level`,
      { configPath },
    );
  }
  const sources: SourceEntry[] = [];
  collectSources(doc.contents, [], (offset) => `${configPath} line ${lineCounter.linePos(offset).line}`, sources);
  return { data, sources };
}

const HEADER = [
  ' Peerdesk node configuration (HarperDB-compatible harperdb-config.yaml).',
  ' Written with the defaults on first start; edit and restart the node to apply.',
  ' Every key can be overridden by an environment variable named after its path, upper-cased,',
  ' parts joined by "_" (OPERATIONSAPI_NETWORK_PORT=9926), or by a flag',
  ' (--OPERATIONSAPI_NETWORK_PORT 9926 or --operationsApi.network.port=9926). Overrides are not saved here.',
  ' Unknown keys are kept and ignored.',
].join('\n');

const COMMENTS: Record<string, string> = {
  rootPath: 'Directory holding this file, the data, keys and logs (the directory this file is in wins).',
  operationsApi: 'The HTTP operations API (and the web UI on GET).',
  'operationsApi.network.host': 'Interface to listen on; null = derived from replication.hostname (loopback IP) or all interfaces.',
  'operationsApi.network.port': 'HTTP port; 0 = any free port.',
  'operationsApi.network.securePort': 'HTTPS port, or null for none.',
  'operationsApi.network.cors': 'Answer CORS requests.',
  'operationsApi.network.corsAccessList': 'Origins allowed by CORS; "*" = any.',
  'operationsApi.network.maxBodySize': 'Largest request body accepted, in bytes.',
  replication: 'Replication between nodes.',
  'replication.hostname': "This node's name; null = the host of replication.url, else 127.0.0.1.",
  'replication.url': 'How peers reach this node; null = wss://<hostname>:<securePort> (or ws://<hostname>:<port>).',
  'replication.port': 'Insecure WebSocket listener (peers authenticated by IP), or null for none.',
  'replication.securePort': 'TLS WebSocket listener (peers authenticated by certificate), or null for none.',
  'replication.routes': 'Peers to dial: "host", "host:port", "wss://host:port" or {hostname: host, port: 9933}.',
  'replication.databases': "Databases to replicate: '*' or a list of names or {name, sharded, replicateTo}.",
  'replication.enableRootCAs': 'Also trust the Mozilla root certificates bundled with Node.js.',
  'replication.shard': "This node's shard number, or null.",
  'replication.tombstoneRetention': 'How long deletes are remembered (tombstones); at least 10 × logging.auditRetention.',
  tls: "PEM files of this node's certificate; null = generated under rootPath.",
  logging: 'Logging and retention.',
  'logging.level': 'trace, debug, info, warn, error, fatal or notify.',
  'logging.auditRetention': 'How long the transaction log is kept: 3d, 12h, 30m, 45s, 500ms or ms.',
  authentication: 'Token lifetimes (durations like 1d, 12h).',
};

function addComments(node: unknown, at: string): void {
  if (!isMap(node)) return;
  node.items.forEach((pair, index) => {
    if (!isScalar(pair.key)) return;
    const keyPath = at ? `${at}.${String(pair.key.value)}` : String(pair.key.value);
    const comment = COMMENTS[keyPath];
    if (comment) pair.key.commentBefore = ` ${comment}`;
    if (!at && index > 0) pair.key.spaceBefore = true;
    addComments(pair.value, keyPath);
  });
}

/** The readable, commented YAML of a configuration (used for the default file). */
export function configToYaml(config: Config): string {
  const doc = new YAML.Document(config);
  doc.commentBefore = HEADER;
  addComments(doc.contents, '');
  return doc.toString({ lineWidth: 0 });
}

/**
 * Writes the default file (creating its directory). Returns false when another process created
 * the file first, in which case the caller reads that one.
 */
export function createConfigFile(configPath: string, config: Config): boolean {
  fs.mkdirSync(path.dirname(configPath), { recursive: true });
  try {
    fs.writeFileSync(configPath, configToYaml(config), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ConfigError(`Cannot write configuration file ${configPath}: ${(error as Error).message}`, { configPath, cause: error });
  }
}

/**
 * Change one key of the file in place (comments and other keys kept), for operations that
 * persist configuration such as cluster_set_routes.
 */
export function updateConfigFile(configPath: string, keyPath: readonly string[], value: unknown): void {
  const text = fs.existsSync(configPath) ? fs.readFileSync(configPath, 'utf8') : '';
  const document = YAML.parseDocument(text);
  document.setIn(keyPath, document.createNode(value));
  const temporary = `${configPath}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, document.toString());
  fs.renameSync(temporary, configPath);
}
