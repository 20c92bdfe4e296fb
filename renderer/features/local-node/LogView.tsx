/** The node's recent log lines (read_log), newest first, filterable by level. */
import { useQuery } from '@tanstack/react-query';
import { LOG_LEVELS, readLogQuery, type LogLevel, type LogLine } from '../../api/operations/read-log.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { IconButton } from '../../components/IconButton.tsx';
import { StatusBadge, type Tone } from '../../components/StatusBadge.tsx';
import { useViewState } from '../connections/view-state.ts';

const LEVEL_TONE: Record<string, Tone> = { trace: 'idle', debug: 'idle', info: 'info', notify: 'info', warn: 'warn', error: 'bad', fatal: 'bad' };
const LOG_LIMIT = 200;

function extraFields(line: LogLine): string {
  const { level: _level, message: _message, timestamp: _timestamp, ...rest } = line;
  return Object.keys(rest).length ? JSON.stringify(rest) : '';
}

export function LogView({ client, connectionId }: { client: OpsClient; connectionId: string }) {
  const [level, setLevel] = useViewState<LogLevel | ''>(connectionId, 'node:log-level', '');
  const log = useQuery(readLogQuery(client, { limit: LOG_LIMIT, order: 'desc', ...(level ? { level } : {}) }));
  return (
    <section className="card" aria-labelledby="log-title">
      <div className="pane-heading">
        <h3 id="log-title">Recent log lines</h3>
        <span className="pane-actions">
          <select aria-label="Log level" value={level} onChange={(e) => setLevel(e.target.value as LogLevel | '')}>
            <option value="">All levels</option>
            {LOG_LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
          <IconButton icon="refresh" label="Reload log" onClick={() => void log.refetch()} />
        </span>
      </div>
      <ErrorNotice error={log.error} onRetry={() => void log.refetch()} />
      {log.data?.length === 0 && (
        <EmptyState title="No log lines">
          Nothing was logged {level ? `at level ${level} ` : ''}since the node started. The node keeps recent lines at or above its <code>logging.level</code> (see
          Configuration).
        </EmptyState>
      )}
      {log.data && log.data.length > 0 && (
        <div className="scroll-box">
          <table className="grid compact-grid log-grid" data-testid="log-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Level</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {log.data.map((line, index) => (
                <tr key={`${line.timestamp}-${index}`}>
                  <td className="nowrap tabular">{line.timestamp.replace('T', ' ').replace('Z', '')}</td>
                  <td>
                    <StatusBadge tone={LEVEL_TONE[line.level] ?? 'idle'}>{line.level}</StatusBadge>
                  </td>
                  <td>
                    {line.message}
                    {extraFields(line) && <code className="log-fields block">{extraFields(line)}</code>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
