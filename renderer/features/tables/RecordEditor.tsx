/**
 * Insert or edit one record as JSON, validated as it is typed. Edit merges the fields into the
 * stored record (update); insert refuses a key that exists. __createdtime__/__updatedtime__
 * are the node's and are left out.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { OpsError } from '../../api/errors.ts';
import { insertMutation } from '../../api/operations/insert.ts';
import type { DataRecord, PrimaryKey, TableRef } from '../../api/operations/types.ts';
import { updateMutation } from '../../api/operations/update.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { checkRecordJson } from './json-check.ts';
import { TIMESTAMP_ATTRIBUTES } from './query-state.ts';
import { invalidateTable } from './invalidate.ts';

interface RecordEditorProps {
  client: OpsClient;
  table: TableRef;
  primaryKey: string;
  /** the record to edit; absent = insert */
  record?: DataRecord | undefined;
  onClose: () => void;
  onSaved: (key: PrimaryKey | undefined) => void;
}

function editableJson(record: DataRecord | undefined, primaryKey: string): string {
  if (!record) return `{\n  "${primaryKey}": \n}`;
  const copy = { ...record };
  for (const attribute of TIMESTAMP_ATTRIBUTES) delete copy[attribute];
  return JSON.stringify(copy, null, 2);
}

export function RecordEditor({ client, table, primaryKey, record, onClose, onSaved }: RecordEditorProps) {
  const queryClient = useQueryClient();
  const mode = record ? 'update' : 'insert';
  const originalKey = record?.[primaryKey] as PrimaryKey | undefined;
  const [text, setText] = useState(() => editableJson(record, primaryKey));
  const [showProblem, setShowProblem] = useState(false);
  const check = checkRecordJson(text, primaryKey, mode, originalKey);
  const insert = useMutation(insertMutation(client));
  const update = useMutation(updateMutation(client));
  const pending = insert.isPending || update.isPending;
  const [failure, setFailure] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setShowProblem(true);
    if (!check.ok) return;
    setFailure(null);
    try {
      if (mode === 'insert') {
        const result = await insert.mutateAsync({ ...table, records: [check.record] });
        if (result.inserted_hashes.length === 0) {
          throw new OpsError('insert', client.nodeLabel, 'client', `a record with ${primaryKey} ${JSON.stringify(check.record[primaryKey])} already exists; edit it instead, or use another key`);
        }
        await invalidateTable(queryClient, client, table);
        onSaved(result.inserted_hashes[0]);
      } else {
        const result = await update.mutateAsync({ ...table, records: [check.record] });
        if (result.update_hashes.length === 0) {
          throw new OpsError('update', client.nodeLabel, 'client', `no record with ${primaryKey} ${JSON.stringify(originalKey)} exists any more (deleted meanwhile?)`);
        }
        await invalidateTable(queryClient, client, table);
        onSaved(originalKey);
      }
    } catch (error) {
      setFailure(error);
    }
  }

  return (
    <Dialog title={mode === 'insert' ? `Insert a record into ${table.database}.${table.table}` : `Edit ${primaryKey} ${JSON.stringify(originalKey)}`} onClose={onClose} wide testId="record-editor">
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>Record (JSON)</span>
          <textarea
            className="code"
            rows={14}
            value={text}
            spellCheck={false}
            onChange={(e) => {
              setText(e.target.value);
              setFailure(null);
            }}
            aria-invalid={!check.ok}
            aria-describedby="record-json-hint"
            autoFocus
          />
          <span id="record-json-hint" className={!check.ok && showProblem ? 'field-error' : 'field-hint'} role={!check.ok && showProblem ? 'alert' : undefined}>
            {!check.ok
              ? check.problem
              : mode === 'insert'
                ? `Valid. Leave out '${primaryKey}' to have the node generate one.`
                : 'Valid. Fields you change or add are merged into the stored record.'}
          </span>
        </label>
        <ErrorNotice error={failure} testId="record-editor-error" />
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={pending || (showProblem && !check.ok)}>
            {pending ? 'Saving…' : mode === 'insert' ? 'Insert' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
