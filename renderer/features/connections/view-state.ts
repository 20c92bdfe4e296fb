/**
 * Per-connection view state (which view, which table, which page, ...), kept in memory for the
 * life of the window so switching connections never loses one's place.
 */
import { useCallback, useSyncExternalStore } from 'react';

const values = new Map<string, unknown>();
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function set(key: string, value: unknown): void {
  values.set(key, value);
  for (const listener of listeners) listener();
}

/** Forget everything kept for a connection (when it is removed). */
export function clearViewState(connectionId: string): void {
  for (const key of [...values.keys()]) if (key.startsWith(`${connectionId}\u0000`)) values.delete(key);
  for (const listener of listeners) listener();
}

/** Sets a connection's view state from outside its view (e.g. "open this node's status"). */
export function setViewStateOf(connectionId: string, key: string, value: unknown): void {
  set(`${connectionId}\u0000${key}`, value);
}

export type SetState<T> = (next: T | ((previous: T) => T)) => void;

/** Like useState, but the value lives per connection and survives switching away and back. */
export function useViewState<T>(connectionId: string, key: string, initial: T): [T, SetState<T>] {
  const fullKey = `${connectionId}\u0000${key}`;
  // The snapshot is the stored value itself: only components reading a changed key re-render.
  const stored = useSyncExternalStore(subscribe, () => values.get(fullKey));
  const value = stored === undefined && !values.has(fullKey) ? initial : (stored as T);
  const setValue = useCallback<SetState<T>>(
    (next) => {
      const previous = values.has(fullKey) ? (values.get(fullKey) as T) : initial;
      set(fullKey, typeof next === 'function' ? (next as (p: T) => T)(previous) : next);
    },
    // `initial` is a default, read only when nothing is stored yet
    [fullKey],
  );
  return [value, setValue];
}
