/**
 * loadConfig: finds the root path, reads (or creates) harperdb-config.yaml, applies environment
 * and flag overrides, and validates; any problem is a ConfigError naming key, value and source.
 */
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError, formatKeyPath, sourceOf, type ConfigIssue, type SourceEntry } from './errors.ts';
import { CONFIG_FILE_NAME, createConfigFile, readConfigFile } from './file.ts';
import { applyOverrides, overridableKeys, parseCliFlags } from './overrides.ts';
import { configSchema, defaultConfig, DEFAULT_ROOT_PATH, type Config } from './schema.ts';

export { ConfigError, type ConfigIssue } from './errors.ts';
export { parseCliFlags } from './overrides.ts';

export interface LoadConfigOptions {
  /** The root path when neither `--root`, `--ROOTPATH` nor env ROOTPATH give one (the app passes userData). */
  rootPath?: string;
  /** Environment for overrides; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Command-line arguments (without node and script); defaults to none. */
  argv?: string[];
}

export interface LoadedConfig {
  config: Config;
  configPath: string;
  /** True when the file did not exist and was written with the defaults. */
  created: boolean;
}

function expandHome(dir: string): string {
  if (dir === '~') return os.homedir();
  if (dir.startsWith('~/') || dir.startsWith('~\\')) return path.join(os.homedir(), dir.slice(2));
  return dir;
}

/** `--root DIR` > `--ROOTPATH DIR` (any case, or `--rootPath`) > env ROOTPATH > options.rootPath > ~/.peerdesk/node. */
export function resolveRootPath(options: LoadConfigOptions = {}): string {
  const flags = parseCliFlags(options.argv ?? []);
  const env = options.env ?? process.env;
  const rootPathFlag = Object.keys(flags).filter((name) => name.toUpperCase() === 'ROOTPATH').pop();
  const candidates: [string, string | true | undefined][] = [
    ['--root', flags.root],
    [`--${rootPathFlag ?? 'ROOTPATH'}`, rootPathFlag === undefined ? undefined : flags[rootPathFlag]],
    ['environment ROOTPATH', env.ROOTPATH?.trim() === '' ? undefined : env.ROOTPATH],
    ['rootPath option', options.rootPath],
  ];
  for (const [from, value] of candidates) {
    if (value === undefined) continue;
    if (value === true || value.trim() === '') {
      throw new ConfigError(`Invalid configuration: rootPath = ${JSON.stringify(value)} (from ${from}): expected a directory path`);
    }
    return path.resolve(expandHome(value.trim()));
  }
  return DEFAULT_ROOT_PATH;
}

function valueAt(data: unknown, keyPath: readonly PropertyKey[]): unknown {
  let node: unknown = data;
  for (const part of keyPath) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

function showValue(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function toIssue(issue: z.core.$ZodIssue, data: unknown, sources: readonly SourceEntry[]): ConfigIssue {
  const keyPath = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
  const expected = issue.message.replace(/^Invalid input: /, '');
  const source = sourceOf(sources, keyPath);
  const result: ConfigIssue = { key: formatKeyPath(keyPath), value: valueAt(data, keyPath), expected };
  if (source !== undefined) result.source = source;
  return result;
}

/** "operationsApi.network.port = "abc" (from environment OPERATIONSAPI_NETWORK_PORT): expected ..." */
export function formatIssue(issue: ConfigIssue): string {
  const from = issue.source === undefined ? '' : ` (from ${issue.source})`;
  return `${issue.key} = ${showValue(issue.value)}${from}: ${issue.expected}`;
}

/** Reads, creates, overrides and validates the node's configuration. Overrides are never written back. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const rootPath = resolveRootPath(options);
  const configPath = path.join(rootPath, CONFIG_FILE_NAME);
  const defaults = defaultConfig(rootPath);

  let file = readConfigFile(configPath);
  let created = false;
  if (!file) {
    created = createConfigFile(configPath, defaults);
    file = created ? { data: {}, sources: [] } : readConfigFile(configPath);
    if (!file) throw new ConfigError(`Cannot read configuration file ${configPath} after creating it`, { configPath });
  }

  const data = structuredClone(file.data);
  const sources = [...file.sources];
  const keys = overridableKeys(defaults, file.data);
  applyOverrides(data, keys, options.env ?? process.env, parseCliFlags(options.argv ?? []), sources);
  data.rootPath = rootPath; // the directory holding the file is the root, whatever the file says

  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => toIssue(issue, data, sources));
    const message = issues.map((issue) => `Invalid configuration: ${formatIssue(issue)}`).join('\n');
    throw new ConfigError(message, { issues, configPath, cause: parsed.error });
  }
  return { config: parsed.data, configPath, created };
}
