/**
 * Resuming an initial copy after the receiver was killed mid-copy. The receiver persists, with
 * every batch it commits, where the copy stands (the peer, the sender's log position the copy
 * started at, the last item committed, how many items it has); on its next hello to that same
 * peer it asks to resume after that item. The sender resumes when its log still holds
 * everything after that starting position: it sends the rest from a new snapshot and ends the
 * copy at the ORIGINAL position, so the log streamed afterwards carries every write made since
 * the copy began — to keys copied before the kill too. Re-applied writes change nothing (the
 * conflict rule), deletes arrive as tombstones in the new snapshot or as log deletes. When the
 * log no longer reaches back that far, the sender sends the whole copy again (never a gap).
 */
import type { Database, MetaKey, MetaWriter } from '../storage/database.ts';
import { PURGED_THROUGH_KEY } from '../storage/database.ts';
import type { PrimaryKey } from '../storage/types.ts';
import { copyResumeSchema, COPY_STAGES, type CopyResume, type CopyStage } from './protocol.ts';

/** Meta key of the copy in progress on this (receiving) node, one per database. */
export const COPY_STATE_KEY: MetaKey = ['copyState'];

/** What a receiver persists with each committed copy batch. */
export interface CopyState {
  /** the node the copy comes from: a resume is asked only of it */
  peer: string;
  /** the sender's log position the copy started at */
  sequence: number;
  table: string;
  stage: CopyStage;
  afterKey: PrimaryKey;
  /** items (records, stubs, tombstones) committed so far */
  copied: number;
}

export function readCopyState(database: Database): CopyState | null {
  const state = database.getMeta<CopyState>(COPY_STATE_KEY);
  if (!state || typeof state.peer !== 'string' || typeof state.copied !== 'number') return null;
  const resume = copyResumeSchema.safeParse({ sequence: state.sequence, table: state.table, stage: state.stage, afterKey: state.afterKey });
  return resume.success ? state : null;
}

export function writeCopyState(meta: MetaWriter, state: CopyState | undefined): void {
  meta.set(COPY_STATE_KEY, state);
}

/** The hello's copyResume for `peer`, when this node committed part of a copy from that peer. */
export function copyResumeFor(database: Database, peer: string): { copyResume?: CopyResume } {
  const state = readCopyState(database);
  if (!state || state.peer !== peer) return {};
  return { copyResume: { sequence: state.sequence, table: state.table, stage: state.stage, afterKey: state.afterKey } };
}

/**
 * Sender side: whether `resume` can be honoured — the log after its position is all still
 * here (nothing purged past it) and the position is one this node's log has reached.
 */
export function canResume(database: Database, resume: CopyResume): boolean {
  const purgedThrough = database.getMeta<number>(PURGED_THROUGH_KEY) ?? 0;
  return resume.sequence >= purgedThrough && resume.sequence <= Math.max(database.lastSequence(), purgedThrough);
}

/** Where a table's copy starts under `resume`: skip it, start after a key in a stage, or all of it. */
export type TableStart = 'skip' | { stage: CopyStage; after?: PrimaryKey } | 'all';

/** Tables are copied in name order (stable across restarts), each stage by stage. */
export function tableStart(table: string, resume: CopyResume | null): TableStart {
  if (!resume) return 'all';
  if (table < resume.table) return 'skip';
  if (table > resume.table) return 'all';
  return { stage: resume.stage, after: resume.afterKey };
}

/** Whether `stage` of a table is sent under `start`, and after which key. */
export function stageStart(stage: CopyStage, start: Exclude<TableStart, 'skip'>): { send: boolean; after?: PrimaryKey } {
  if (start === 'all') return { send: true };
  const order = COPY_STAGES.indexOf(stage) - COPY_STAGES.indexOf(start.stage);
  if (order < 0) return { send: false };
  return order === 0 ? { send: true, after: start.after } : { send: true };
}
