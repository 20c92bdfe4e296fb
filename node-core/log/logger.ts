/**
 * The node's log: JSON lines in `<root>/log/hdb.log` at or above the configured level, the
 * last lines kept in memory for `read_log`, warnings and worse echoed to stderr.
 */
import fs from 'node:fs';
import path from 'node:path';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'notify'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogLine {
  level: LogLevel;
  message: string;
  timestamp: string;
  [field: string]: unknown;
}

/** Lines kept in memory for read_log; older ones stay in the file. */
const RECENT_LINES = 2000;
/** read_log keeps info lines in memory even when the file takes only warnings. */
const RECENT_MINIMUM_LEVEL: LogLevel = 'info';

export class Logger {
  readonly #minimum: number;
  readonly #recentMinimum: number;
  readonly #recent: LogLine[] = [];
  readonly #fd: number | null;

  constructor(
    readonly file: string | null,
    level: LogLevel,
    private readonly echo: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {
    this.#minimum = LOG_LEVELS.indexOf(level);
    this.#recentMinimum = Math.min(this.#minimum, LOG_LEVELS.indexOf(RECENT_MINIMUM_LEVEL));
    if (file) fs.mkdirSync(path.dirname(file), { recursive: true });
    this.#fd = file ? fs.openSync(file, 'a') : null;
  }

  trace(message: string, fields?: Record<string, unknown>): void { this.write('trace', message, fields); }
  debug(message: string, fields?: Record<string, unknown>): void { this.write('debug', message, fields); }
  info(message: string, fields?: Record<string, unknown>): void { this.write('info', message, fields); }
  warn(message: string, fields?: Record<string, unknown>): void { this.write('warn', message, fields); }
  error(message: string, fields?: Record<string, unknown>): void { this.write('error', message, fields); }
  /** Always written, whatever the level: start-up and shutdown notices. */
  notify(message: string, fields?: Record<string, unknown>): void { this.write('notify', message, fields); }

  write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    const rank = LOG_LEVELS.indexOf(level);
    if (rank < this.#recentMinimum) return;
    const line: LogLine = { ...fields, level, message, timestamp: new Date().toISOString() };
    this.#recent.push(line);
    if (this.#recent.length > RECENT_LINES) this.#recent.splice(0, this.#recent.length - RECENT_LINES);
    if (rank < this.#minimum) return;
    const text = JSON.stringify(line);
    const failure = this.#append(text);
    if (level === 'warn' || level === 'error' || level === 'fatal' || failure) this.echo(text);
    if (failure) this.echo(JSON.stringify({ level: 'error', message: `Could not write the log file: ${failure}`, timestamp: line.timestamp }));
  }

  /**
   * Append a line to the file; the reason when that failed. A full or read-only disk must not
   * make logging (often of that very problem) throw into whoever logs: the line goes to stderr.
   */
  #append(text: string): string | null {
    if (this.#fd === null) return null;
    try {
      fs.writeSync(this.#fd, text + '\n');
      return null;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? String(error);
    }
  }

  /** Most recent lines first is the caller's choice; these are oldest first. */
  recent(): readonly LogLine[] {
    return this.#recent;
  }

  close(): void {
    if (this.#fd !== null) fs.closeSync(this.#fd);
  }
}
