/**
 * The databases and tables of a connection: user databases from describe_all, then `system`
 * from describe_database (super_user only). Arrow keys move between tables, Enter opens one.
 */
import { useQuery } from '@tanstack/react-query';
import { describeAllQuery } from '../../api/operations/describe-all.ts';
import { describeDatabaseQuery } from '../../api/operations/describe-database.ts';
import type { DatabaseDescription, TableRef } from '../../api/operations/types.ts';
import { isSuperUser, userInfoQuery } from '../../api/operations/user-info.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon } from '../../components/Icon.tsx';
import { IconButton } from '../../components/IconButton.tsx';
import { useRovingFocus } from '../../components/use-roving-focus.ts';
import { formatNumber } from '../../lib/format.ts';

interface DatabaseTreeProps {
  client: OpsClient;
  selected: TableRef | null;
  onSelect: (ref: TableRef) => void;
  onCreateTable: () => void;
}

function sameTable(a: TableRef | null, b: TableRef): boolean {
  return a !== null && a.database === b.database && a.table === b.table;
}

export function DatabaseTree({ client, selected, onSelect, onCreateTable }: DatabaseTreeProps) {
  const all = useQuery(describeAllQuery(client));
  const me = useQuery(userInfoQuery(client));
  const superUser = isSuperUser(me.data);
  const system = useQuery({ ...describeDatabaseQuery(client, { database: 'system' }), enabled: superUser });
  const onKeyDown = useRovingFocus('vertical');

  const databases: Array<[string, DatabaseDescription]> = Object.entries(all.data ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (system.data) databases.push(['system', system.data]);
  const firstRef = databases[0] && Object.keys(databases[0][1])[0] ? { database: databases[0][0], table: Object.keys(databases[0][1]).sort()[0]! } : null;
  const anchor = selected ?? firstRef;

  return (
    <div className="tree" data-testid="database-tree">
      <div className="pane-heading">
        <h3>Databases</h3>
        <span className="pane-actions">
          {superUser && <IconButton icon="plus" label="Create table" onClick={onCreateTable} />}
          <IconButton
            icon="refresh"
            label="Refresh databases"
            onClick={() => {
              void all.refetch();
              if (superUser) void system.refetch();
            }}
          />
        </span>
      </div>
      <ErrorNotice error={all.error} onRetry={() => void all.refetch()} />
      {all.isPending && <p className="muted pad">Loading databases…</p>}
      {all.isSuccess && Object.keys(all.data).length === 0 && (
        <EmptyState title="No databases yet">
          This node has no user tables. {superUser ? 'Create one with + above, ' : 'Ask a super_user to create one, '}
          or write to a table from any HarperDB client; it appears here.
        </EmptyState>
      )}
      <ul className="tree-list" onKeyDown={onKeyDown} aria-label="Tables">
        {databases.map(([database, tables]) => (
          <li key={database}>
            <span className="tree-database">
              <Icon name="database" size={14} /> {database}
            </span>
            <ul>
              {Object.keys(tables)
                .sort((a, b) => a.localeCompare(b))
                .map((table) => {
                  const ref = { database, table };
                  const isSelected = sameTable(selected, ref);
                  return (
                    <li key={table}>
                      <button
                        type="button"
                        className={`tree-table ${isSelected ? 'selected' : ''}`}
                        data-roving-item
                        tabIndex={sameTable(anchor, ref) ? 0 : -1}
                        aria-current={isSelected ? 'true' : undefined}
                        onClick={() => onSelect(ref)}
                        data-testid={`table-${database}.${table}`}
                        title={`${database}.${table} · ${formatNumber(tables[table]?.record_count)} records`}
                      >
                        <Icon name="table" size={14} />
                        <span className="tree-table-name">{table}</span>
                        <span className="tree-count">{formatNumber(tables[table]?.record_count)}</span>
                      </button>
                    </li>
                  );
                })}
            </ul>
          </li>
        ))}
      </ul>
      {me.isSuccess && !superUser && <p className="muted pad small">The system database is shown to super_user accounts only.</p>}
      <ErrorNotice error={system.error} />
    </div>
  );
}
