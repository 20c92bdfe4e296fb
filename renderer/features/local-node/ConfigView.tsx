/** get_configuration as key paths and values (operationsApi.network.port = 9925), filterable. */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { getConfigurationQuery } from '../../api/operations/get-configuration.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { IconButton } from '../../components/IconButton.tsx';

/** Leaves of a configuration object as [dotted path, JSON value]. */
export function flatten(value: unknown, prefix = ''): Array<[string, string]> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [[prefix, '{}']];
    return entries.flatMap(([key, inner]) => flatten(inner, prefix ? `${prefix}.${key}` : key));
  }
  return [[prefix, JSON.stringify(value) ?? 'undefined']];
}

export function ConfigView({ client }: { client: OpsClient }) {
  const config = useQuery(getConfigurationQuery(client));
  const [filter, setFilter] = useState('');
  const rows = config.data ? flatten(config.data).filter(([key, value]) => `${key} ${value}`.toLowerCase().includes(filter.toLowerCase())) : [];
  return (
    <section className="card" aria-labelledby="config-title">
      <div className="pane-heading">
        <h3 id="config-title">Configuration</h3>
        <span className="pane-actions">
          <input className="compact" aria-label="Filter configuration" placeholder="Filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
          <IconButton icon="refresh" label="Reload configuration" onClick={() => void config.refetch()} />
        </span>
      </div>
      <ErrorNotice error={config.error} onRetry={() => void config.refetch()} />
      {config.isPending && <p className="muted">Loading…</p>}
      {config.data && (
        <div className="scroll-box">
          <table className="grid compact-grid" data-testid="config-table">
            <tbody>
              {rows.map(([key, value]) => (
                <tr key={key}>
                  <th scope="row">
                    <code>{key}</code>
                  </th>
                  <td>
                    <code>{value}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <p className="muted">No key matches “{filter}”.</p>}
        </div>
      )}
    </section>
  );
}
