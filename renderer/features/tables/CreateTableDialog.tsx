/** Create a table (and its database when new) with a primary key attribute. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { createTableMutation } from '../../api/operations/create-table.ts';
import type { TableRef } from '../../api/operations/types.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_$-]*$/;

export function CreateTableDialog({ client, onClose, onCreated }: { client: OpsClient; onClose: () => void; onCreated: (ref: TableRef) => void }) {
  const queryClient = useQueryClient();
  const [database, setDatabase] = useState('data');
  const [table, setTable] = useState('');
  const [primaryKey, setPrimaryKey] = useState('id');
  const [touched, setTouched] = useState(false);
  const create = useMutation(createTableMutation(client));
  const problem = [database, table, primaryKey].some((n) => !NAME_PATTERN.test(n)) ? 'Names start with a letter or _ and use letters, digits, _, $ or -.' : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (problem) return;
    try {
      await create.mutateAsync({ database, table, primary_key: primaryKey });
      await queryClient.invalidateQueries({ queryKey: [client.connectionId, 'describe_all'] });
      onCreated({ database, table });
    } catch {
      // shown below from create.error
    }
  }

  return (
    <Dialog title="Create a table" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <div className="row">
          <label className="field grow">
            <span>Database</span>
            <input value={database} onChange={(e) => setDatabase(e.target.value)} spellCheck={false} />
          </label>
          <label className="field grow">
            <span>Table</span>
            <input value={table} onChange={(e) => setTable(e.target.value)} spellCheck={false} autoFocus />
          </label>
          <label className="field grow">
            <span>Primary key</span>
            <input value={primaryKey} onChange={(e) => setPrimaryKey(e.target.value)} spellCheck={false} />
          </label>
        </div>
        {touched && problem && <span className="field-error">{problem}</span>}
        <p className="field-hint">Other attributes are added as records bring them; every attribute is indexed.</p>
        <ErrorNotice error={create.error} />
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create table'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
