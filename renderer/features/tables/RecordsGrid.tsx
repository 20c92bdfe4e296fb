/**
 * The records of one page as a table: click a column header to sort on the node; rows are a
 * keyboard list (↑/↓ move, Enter opens the record's JSON).
 */
import type { DataRecord } from '../../api/operations/types.ts';
import { useRovingFocus } from '../../components/use-roving-focus.ts';
import { formatCell } from '../../lib/format.ts';
import { TIMESTAMP_ATTRIBUTES, type QueryState } from './query-state.ts';

interface RecordsGridProps {
  columns: string[];
  records: DataRecord[];
  primaryKey: string;
  sort: QueryState['sort'];
  /** null = the current search cannot be sorted (search_by_value) */
  onSort: ((attribute: string) => void) | null;
  selectedKey: unknown;
  onOpen: (record: DataRecord) => void;
}

function cellText(column: string, value: unknown): { text: string; title?: string } {
  if (TIMESTAMP_ATTRIBUTES.includes(column) && typeof value === 'number') {
    const date = new Date(value);
    return { text: date.toISOString().replace('T', ' ').slice(0, 19), title: `${value} (${date.toString()})` };
  }
  const text = formatCell(value);
  return { text, title: text.endsWith('…') ? formatCell(value, 2000) : undefined };
}

export function RecordsGrid({ columns, records, primaryKey, sort, onSort, selectedKey, onOpen }: RecordsGridProps) {
  const onKeyDown = useRovingFocus('vertical');
  const effectiveSort = sort ?? { attribute: primaryKey, descending: false };
  return (
    <div className="grid-scroll">
      <table className="grid" data-testid="records-grid">
        <thead>
          <tr>
            {columns.map((column) => {
              const sorted = onSort && effectiveSort.attribute === column;
              const direction = sorted ? (effectiveSort.descending ? 'descending' : 'ascending') : undefined;
              return (
                <th key={column} scope="col" aria-sort={direction ?? 'none'}>
                  {onSort ? (
                    <button type="button" className="sort-button" onClick={() => onSort(column)} title={`Sort by ${column}`}>
                      {column}
                      <span className="sort-mark" aria-hidden="true">
                        {sorted ? (effectiveSort.descending ? '▼' : '▲') : ''}
                      </span>
                    </button>
                  ) : (
                    column
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody onKeyDown={onKeyDown}>
          {records.map((record, index) => {
            const key = record[primaryKey];
            const selected = selectedKey !== undefined && key === selectedKey;
            return (
              <tr
                key={`${typeof key}:${String(key)}:${index}`}
                data-roving-item
                tabIndex={selected || (selectedKey === undefined && index === 0) ? 0 : -1}
                className={selected ? 'selected' : undefined}
                aria-selected={selected}
                onClick={() => onOpen(record)}
                onKeyDown={(event) => {
                  if (event.key === 'Enter' || event.key === ' ') {
                    event.preventDefault();
                    onOpen(record);
                  }
                }}
              >
                {columns.map((column) => {
                  const { text, title } = cellText(column, record[column]);
                  return (
                    <td key={column} title={title} className={record[column] === undefined ? 'cell-missing' : undefined}>
                      {text}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
