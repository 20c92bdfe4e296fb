/**
 * One table: its description, a search bar, one page of records sorted and paged by the node,
 * a record's JSON beside the grid, insert/edit/delete, export of the page shown, and drop.
 * The query state is kept per connection and table, so coming back finds the same page.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { describeTableQuery } from '../../api/operations/describe-table.ts';
import { dropTableMutation } from '../../api/operations/drop-table.ts';
import { searchByConditionsQuery } from '../../api/operations/search-by-conditions.ts';
import { browseRecords } from './browse-form.ts';
import { searchByValueQuery } from '../../api/operations/search-by-value.ts';
import { primaryKeyOf, type DataRecord, type PrimaryKey, type TableRef } from '../../api/operations/types.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon } from '../../components/Icon.tsx';
import { IconButton } from '../../components/IconButton.tsx';
import { downloadText } from '../../lib/download.ts';
import { formatNumber } from '../../lib/format.ts';
import type { ConnectionProfile } from '../connections/model.ts';
import { useViewState } from '../connections/view-state.ts';
import { toCsv, toJson } from './export.ts';
import { buildRequest, columnsOf, initialQueryState, PAGE_SIZES, withoutSecrets, type QueryState } from './query-state.ts';
import { RecordEditor } from './RecordEditor.tsx';
import { RecordLocations } from './RecordLocations.tsx';
import { RecordPanel } from './RecordPanel.tsx';
import { RecordsGrid } from './RecordsGrid.tsx';
import { SearchBar } from './SearchBar.tsx';

interface TableBrowserProps {
  client: OpsClient;
  profile: ConnectionProfile;
  table: TableRef;
  onDropped: () => void;
}

type Editing = { kind: 'insert' } | { kind: 'edit'; record: DataRecord } | null;

export function TableBrowser({ client, profile, table, onDropped }: TableBrowserProps) {
  const queryClient = useQueryClient();
  const described = useQuery(describeTableQuery(client, table));
  const primaryKey = described.data ? primaryKeyOf(described.data) : null;
  const viewKey = `table:${table.database}.${table.table}`;
  const [state, setState] = useViewState<QueryState | null>(profile.id, `${viewKey}:query`, null);
  const [openKey, setOpenKey] = useViewState<PrimaryKey | null>(profile.id, `${viewKey}:record`, null);
  const [editing, setEditing] = useState<Editing>(null);
  const [dropping, setDropping] = useState(false);
  const drop = useMutation(dropTableMutation(client));

  const query = state ?? (primaryKey ? initialQueryState(primaryKey) : null);
  const built = query && primaryKey ? buildRequest(table, query, primaryKey) : null;
  const conditionsRequest = built?.operation === 'search_by_conditions' ? built.request : { ...table, conditions: [] };
  const byConditions = useQuery({
    ...searchByConditionsQuery(client, conditionsRequest),
    queryFn: ({ signal }) => browseRecords(client, conditionsRequest, primaryKey ?? '', signal),
    enabled: built?.operation === 'search_by_conditions',
  });
  const byValue = useQuery({
    ...searchByValueQuery(client, built?.operation === 'search_by_value' ? built.request : { ...table, attribute: 'id', value: '*' }),
    enabled: built?.operation === 'search_by_value',
  });
  const results = built?.operation === 'search_by_value' ? byValue : byConditions;

  const readOnly = table.database === 'system';
  const fetched = results.data ? withoutSecrets(table, results.data) : [];
  const pageSize = query?.pageSize ?? 25;
  const hasMore = fetched.length > pageSize;
  const records = hasMore ? fetched.slice(0, pageSize) : fetched;
  const attributes = described.data ? described.data.attributes.map((a) => a.attribute) : [];
  const columns = primaryKey ? columnsOf(table, primaryKey, attributes, records) : [];
  const searchable = columns.length > 0 ? columns : attributes;
  const total = described.data?.record_count;

  if (described.error) return <ErrorNotice error={described.error} onRetry={() => void described.refetch()} />;
  if (!query || !primaryKey || !described.data) return <p className="muted pad">Loading {table.database}.{table.table}…</p>;

  const update = (patch: Partial<QueryState>) => setState({ ...query, ...patch });
  const first = query.page * pageSize + 1;
  const last = query.page * pageSize + records.length;
  const baseName = `${table.database}.${table.table}${query.page > 0 ? `-page${query.page + 1}` : ''}`;

  function sortBy(attribute: string) {
    const current = query!.sort ?? { attribute: primaryKey!, descending: false };
    update({ sort: { attribute, descending: current.attribute === attribute ? !current.descending : false }, page: 0 });
  }

  async function confirmDrop() {
    try {
      await drop.mutateAsync(table);
      await queryClient.invalidateQueries({ queryKey: [client.connectionId, 'describe_all'] });
      setDropping(false);
      onDropped();
    } catch {
      // shown in the dialog from drop.error
    }
  }

  const listed = openKey === null ? undefined : records.find((r) => r[primaryKey] === openKey);

  return (
    <section className="table-browser" aria-labelledby="table-title">
      <div className="table-toolbar">
        <div className="table-title">
          <h3 id="table-title">
            {table.database}.{table.table}
          </h3>
          <span className="muted small">
            {formatNumber(total)} record{total === 1 ? '' : 's'} · primary key <code>{primaryKey}</code>
          </span>
        </div>
        <div className="row wrap">
          {!readOnly && (
            <button type="button" onClick={() => setEditing({ kind: 'insert' })}>
              <Icon name="plus" /> Insert record
            </button>
          )}
          <button type="button" className="button-secondary" disabled={records.length === 0} onClick={() => downloadText(`${baseName}.csv`, toCsv(columns, records), 'text/csv;charset=utf-8')}>
            <Icon name="download" /> Export CSV
          </button>
          <button type="button" className="button-secondary" disabled={records.length === 0} onClick={() => downloadText(`${baseName}.json`, toJson(records), 'application/json')}>
            <Icon name="download" /> Export JSON
          </button>
          <IconButton
            icon="refresh"
            label="Refresh records"
            onClick={() => {
              void results.refetch();
              void described.refetch();
            }}
          />
          {!readOnly && <IconButton icon="trash" label={`Drop table ${table.database}.${table.table}`} className="danger" onClick={() => setDropping(true)} />}
        </div>
      </div>

      <RecordLocations description={described.data} />

      <SearchBar key={`${viewKey}:${query.mode}`} state={query} attributes={searchable} onApply={(search) => update({ ...search, page: 0 })} />

      <ErrorNotice error={results.error} onRetry={() => void results.refetch()} />

      <div className={`browser-body ${openKey !== null ? 'with-panel' : ''}`}>
        <div className="browser-main">
          {results.isPending && results.fetchStatus !== 'idle' ? (
            <p className="muted pad">Loading records…</p>
          ) : records.length === 0 && !results.error ? (
            <EmptyState
              title={query.mode === 'all' && query.page === 0 ? 'This table is empty' : 'No records match'}
              action={
                query.mode === 'all' && query.page === 0 && !readOnly ? (
                  <button type="button" onClick={() => setEditing({ kind: 'insert' })}>
                    Insert the first record
                  </button>
                ) : query.mode !== 'all' ? (
                  <button type="button" className="button-secondary" onClick={() => update({ mode: 'all', page: 0 })}>
                    Show all records
                  </button>
                ) : undefined
              }
            >
              {query.mode === 'all' && query.page === 0
                ? readOnly
                  ? 'Nothing is stored here yet.'
                  : 'Insert a record here, or write to this table from any client; records replicate from other nodes too.'
                : 'Change the search, or go back to all records.'}
            </EmptyState>
          ) : (
            <RecordsGrid
              columns={columns}
              records={records}
              primaryKey={primaryKey}
              sort={query.sort}
              onSort={query.mode === 'value' ? null : sortBy}
              selectedKey={openKey ?? undefined}
              onOpen={(record) => setOpenKey(record[primaryKey] as PrimaryKey)}
            />
          )}
          <div className="pager" aria-label="Pages">
            <span className="muted small" aria-live="polite" data-testid="pager-text">
              {records.length > 0 ? `Rows ${formatNumber(first)}–${formatNumber(last)}${query.mode === 'all' && total !== undefined ? ` of ${formatNumber(total)}` : ''}` : ''}
              {results.isFetching && !results.isPending ? ' · updating…' : ''}
              {query.mode === 'value' ? ' · a value search is in index order; use conditions to sort' : ''}
            </span>
            <label className="inline small">
              Rows per page
              <select value={pageSize} onChange={(e) => update({ pageSize: Number(e.target.value), page: 0 })}>
                {PAGE_SIZES.map((size) => (
                  <option key={size}>{size}</option>
                ))}
              </select>
            </label>
            <IconButton icon="chevronLeft" label="Previous page" disabled={query.page === 0} onClick={() => update({ page: query.page - 1 })} />
            <span className="small">Page {query.page + 1}</span>
            <IconButton icon="chevronRight" label="Next page" disabled={!hasMore} onClick={() => update({ page: query.page + 1 })} />
          </div>
        </div>
        {openKey !== null && (
          <RecordPanel
            key={String(openKey)}
            client={client}
            profile={profile}
            table={table}
            primaryKey={primaryKey}
            recordKey={openKey}
            listed={listed}
            readOnly={readOnly}
            onEdit={(record) => setEditing({ kind: 'edit', record })}
            onClose={() => setOpenKey(null)}
          />
        )}
      </div>

      {editing && (
        <RecordEditor
          client={client}
          table={table}
          primaryKey={primaryKey}
          record={editing.kind === 'edit' ? editing.record : undefined}
          onClose={() => setEditing(null)}
          onSaved={(key) => {
            setEditing(null);
            if (key !== undefined) setOpenKey(key);
          }}
        />
      )}
      {dropping && (
        <ConfirmDialog
          title={`Drop ${table.database}.${table.table}?`}
          confirmLabel="Drop table"
          requireTyping={profile.production ? profile.name : undefined}
          busy={drop.isPending}
          error={drop.error}
          onCancel={() => {
            drop.reset();
            setDropping(false);
          }}
          onConfirm={() => void confirmDrop()}
        >
          <p>
            The table <strong>{table.database}.{table.table}</strong> and its {formatNumber(total)} records are removed from <strong>{profile.name}</strong> and, through
            replication, from the other nodes. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
