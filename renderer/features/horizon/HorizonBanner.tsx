/**
 * The tombstone horizon, shown on every view of a connection whose node halted replication of a
 * database (SPEC 4.6): why and since when, the rows only that node holds (its peers have no trace
 * of them: they may be rows deleted elsewhere long ago, or rows written only here), and the
 * user's decision — Keep (write them again so they replicate) or Drop (delete them on this node)
 * — each confirmed first. After either, replication of the database resumes.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { clusterHorizonQuery, resolveHorizonMutation, type HaltedDatabase, type HorizonAction } from '../../api/operations/cluster-horizon.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { LocalOnlyRows } from './LocalOnlyRows.tsx';
import { rowCount } from './model.ts';
import './horizon.css';

export function HorizonBanner({ client }: { client: OpsClient }) {
  const horizon = useQuery(clusterHorizonQuery(client));
  // Not a super user, or an older node without the operation: nothing to show.
  const halted = horizon.data?.halted ?? [];
  if (halted.length === 0) return null;
  return (
    <div className="horizon-banners">
      {halted.map((database) => (
        <HaltedDatabaseNotice key={database.database} client={client} database={database} />
      ))}
    </div>
  );
}

const CONFIRM: Record<HorizonAction, { title: string; label: string; text: (n: number, db: string) => string }> = {
  keep: {
    title: 'Keep these rows?',
    label: 'Keep rows',
    text: (n, db) => `The ${n} row(s) will be written again on this node as new changes and replicate to every node of '${db}', even if another node deleted them while this one was away.`,
  },
  drop: {
    title: 'Drop these rows?',
    label: 'Drop rows',
    text: (n, db) => `The ${n} row(s) will be deleted on this node. No other node has them, so they are gone for good from '${db}'.`,
  },
};

function HaltedDatabaseNotice({ client, database }: { client: OpsClient; database: HaltedDatabase }) {
  const queryClient = useQueryClient();
  const resolve = useMutation(resolveHorizonMutation(client));
  const [confirming, setConfirming] = useState<HorizonAction | null>(null);
  const count = rowCount(database);

  async function confirm(action: HorizonAction) {
    try {
      await resolve.mutateAsync({ database: database.database, action });
      setConfirming(null);
      await queryClient.invalidateQueries({ queryKey: clusterHorizonQuery(client).queryKey });
    } catch {
      // shown in the dialog from resolve.error
    }
  }

  return (
    <section className="notice notice-warn horizon-notice" data-testid={`horizon-${database.database}`} aria-label={`Replication of ${database.database} halted`}>
      <div className="stack">
        <p>
          <strong>Replication of “{database.database}” is halted</strong> since {new Date(database.since).toLocaleString()}. {database.reason}.
        </p>
        <p className="muted small">
          This node was away longer than its peers remember deletes. The rows below exist only on this node: they may have been deleted elsewhere meanwhile, or
          written only here. Decide what happens to them; then replication resumes.
        </p>
        {database.error && <p className="muted small">{database.error}</p>}
        {database.tables && <LocalOnlyRows tables={database.tables} />}
        {resolve.isSuccess && <p className="small">{resolve.data.message}</p>}
      </div>
      {database.tables && (
        <div className="horizon-actions">
          <button type="button" className="button-secondary" onClick={() => setConfirming('keep')}>
            Keep {count} row{count === 1 ? '' : 's'}
          </button>
          <button type="button" className="button-danger" onClick={() => setConfirming('drop')}>
            Drop {count} row{count === 1 ? '' : 's'}
          </button>
        </div>
      )}
      {confirming && (
        <ConfirmDialog
          title={CONFIRM[confirming].title}
          confirmLabel={CONFIRM[confirming].label}
          busy={resolve.isPending}
          error={resolve.error}
          onConfirm={() => void confirm(confirming)}
          onCancel={() => setConfirming(null)}
        >
          {CONFIRM[confirming].text(count, database.database)}
        </ConfirmDialog>
      )}
    </section>
  );
}
