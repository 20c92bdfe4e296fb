/** The table browser view: the database tree beside the selected table (kept per connection). */
import { useState } from 'react';
import type { TableRef } from '../../api/operations/types.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import type { ConnectionProfile } from '../connections/model.ts';
import { useViewState } from '../connections/view-state.ts';
import { CreateTableDialog } from './CreateTableDialog.tsx';
import { DatabaseTree } from './DatabaseTree.tsx';
import { TableBrowser } from './TableBrowser.tsx';

export function TablesView({ client, profile }: { client: OpsClient; profile: ConnectionProfile }) {
  const [selected, setSelected] = useViewState<TableRef | null>(profile.id, 'tables:selected', null);
  const [creating, setCreating] = useState(false);

  return (
    <div className="tables-view">
      <DatabaseTree client={client} selected={selected} onSelect={setSelected} onCreateTable={() => setCreating(true)} />
      <div className="tables-main">
        {selected ? (
          <TableBrowser key={`${selected.database}.${selected.table}`} client={client} profile={profile} table={selected} onDropped={() => setSelected(null)} />
        ) : (
          <EmptyState title="Choose a table">
            Pick a table on the left to browse its records. The <code>system</code> database lists this node's cluster members (hdb_nodes), certificates
            (hdb_certificate) and users (hdb_user).
          </EmptyState>
        )}
      </div>
      {creating && (
        <CreateTableDialog
          client={client}
          onClose={() => setCreating(false)}
          onCreated={(ref) => {
            setCreating(false);
            setSelected(ref);
          }}
        />
      )}
    </div>
  );
}
