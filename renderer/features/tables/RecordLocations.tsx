/**
 * Where a table's records live (describe_table's record_count_by_node, Peerdesk): the database's
 * sharding settings in words, each member's count with a bar against the largest, and each
 * member that did not answer with why. Nothing is shown for a node that does not report counts
 * per member (HarperDB).
 */
import { describeSettings, parseRecordLocations } from '../../api/operations/sharding.ts';
import type { TableDescription } from '../../api/operations/types.ts';
import { formatNumber } from '../../lib/format.ts';
import './record-locations.css';

export function RecordLocations({ description }: { description: TableDescription }) {
  const locations = parseRecordLocations(description);
  if (!locations) return null;
  const { counts, errors, settings } = locations;
  const most = Math.max(1, ...counts.map((c) => c.count));
  const members = counts.length + errors.length;
  return (
    <details className="record-locations" open data-testid="record-locations">
      <summary>
        Where the records are <span className="muted small">({members} node{members === 1 ? '' : 's'}; {describeSettings(settings)})</span>
      </summary>
      <table className="grid compact-grid">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col" className="num">
              Records held
            </th>
            <th scope="col">
              <span className="visually-hidden">Share</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {counts.map(({ node, count }) => (
            <tr key={node} data-testid={`record-count-${node}`}>
              <th scope="row">
                <code>{node}</code>
              </th>
              <td className="num">{formatNumber(count)}</td>
              <td className="location-bar-cell">
                <span className="location-bar" style={{ width: `${(count / most) * 100}%` }} aria-hidden="true" />
              </td>
            </tr>
          ))}
          {errors.map(({ node, reason }) => (
            <tr key={node} data-testid={`record-count-error-${node}`}>
              <th scope="row">
                <code>{node}</code>
              </th>
              <td className="num muted">—</td>
              <td className="row-error small">did not answer: {reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
