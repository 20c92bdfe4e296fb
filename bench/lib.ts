/**
 * Shared bench helpers: the figure format (one JSON line each), BENCH_SCALE, percentiles,
 * cleanup that runs on success, failure and signals, and a keep-alive HTTP client.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export interface Figure {
  suite: string;
  name: string;
  value: number;
  unit: string;
  ceiling?: number;
  ratio?: number;
  target?: number;
  pass?: boolean;
  details?: Record<string, unknown>;
}

/** Print one figure as one JSON line on stdout (progress notes go to stderr). */
export function emit(figure: Figure): void {
  process.stdout.write(JSON.stringify(figure) + '\n');
}

export function note(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** BENCH_SCALE (default 1) multiplies record counts and measuring durations. */
export const SCALE = (() => {
  const raw = process.env.BENCH_SCALE;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_SCALE must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
})();

/** `n` × BENCH_SCALE, at least `min`, rounded to a multiple of `multiple`. */
export function scaled(n: number, min = 1, multiple = 1): number {
  const value = Math.max(min, Math.round((n * SCALE) / multiple) * multiple);
  return Math.max(multiple, value);
}

/** An integer from the environment (e.g. BENCH_CLIENTS), else `fallback`. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function latencyDetails(samplesMs: readonly number[]): { p50_ms: number; p99_ms: number; max_ms: number; requests: number } {
  return {
    p50_ms: round(percentile(samplesMs, 50), 2),
    p99_ms: round(percentile(samplesMs, 99), 2),
    max_ms: round(percentile(samplesMs, 100), 2),
    requests: samplesMs.length,
  };
}

export function nowMs(): number {
  return performance.now();
}

/**
 * Rates over consecutive equal shares of a run (e.g. thirds), from the completion time of each
 * unit (ms, any order) and the run's start: shows whether a run was steady or had a bad patch.
 */
export function segmentRates(completionsMs: readonly number[], startMs: number, perUnit: number, segments = 3): number[] {
  const sorted = [...completionsMs].sort((a, b) => a - b);
  const out: number[] = [];
  let from = startMs;
  for (let s = 1; s <= segments; s++) {
    const lo = Math.round(((s - 1) * sorted.length) / segments);
    const hi = Math.round((s * sorted.length) / segments);
    if (hi <= lo) continue;
    const to = sorted[hi - 1]!;
    out.push(round(((hi - lo) * perUnit) / Math.max(1e-3, (to - from) / 1000)));
    from = to;
  }
  return out;
}

// ---- cleanup: temp dirs and child processes go away even when a suite throws or ^C ----
//
// Every temp dir of a run lives under one base dir named after the run's PID. On a signal the
// synchronous part runs first (SIGKILL to child processes, remove the base dir), because tsx
// SIGKILLs a child that does not answer a relayed signal within a few tens of ms; the orderly
// async cleanup follows. A run killed outright leaves its base dir, which the next run removes
// once that PID is gone.

const BASE_PREFIX = 'peerdesk-bench-';
const cleanups: Array<() => Promise<void> | void> = [];
const emergencies = new Set<() => void>();
let baseDir: string | undefined;

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A synchronous last resort for a signal (e.g. SIGKILL a child); returns its unregister. */
export function onEmergency(fn: () => void): () => void {
  emergencies.add(fn);
  return () => emergencies.delete(fn);
}

let cleaning: Promise<void> | null = null;

/** Run every registered cleanup, newest first. Callers during a run share that run. */
export function runCleanups(): Promise<void> {
  cleaning ??= (async () => {
    try {
      while (cleanups.length > 0) {
        const fn = cleanups.pop()!;
        try {
          await fn();
        } catch (error) {
          note(`cleanup failed: ${String(error)}`);
        }
      }
      removeBaseDir();
    } finally {
      cleaning = null;
    }
  })();
  return cleaning;
}

function removeBaseDir(): void {
  if (baseDir) fs.rmSync(baseDir, { recursive: true, force: true });
  baseDir = undefined;
}

let signalsHooked = false;
export function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // Stay subscribed: a repeated signal (a terminal's ^C also reaches tsx, which relays it)
    // must not end the process half-way through the cleanup.
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      note(`${signal}: cleaning up`);
      for (const fn of emergencies) {
        try {
          fn();
        } catch {
          // best effort: the async cleanup below tries again
        }
      }
      try {
        removeBaseDir();
      } catch {
        // a child may still hold files for a moment; the async cleanup retries
      }
      void runCleanups().finally(() => process.exit(130));
    });
  }
}

/** Remove base dirs left by runs that were killed outright (their PID no longer runs). */
export function sweepStaleTempDirs(): void {
  for (const entry of fs.readdirSync(os.tmpdir())) {
    const match = new RegExp(`^${BASE_PREFIX}(\\d+)-`).exec(entry);
    if (!match || Number(match[1]) === process.pid) continue;
    try {
      process.kill(Number(match[1]), 0);
      continue; // still running
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    note(`removing ${entry} left by an interrupted run`);
    fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
  }
}

/**
 * Something to release as soon as a phase is done (so its files do not weigh on the next
 * phase), and at cleanup anyway when the phase fails. release() runs `fn` at most once.
 */
export function resource(fn: () => Promise<void> | void): { release: () => Promise<void> } {
  let released: Promise<void> | undefined;
  const release = () => (released ??= Promise.resolve().then(fn));
  onCleanup(release);
  return { release };
}

/** A fresh temp dir under this run's base dir, removed by release() or at cleanup. */
export function tempDir(prefix: string): { path: string; release: () => Promise<void> } {
  baseDir ??= fs.mkdtempSync(path.join(os.tmpdir(), `${BASE_PREFIX}${process.pid}-`));
  const dir = fs.mkdtempSync(path.join(baseDir, prefix));
  return { path: dir, ...resource(() => fs.rmSync(dir, { recursive: true, force: true })) };
}

// ---- a small keep-alive HTTP client (node:http, no per-request fetch overhead) ----

export interface HttpResult {
  status: number;
  body: string;
  ms: number;
}

export class OpsClient {
  readonly #agent: http.Agent;
  readonly #url: URL;

  constructor(
    url: string,
    private readonly authorization: string,
    maxSockets = 64,
  ) {
    this.#url = new URL(url);
    this.#agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** POST a JSON body (string or Buffer, pre-serialised so the client costs little). */
  post(body: string | Buffer): Promise<HttpResult> {
    const start = nowMs();
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.#agent,
          host: this.#url.hostname,
          port: this.#url.port,
          path: '/',
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length, Authorization: this.authorization },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: nowMs() - start }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** POST and throw unless 200; returns the parsed body. */
  async ok<T = unknown>(body: unknown): Promise<T> {
    const result = await this.post(JSON.stringify(body));
    if (result.status !== 200) throw new Error(`${JSON.stringify(body).slice(0, 200)} → ${result.status} ${result.body.slice(0, 500)}`);
    return JSON.parse(result.body) as T;
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * Run `worker` on `concurrency` loops until `total` units are taken (each call takes one
 * unit index) or `deadlineMs` passes. Returns units done and elapsed ms.
 */
export async function drive(
  concurrency: number,
  total: number,
  worker: (unit: number) => Promise<void>,
  deadlineMs = Infinity,
): Promise<{ done: number; elapsedMs: number }> {
  let next = 0;
  let done = 0;
  const start = nowMs();
  const end = start + deadlineMs;
  const loop = async () => {
    while (next < total && nowMs() < end) {
      const unit = next++;
      await worker(unit);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, loop));
  return { done, elapsedMs: nowMs() - start };
}
