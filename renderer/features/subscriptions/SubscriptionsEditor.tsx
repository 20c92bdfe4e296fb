/**
 * Subscriptions of one link, edited from one end (S, the node whose update_node sets them) for
 * the other (P). The main control is database-level: everything (the default) or selected
 * databases; an advanced grid has a publish ("send to P") and a subscribe ("receive from P")
 * switch per table of S (describe_all). Beside each table: what P applies, from P's own
 * hdb_nodes records (its own list for S, or S's list mirrored), so a change that has not
 * reached P, or a list P set itself, shows. Saving shows the changes first, then sends
 * update_node with the full list.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { describeAll } from '../../api/operations/describe-all.ts';
import { updateNode } from '../../api/operations/update-node.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { readNodeRows, rowsByName } from '../topology/hdb-nodes.ts';
import { ShardingPanel } from './ShardingPanel.tsx';
import { diffPolicies, policyOn, subscriptionList, SYSTEM_DATABASE, tableKey, type Change, type Direction, type LinkPolicy, type TableRef } from './model.ts';

export interface LinkEnd {
  /** node name */
  name: string;
  label: string;
  client: OpsClient | null;
}

interface SubscriptionsEditorProps {
  /** the ends of the link that can set subscriptions (reachable), the first preselected */
  editable: LinkEnd[];
  /** both ends */
  ends: [LinkEnd, LinkEnd];
  onClose: () => void;
  onSaved: () => void;
}

type Mode = 'all' | 'selected';

function yes(value: boolean): string {
  return value ? 'on' : 'off';
}

function ChangeList({ changes, peer }: { changes: Change[]; peer: string }) {
  return (
    <ul className="change-list" data-testid="subscription-diff">
      {changes.map((c) => (
        <li key={`${c.database}.${c.table}.${c.field}`} className={c.after ? 'change-on' : 'change-off'}>
          <code>
            {c.database}.{c.table}
          </code>{' '}
          — {c.field === 'publish' ? `send to ${peer}` : `receive from ${peer}`}: {yes(c.before)} → <strong>{yes(c.after)}</strong>
        </li>
      ))}
    </ul>
  );
}

