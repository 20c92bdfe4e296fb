/**
 * Auto-refresh done carefully: every `intervalMs` (0 = off) call `refresh`, but skip the tick
 * while the document is hidden or while a fetch is still in flight (never two at once); when
 * the document becomes visible again after a missed tick, refresh at once.
 */
import { useEffect, useRef } from 'react';

export const REFRESH_INTERVALS = [
  { ms: 0, label: 'Off' },
  { ms: 2_000, label: '2s' },
  { ms: 5_000, label: '5s' },
  { ms: 10_000, label: '10s' },
  { ms: 30_000, label: '30s' },
] as const;

interface AutoRefreshOptions {
  intervalMs: number;
  refresh: () => Promise<unknown>;
  /** a fetch is running (from the queries, so manual refreshes count too) */
  isFetching: boolean;
  /** when the data was last updated (ms), to catch up after the page was hidden */
  updatedAt: number;
}

export function useAutoRefresh({ intervalMs, refresh, isFetching, updatedAt }: AutoRefreshOptions): void {
  const latest = useRef({ refresh, isFetching, updatedAt });
  latest.current = { refresh, isFetching, updatedAt };

  useEffect(() => {
    if (intervalMs <= 0) return;
    const tick = () => {
      const { refresh: run, isFetching: busy } = latest.current;
      if (document.hidden || busy) return;
      latest.current.isFetching = true; // until the queries report it themselves
      void run();
    };
    const timer = setInterval(tick, intervalMs);
    const onVisibility = () => {
      if (!document.hidden && Date.now() - latest.current.updatedAt >= intervalMs) tick();
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [intervalMs]);
}
