/** A database socket's state as a tone and a word (never colour alone). */
import type { DatabaseSocket } from '../../api/operations/cluster-status.ts';
import type { Tone } from '../../components/StatusBadge.tsx';

/** Above this, a peer's backlog is worth a warning. */
export const BACKPRESSURE_WARN_PERCENT = 50;
export const LAG_WARN_MS = 5_000;

export function socketState(socket: DatabaseSocket): { tone: Tone; word: string } {
  if (!socket.connected) return { tone: 'bad', word: 'Disconnected' };
  // Held at a tombstone horizon (features/horizon/): up, but nothing flows until the user decides.
  if (socket.lastReceivedStatus === 'Halted') return { tone: 'bad', word: 'Halted' };
  if (socket.lastReceivedStatus === 'Copying' || (socket.copy_progress && !socket.copy_progress.done)) return { tone: 'info', word: 'Copying' };
  if ((socket.backPressurePercent ?? 0) >= BACKPRESSURE_WARN_PERCENT) return { tone: 'warn', word: 'Backlogged' };
  if (socket.lastReceivedStatus === 'Receiving') return { tone: 'ok', word: 'Receiving' };
  return { tone: 'ok', word: 'Waiting' };
}
