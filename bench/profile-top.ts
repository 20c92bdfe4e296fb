/**
 * Prints the top N self-time functions of V8 .cpuprofile files (from `node --cpu-prof`) as a
 * table, so profiles taken before and after a change can be compared in a note.
 *
 *   npx tsx bench/profile-top.ts [--top N] [--match TEXT] [--merge] [--exclude-url TEXT] FILE.cpuprofile...
 *
 * `--merge` sums all files into one table (the chunks one process wrote over a run);
 * `--exclude-url TEXT` drops samples with a frame whose URL contains TEXT anywhere on their
 * stack (a profiler's own work, e.g. an in-process inspector session writing chunks).
 * Self time is summed per function (name + file + line), across every node of the call tree
 * where it appears; `(idle)`, `(program)` and `(garbage collector)` are kept, since GC is part
 * of a write path's cost. `--match TEXT` prints, per profile, whether any frame's URL contains
 * TEXT (e.g. `apply.ts` tells a replica's profile from the writer's). Child nodes are profiled with
 * bench/profile-preload.mjs.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Rows printed per profile unless --top says otherwise. */
const DEFAULT_TOP = 15;

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  name: string;
  where: string;
  selfMs: number;
  /** share of all sampled time, idle included */
  share: number;
  /** share of sampled time excluding (idle) */
  busyShare: number;
}

function isProfile(value: unknown): value is CpuProfile {
  const p = value as Partial<CpuProfile> | null;
  return !!p && Array.isArray(p.nodes) && Array.isArray(p.samples) && Array.isArray(p.timeDeltas);
}

function whereOf(frame: CallFrame): string {
  if (!frame.url) return '';
  const file = frame.url.replace(/^file:\/\//, '');
  const short = file.includes('/node_modules/') ? file.slice(file.lastIndexOf('/node_modules/') + 14) : path.relative(process.cwd(), file);
  return `${short}:${frame.lineNumber + 1}`;
}

/** Self time per function, largest first, summed over `profiles`. */
export function selfTimes(profiles: readonly CpuProfile[], excludeUrl?: string): { rows: SelfTimeRow[]; totalMs: number; busyMs: number } {
  const selfUs = new Map<string, { frame: CallFrame; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const excluded = excludedNodes(profile, excludeUrl);
    profile.samples.forEach((id, i) => {
      if (excluded.has(id)) return;
      // timeDeltas[i] is the time before sample i; attribute it to the sample (V8's convention).
      const us = Math.max(0, profile.timeDeltas[i] ?? 0);
      const frame = byId.get(id)?.callFrame;
      if (!frame) return;
      totalUs += us;
      if (frame.functionName === '(idle)') idleUs += us;
      const key = `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}`;
      const slot = selfUs.get(key) ?? { frame, us: 0 };
      slot.us += us;
      selfUs.set(key, slot);
    });
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rows = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .map(({ frame, us }) => ({
      name: frame.functionName || '(anonymous)',
      where: whereOf(frame),
      selfMs: us / 1000,
      share: us / Math.max(1, totalUs),
      busyShare: frame.functionName === '(idle)' ? 0 : us / busyUs,
    }));
  return { rows, totalMs: totalUs / 1000, busyMs: busyUs / 1000 };
}

/** Ids of the nodes with a frame whose URL contains `text` on their stack (themselves included). */
function excludedNodes(profile: CpuProfile, text: string | undefined): Set<number> {
  const out = new Set<number>();
  if (!text) return out;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const mark = (id: number) => {
    out.add(id);
    for (const child of byId.get(id)?.children ?? []) mark(child);
  };
  for (const node of profile.nodes) if (!out.has(node.id) && node.callFrame.url.includes(text)) mark(node.id);
  return out;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function printTable(title: string, profiles: readonly CpuProfile[], top: number, match: string | undefined, excludeUrl: string | undefined): void {
  const { rows, totalMs, busyMs } = selfTimes(profiles, excludeUrl);
  const matched = match ? profiles.some((p) => p.nodes.some((n) => n.callFrame.url.includes(match))) : undefined;
  process.stdout.write(`\n## ${title}  sampled ${(totalMs / 1000).toFixed(2)} s, busy ${(busyMs / 1000).toFixed(2)} s` + (match ? `  (${match}: ${matched ? 'yes' : 'no'})` : '') + '\n');
  process.stdout.write(`| # | self ms | % busy | function | where |\n|---|---:|---:|---|---|\n`);
  rows.slice(0, top).forEach((row, i) => {
    process.stdout.write(`| ${i + 1} | ${row.selfMs.toFixed(0)} | ${row.name === '(idle)' ? '-' : pct(row.busyShare)} | ${row.name} | ${row.where} |\n`);
  });
}

function main(argv: string[]): number {
  let top = DEFAULT_TOP;
  let match: string | undefined;
  let merge = false;
  let excludeUrl: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--top') top = Number(argv[++i]);
    else if (arg === '--match') match = argv[++i];
    else if (arg === '--merge') merge = true;
    else if (arg === '--exclude-url') excludeUrl = argv[++i];
    else files.push(arg);
  }
  if (!Number.isInteger(top) || top < 1 || files.length === 0) {
    process.stderr.write('usage: tsx bench/profile-top.ts [--top N] [--match TEXT] [--merge] [--exclude-url TEXT] FILE.cpuprofile...\n');
    return 2;
  }
  const profiles: CpuProfile[] = [];
  for (const file of files) {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!isProfile(parsed)) {
      process.stderr.write(`${file}: not a V8 .cpuprofile\n`);
      return 1;
    }
    profiles.push(parsed);
  }
  if (merge) printTable(`${files.length} profiles merged (${path.basename(files[0]!)} ...)`, profiles, top, match, excludeUrl);
  else profiles.forEach((profile, i) => printTable(path.basename(files[i]!), [profile], top, match, excludeUrl));
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = main(process.argv.slice(2));
}
