/**
 * ConfigError, the one error a bad configuration raises, and the record of where each value came
 * from (file line, environment variable or flag) so that the error can say so.
 */

/** One bad value: its dotted key path, the value, where it came from and what was expected. */
export interface ConfigIssue {
  key: string;
  value: unknown;
  source?: string;
  expected: string;
}

/** Raised by loadConfig when the file cannot be read or parsed, or a value is invalid; the node does not start. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  readonly configPath: string | undefined;

  constructor(message: string, options: { issues?: readonly ConfigIssue[]; configPath?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.issues = options.issues ?? [];
    this.configPath = options.configPath;
  }
}

export type KeyPath = readonly (string | number)[];

/** Where the value at `path` (and everything under it) came from, e.g. "environment REPLICATION_ROUTES". */
export interface SourceEntry {
  path: KeyPath;
  from: string;
}

const isPrefix = (prefix: KeyPath, path: KeyPath): boolean =>
  prefix.length <= path.length && prefix.every((part, i) => String(part) === String(path[i]));

/** The most specific recorded source of the value at `path`. */
export function sourceOf(sources: readonly SourceEntry[], path: KeyPath): string | undefined {
  let best: SourceEntry | undefined;
  for (const entry of sources) {
    if (isPrefix(entry.path, path) && (!best || entry.path.length > best.path.length)) best = entry;
  }
  return best?.from;
}

/** Records that the value at `path` was replaced: whatever was recorded under it no longer applies. */
export function replaceSource(sources: SourceEntry[], path: KeyPath, from: string): void {
  for (let i = sources.length - 1; i >= 0; i--) {
    const entry = sources[i];
    if (entry && isPrefix(path, entry.path)) sources.splice(i, 1);
  }
  sources.push({ path, from });
}

/** "replication.routes[0].port" */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}
