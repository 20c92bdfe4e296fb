/**
 * The auto-refresh control: interval (Off/2s/5s/10s/30s), "refresh now", and "updated Ns ago"
 * (which ticks once a second only while the page is visible).
 */
import { useEffect, useState } from 'react';
import { Icon } from '../../components/Icon.tsx';
import { formatAgo } from '../../lib/format.ts';
import { REFRESH_INTERVALS } from './use-auto-refresh.ts';

interface RefreshControlProps {
  intervalMs: number;
  onIntervalChange: (ms: number) => void;
  onRefreshNow: () => void;
  isFetching: boolean;
  updatedAt: number;
}

function UpdatedAgo({ updatedAt }: { updatedAt: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      setNow(Date.now());
      timer ??= setInterval(() => setNow(Date.now()), 1_000);
    };
    const stop = () => {
      clearInterval(timer);
      timer = undefined;
    };
    const onVisibility = () => (document.hidden ? stop() : start());
    if (!document.hidden) start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, []);
  if (!updatedAt) return <span className="muted small">Not loaded yet</span>;
  // No aria-live: a ticking text would be announced every second.
  return (
    <span className="muted small tabular" title={new Date(updatedAt).toLocaleString()} data-testid="updated-ago">
      Updated {formatAgo(updatedAt, Math.max(now, updatedAt))}
    </span>
  );
}

export function RefreshControl({ intervalMs, onIntervalChange, onRefreshNow, isFetching, updatedAt }: RefreshControlProps) {
  return (
    <div className="refresh-control">
      <UpdatedAgo updatedAt={updatedAt} />
      <div className="refresh-group" role="group" aria-label="Auto-refresh">
        <label className="inline small">
          Auto-refresh
          <select value={intervalMs} onChange={(e) => onIntervalChange(Number(e.target.value))} aria-label="Auto-refresh interval">
            {REFRESH_INTERVALS.map((option) => (
              <option key={option.ms} value={option.ms}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button-secondary" onClick={onRefreshNow} disabled={isFetching} aria-busy={isFetching}>
          <span className={isFetching ? 'spin' : undefined}>
            <Icon name="refresh" />
          </span>
          {isFetching ? 'Refreshing…' : 'Refresh now'}
        </button>
      </div>
    </div>
  );
}
