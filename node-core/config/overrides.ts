/**
 * Command-line flag parsing and the environment/flag overrides of config keys: a key path
 * `a.bC.d` is overridden by env `A_BC_D` and by `--A_BC_D v`, `--a.bC.d v` or `--a.bC.d=v`.
 */
import YAML from 'yaml';
import { replaceSource, type KeyPath, type SourceEntry } from './errors.ts';

/**
 * `--name value`, `--name=value` and bare `--name` (true). Anything not starting with `--` that
 * is not a flag's value is ignored; `--` ends the flags. Later repeats win.
 */
export function parseCliFlags(argv: readonly string[]): Record<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    if (eq === 0) continue;
    if (eq > 0) {
      flags.set(body.slice(0, eq), body.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(body, next);
      i++;
    } else {
      flags.set(body, true);
    }
  }
  return Object.fromEntries(flags);
}

/** The override name of a key path or of a flag: upper-cased, parts joined by `_`. */
export const overrideName = (keyPathOrFlag: KeyPath | string): string =>
  (typeof keyPathOrFlag === 'string' ? keyPathOrFlag.split('.') : keyPathOrFlag.map(String)).join('_').toUpperCase();

/**
 * An override's text as a YAML scalar or flow collection: "9926" → 9926, "true" → true,
 * "null" → null, "[a, b]" → ["a", "b"], "{hostname: h}" → {hostname: "h"}; quote to force a
 * string ('"9926"'). Text that is not such a value (block YAML, syntax errors) stays a string.
 */
export function parseOverrideValue(text: string): unknown {
  const trimmed = text.trim();
  try {
    const value: unknown = YAML.parse(trimmed, { logLevel: 'silent' });
    if (typeof value === 'object' && value !== null && !/^[[{]/.test(trimmed)) return text;
    return value;
  } catch {
    return text;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Key paths of the leaves of a plain object (arrays and scalars are leaves). */
export function leafPaths(value: unknown, at: KeyPath = []): KeyPath[] {
  if (!isRecord(value)) return at.length ? [at] : [];
  const keys = Object.keys(value);
  if (keys.length === 0) return at.length ? [at] : [];
  return keys.flatMap((key) => leafPaths(value[key], [...at, key]));
}

/** Override name → key path, for the schema's keys first, then the file's other leaves. */
export function overridableKeys(...trees: unknown[]): Map<string, KeyPath> {
  const names = new Map<string, KeyPath>();
  for (const tree of trees) {
    for (const keyPath of leafPaths(tree)) {
      const name = overrideName(keyPath);
      if (!names.has(name)) names.set(name, keyPath);
    }
  }
  return names;
}

/** Sets `value` at `keyPath`, creating (or replacing non-object) parents. */
export function setIn(target: Record<string, unknown>, keyPath: KeyPath, value: unknown): void {
  let node = target;
  keyPath.forEach((part, i) => {
    const key = String(part);
    if (i === keyPath.length - 1) {
      node[key] = value;
      return;
    }
    const child = node[key];
    const next = isRecord(child) ? child : {};
    node[key] = next;
    node = next;
  });
}

/** Applies env then flag overrides to `data` in place, recording each value's source. */
export function applyOverrides(
  data: Record<string, unknown>,
  keys: ReadonlyMap<string, KeyPath>,
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | true>>,
  sources: SourceEntry[],
): void {
  for (const [name, keyPath] of keys) {
    const text = env[name];
    if (text === undefined || text.trim() === '') continue; // an empty variable means "not set"
    setIn(data, keyPath, parseOverrideValue(text));
    replaceSource(sources, keyPath, `environment ${name}`);
  }
  for (const [flag, text] of Object.entries(flags)) {
    const keyPath = keys.get(overrideName(flag));
    if (!keyPath) continue; // not a config key: someone else's flag
    setIn(data, keyPath, text === true ? true : parseOverrideValue(text));
    replaceSource(sources, keyPath, `flag --${flag}`);
  }
}