function Editor({ self, peer, onClose, onSaved }: { self: LinkEnd; peer: LinkEnd; onClose: () => void; onSaved: () => void }) {
  const queryClient = useQueryClient();
  const client = self.client!;
  const tablesQuery = useQuery({ queryKey: [client.connectionId, 'describe_all'], queryFn: ({ signal }) => describeAll(client, signal), staleTime: 0 });
  const selfRows = useQuery({ queryKey: [client.connectionId, 'hdb_nodes', 'subscriptions'], queryFn: ({ signal }) => readNodeRows(client, self.name, { signal }), staleTime: 0 });
  const peerRows = useQuery({
    queryKey: [peer.client?.connectionId ?? 'none', 'hdb_nodes', 'subscriptions'],
    queryFn: ({ signal }) => readNodeRows(peer.client!, peer.name, { signal }),
    enabled: peer.client !== null,
    staleTime: 0,
  });

  const tables = useMemo<TableRef[]>(
    () =>
      Object.entries(tablesQuery.data ?? {})
        .filter(([database]) => database !== SYSTEM_DATABASE)
        .flatMap(([database, described]) => Object.keys(described).map((table) => ({ database, table })))
        .sort((x, y) => x.database.localeCompare(y.database) || x.table.localeCompare(y.table)),
    [tablesQuery.data],
  );
  const databases = useMemo(() => [...new Set(tables.map((t) => t.database))], [tables]);
  const before: LinkPolicy | null = selfRows.data ? policyOn(rowsByName(selfRows.data), self.name, peer.name) : null;
  const onPeer: LinkPolicy | null = peerRows.data ? policyOn(rowsByName(peerRows.data), peer.name, self.name) : null;

  const [mode, setMode] = useState<Mode>('all');
  const [choice, setChoice] = useState<Map<string, Direction>>(new Map());
  const [advanced, setAdvanced] = useState(false);
  const [reviewing, setReviewing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const initialised = useRef(false);

  // Start from what S applies now.
  useEffect(() => {
    if (initialised.current || !before || tables.length === 0) return;
    initialised.current = true;
    const start = new Map(tables.map((t) => [tableKey(t.database, t.table), before.direction(t.database, t.table)]));
    setChoice(start);
    const everything = [...start.values()].every((d) => d.publish && d.subscribe);
    setMode(before.source === 'default' || everything ? 'all' : 'selected');
    setAdvanced([...start.values()].some((d) => d.publish !== d.subscribe) || databases.some((db) => mixed(start, db)));
  });

  function mixed(map: Map<string, Direction>, database: string): boolean {
    const list = tables.filter((t) => t.database === database).map((t) => map.get(tableKey(t.database, t.table)));
    const all = list.every((d) => d?.publish && d.subscribe);
    const none = list.every((d) => !d?.publish && !d?.subscribe);
    return !all && !none;
  }

  const after = (t: TableRef): Direction => (mode === 'all' ? { publish: true, subscribe: true } : (choice.get(tableKey(t.database, t.table)) ?? { publish: false, subscribe: false }));
  const changes = before ? diffPolicies(tables, (t) => before.direction(t.database, t.table), after) : [];
  // "All" over explicit subscriptions is written as an explicit list of every table.
  const explicitToAll = mode === 'all' && before !== null && before.source !== 'default';
  const nothingToSave = changes.length === 0;

  function setTable(t: TableRef, field: keyof Direction, value: boolean) {
    setChoice((current) => {
      const next = new Map(current);
      const key = tableKey(t.database, t.table);
      next.set(key, { ...(next.get(key) ?? { publish: false, subscribe: false }), [field]: value });
      return next;
    });
  }

  function setDatabase(database: string, value: boolean) {
    setChoice((current) => {
      const next = new Map(current);
      for (const t of tables.filter((x) => x.database === database)) next.set(tableKey(t.database, t.table), { publish: value, subscribe: value });
      return next;
    });
  }

  async function save() {
    setSaving(true);
    setError(null);
    try {
      await updateNode(client, { hostname: peer.name, subscriptions: subscriptionList(tables, after) });
      await queryClient.invalidateQueries({ queryKey: [client.connectionId, 'hdb_nodes'] });
      onSaved();
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  }

  const loading = tablesQuery.isPending || selfRows.isPending;
  const loadError = tablesQuery.error ?? selfRows.error;

  return (
    <div className="stack">
      {loading && !loadError && <p className="muted">Reading the tables of {self.label} and its hdb_nodes records…</p>}
      <ErrorNotice error={loadError} />
      {before && tables.length > 0 && !reviewing && (
        <>
          <p className="small">
            Now on {self.label}:{' '}
            <strong>
              {before.source === 'default'
                ? 'every table, both ways (no subscriptions set)'
                : before.source === 'own'
                  ? `subscriptions ${self.label} set for ${peer.label}`
                  : `the mirror of subscriptions ${peer.label} set for ${self.label}`}
            </strong>
            .
          </p>
          <fieldset className="field">
            <legend>Replicate with {peer.label}</legend>
            <label className="check">
              <input type="radio" name="mode" checked={mode === 'all'} onChange={() => setMode('all')} />
              <span>All databases, both ways</span>
            </label>
            <label className="check">
              <input
                type="radio"
                name="mode"
                checked={mode === 'selected'}
                onChange={() => {
                  if (mode === 'all' && before?.source === 'default') setChoice(new Map(tables.map((t) => [tableKey(t.database, t.table), { publish: true, subscribe: true }])));
                  setMode('selected');
                }}
              />
              <span>Selected databases</span>
            </label>
            {mode === 'selected' && (
              <div className="database-choices">
                {databases.map((database) => {
                  const list = tables.filter((t) => t.database === database).map((t) => after(t));
                  const all = list.every((d) => d.publish && d.subscribe);
                  const some = list.some((d) => d.publish || d.subscribe);
                  return (
                    <label key={database} className="check">
                      <input
                        type="checkbox"
                        checked={all}
                        ref={(el) => {
                          if (el) el.indeterminate = some && !all;
                        }}
                        onChange={(e) => setDatabase(database, e.target.checked)}
                        aria-label={`Replicate database ${database}`}
                      />
                      <span>
                        {database} <span className="muted small">({list.length} tables{some && !all ? ', some excluded' : ''})</span>
                      </span>
                    </label>
                  );
                })}
              </div>
            )}
          </fieldset>
          {explicitToAll && (
            <p className="notice notice-warn small">
              “All” is saved as an explicit list of today's tables: a table created later on {self.label} does not replicate with {peer.label} until it is added here.
            </p>
          )}
          {mode === 'selected' && (
            <details open={advanced} onToggle={(e) => setAdvanced((e.target as HTMLDetailsElement).open)}>
              <summary>Advanced: per table</summary>
              <div className="grid-scroll">
                <table className="grid compact-grid subscriptions-grid" data-testid="subscriptions-grid">
                  <thead>
                    <tr>
                      <th scope="col">Table</th>
                      <th scope="col">Send to {peer.label} (publish)</th>
                      <th scope="col">Receive from {peer.label} (subscribe)</th>
                      <th scope="col">On {peer.label} now</th>
                    </tr>
                  </thead>
                  <tbody>
                    {tables.map((t) => {
                      const d = after(t);
                      const name = `${t.database}.${t.table}`;
                      // P's publish is S's subscribe.
                      const theirs = onPeer?.direction(t.database, t.table);
                      const agrees = theirs ? theirs.publish === d.subscribe && theirs.subscribe === d.publish : true;
                      return (
                        <tr key={name}>
                          <th scope="row">
                            <code>{name}</code>
                          </th>
                          <td>
                            <input type="checkbox" checked={d.publish} onChange={(e) => setTable(t, 'publish', e.target.checked)} aria-label={`Send ${name} to ${peer.label}`} />
                          </td>
                          <td>
                            <input type="checkbox" checked={d.subscribe} onChange={(e) => setTable(t, 'subscribe', e.target.checked)} aria-label={`Receive ${name} from ${peer.label}`} />
                          </td>
                          <td className={agrees ? 'muted small' : 'warn-text small'}>
                            {theirs ? `sends ${yes(theirs.publish)}, receives ${yes(theirs.subscribe)}${agrees ? '' : ' (differs)'}` : 'not read'}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </details>
          )}
          <p className="field-hint">
            {peer.label}'s side:{' '}
            {!peer.client
              ? 'not reachable from here, so its records cannot be shown.'
              : peerRows.error
                ? 'its records could not be read.'
                : !onPeer
                  ? 'reading…'
                  : onPeer.source === 'own'
                    ? `${peer.label} set its own subscriptions for ${self.label}; on its side they take precedence over these.`
                    : onPeer.source === 'mirror'
                      ? `${peer.label} applies the mirror of ${self.label}'s list (its hdb_nodes record of ${peer.label} as replicated).`
                      : `${peer.label} replicates everything both ways (no list has reached it).`}
          </p>
          <div className="dialog-actions">
            <button type="button" className="button-secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="button" onClick={() => setReviewing(true)} disabled={nothingToSave}>
              {nothingToSave ? 'No changes' : 'Review changes'}
            </button>
          </div>
        </>
      )}
      {before && tables.length === 0 && !loading && <p className="muted">{self.label} has no tables outside the system database, so there is nothing to choose.</p>}
      {before && reviewing && (
        <>
          <p>
            Saving runs <code>update_node</code> on {self.label} for {peer.label} with the full list ({tables.length} tables). It replicates to {peer.label}, which applies the
            mirror image.
          </p>
          {changes.length > 0 ? <ChangeList changes={changes} peer={peer.label} /> : <p className="small">No table changes direction; the list becomes explicit.</p>}
          <ErrorNotice error={error} testId="subscriptions-error" />
          <div className="dialog-actions">
            <button type="button" className="button-secondary" onClick={() => setReviewing(false)} disabled={saving}>
              Back
            </button>
            <button type="button" onClick={() => void save()} disabled={saving}>
              {saving ? 'Saving…' : 'Save subscriptions'}
            </button>
          </div>
        </>
      )}
      <ShardingPanel client={client} nodeLabel={self.label} />
    </div>
  );
}

export function SubscriptionsEditor({ editable, ends, onClose, onSaved }: SubscriptionsEditorProps) {
  const [selfName, setSelfName] = useState(editable[0]?.name ?? '');
  const self = editable.find((e) => e.name === selfName) ?? editable[0];
  const peer = self ? (ends[0].name === self.name ? ends[1] : ends[0]) : null;
  return (
    <Dialog title={`Subscriptions: ${ends[0].label} ⇄ ${ends[1].label}`} onClose={onClose} wide testId="subscriptions-editor">
      {!self || !peer ? (
        <p>Neither end of this link can be reached from here, so its subscriptions cannot be changed. Log in to one of them first.</p>
      ) : (
        <div className="stack">
          {editable.length > 1 && (
            <label className="field">
              <span>Set on</span>
              <select value={self.name} onChange={(e) => setSelfName(e.target.value)}>
                {editable.map((e) => (
                  <option key={e.name} value={e.name}>
                    {e.label} (its subscriptions for {e.name === ends[0].name ? ends[1].label : ends[0].label})
                  </option>
                ))}
              </select>
            </label>
          )}
          <Editor key={self.name} self={self} peer={peer} onClose={onClose} onSaved={onSaved} />
        </div>
      )}
    </Dialog>
  );
}
