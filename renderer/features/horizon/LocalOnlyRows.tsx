/** The rows only this node holds, per table: key, origin node, version time and the record. */
import type { HaltedTable } from '../../api/operations/cluster-horizon.ts';
import { describeVersion, previewRecord } from './model.ts';

export function LocalOnlyRows({ tables }: { tables: HaltedTable[] }) {
  if (tables.length === 0) return <p className="small">No row exists only on this node: nothing can be lost either way.</p>;
  return (
    <table className="grid horizon-rows" data-testid="horizon-rows">
      <thead>
        <tr>
          <th scope="col">Table</th>
          <th scope="col">Key</th>
          <th scope="col">Written by</th>
          <th scope="col">Version</th>
          <th scope="col">Record</th>
        </tr>
      </thead>
      <tbody>
        {tables.flatMap((table) => [
          ...table.rows.map((row) => (
            <tr key={`${table.table}:${JSON.stringify(row.key)}`} data-testid={`horizon-row-${table.table}-${String(row.key)}`}>
              <td>{table.table}</td>
              <td>
                <code>{String(row.key)}</code>
              </td>
              <td>{row.origin}</td>
              <td>{describeVersion(row.version)}</td>
              <td className="muted small">{previewRecord(row.record)}</td>
            </tr>
          )),
          ...(table.total > table.rows.length
            ? [
                <tr key={`${table.table}:more`}>
                  <td colSpan={5} className="muted small">
                    …and {table.total - table.rows.length} more in {table.table}
                  </td>
                </tr>,
              ]
            : []),
        ])}
      </tbody>
    </table>
  );
}
