/**
 * Shards on the topology: the chip on a member node (swatch and "shard N", so the number is
 * read, not only the colour) and the legend over the canvas (each shard present, its colour
 * and member count, and the members without a shard). Nothing is drawn for a cluster without
 * shards.
 */
import type { CSSProperties } from 'react';
import { shardLegend, type ShardMark } from './shards.ts';

export function ShardChip({ mark }: { mark: ShardMark }) {
  return (
    <span className="shard-chip" style={{ '--shard': mark.colour } as CSSProperties} data-testid="shard-chip" data-shard={mark.shard}>
      <span className="shard-swatch" aria-hidden="true" />
      shard {mark.shard}
    </span>
  );
}

export function ShardLegend({ shards }: { shards: ReadonlyArray<number | null> }) {
  const { entries, unsharded } = shardLegend(shards);
  if (entries.length === 0) return null;
  return (
    <section className="shard-legend" aria-label="Shards" data-testid="shard-legend">
      <h4>Shards</h4>
      <ul className="legend-list">
        {entries.map((entry) => (
          <li key={entry.shard} className="legend-item" data-testid={`shard-legend-${entry.shard}`}>
            <ShardChip mark={entry} />
            <span className="muted small">
              {entry.members} node{entry.members === 1 ? '' : 's'}
            </span>
          </li>
        ))}
        {unsharded > 0 && (
          <li className="legend-item" data-testid="shard-legend-none">
            <span className="shard-chip neutral">
              <span className="shard-swatch" aria-hidden="true" />
              no shard
            </span>
            <span className="muted small">
              {unsharded} node{unsharded === 1 ? '' : 's'}
            </span>
          </li>
        )}
      </ul>
    </section>
  );
}
