/**
 * The log entries committed last, held weakly by sequence: every publisher of a database reads
 * a fresh commit from the log at once, and without this each one would decode its own copy (a
 * large transaction then lives once per link). An entry is shared only while something else
 * keeps it alive; after that it is decoded from the log again. Entries are never mutated.
 */
import type { LogEntry } from './types.ts';

/** Sequences remembered at most (the oldest is forgotten first). */
export const RECENT_ENTRIES = 64;

export class RecentEntries {
  readonly #refs = new Map<number, WeakRef<LogEntry>>();

  remember(sequence: number, entry: LogEntry): void {
    this.#refs.set(sequence, new WeakRef(entry));
    if (this.#refs.size > RECENT_ENTRIES) this.#refs.delete(this.#refs.keys().next().value!);
  }

  get(sequence: number): LogEntry | undefined {
    const entry = this.#refs.get(sequence)?.deref();
    if (!entry) this.#refs.delete(sequence);
    return entry;
  }

  forget(): void {
    this.#refs.clear();
  }
}
