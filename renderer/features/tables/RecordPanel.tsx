/**
 * One record as JSON (fetched fresh with search_by_id), with Edit and Delete. Deleting asks
 * first; on a production connection the connection's name must be typed.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { deleteMutation } from '../../api/operations/delete.ts';
import { searchByIdQuery } from '../../api/operations/search-by-id.ts';
import type { DataRecord, PrimaryKey, TableRef } from '../../api/operations/types.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { IconButton } from '../../components/IconButton.tsx';
import type { ConnectionProfile } from '../connections/model.ts';
import { invalidateTable } from './invalidate.ts';
import { withoutSecrets } from './query-state.ts';

interface RecordPanelProps {
  client: OpsClient;
  profile: ConnectionProfile;
  table: TableRef;
  primaryKey: string;
  recordKey: PrimaryKey;
  /** the row as listed, shown until the fresh copy arrives */
  listed: DataRecord | undefined;
  readOnly: boolean;
  onEdit: (record: DataRecord) => void;
  onClose: () => void;
}

export function RecordPanel({ client, profile, table, primaryKey, recordKey, listed, readOnly, onEdit, onClose }: RecordPanelProps) {
  const queryClient = useQueryClient();
  const fresh = useQuery({ ...searchByIdQuery(client, { ...table, ids: [recordKey] }), placeholderData: listed ? [listed] : undefined });
  const record = fresh.data ? withoutSecrets(table, fresh.data)[0] : undefined;
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(deleteMutation(client));

  async function confirmDelete() {
    try {
      await remove.mutateAsync({ ...table, ids: [recordKey] });
      await invalidateTable(queryClient, client, table);
      setConfirming(false);
      onClose();
    } catch {
      // shown in the dialog from remove.error
    }
  }

  return (
    <aside className="record-panel" aria-label={`Record ${String(recordKey)}`} data-testid="record-panel">
      <div className="pane-heading">
        <h3>
          {primaryKey} = {JSON.stringify(recordKey)}
        </h3>
        <IconButton icon="close" label="Close record" onClick={onClose} />
      </div>
      <ErrorNotice error={fresh.error} />
      {fresh.isSuccess && !record && <p className="muted pad">This record no longer exists (it was deleted, perhaps on another node).</p>}
      {record && <pre className="json" data-testid="record-json">{JSON.stringify(record, null, 2)}</pre>}
      {readOnly ? (
        <p className="muted pad small">System tables change only through their operations (add_user, add_node, add_certificate); they are read-only here.</p>
      ) : (
        <div className="row pad">
          <button type="button" disabled={!record} onClick={() => record && onEdit(record)}>
            Edit
          </button>
          <button type="button" className="button-danger" disabled={!record} onClick={() => setConfirming(true)}>
            Delete
          </button>
        </div>
      )}
      {confirming && (
        <ConfirmDialog
          title="Delete this record?"
          confirmLabel="Delete record"
          requireTyping={profile.production ? profile.name : undefined}
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            remove.reset();
            setConfirming(false);
          }}
          onConfirm={() => void confirmDelete()}
        >
          <p>
            Delete the record with {primaryKey} <code>{JSON.stringify(recordKey)}</code> from <strong>{table.database}.{table.table}</strong> on{' '}
            <strong>{profile.name}</strong>? The delete replicates to every node of the cluster.
          </p>
        </ConfirmDialog>
      )}
    </aside>
  );
}
