/**
 * Revoke a certificate serial for a peer: this node then refuses that peer's replication
 * connections presenting a certificate with the serial. The list lives in the peer's
 * system.hdb_nodes row (`revoked_certificates`) and update_node replaces it whole, so the
 * current list is read fresh just before it is written. Shows the peer's current list; each
 * entry can be allowed again. Every change asks first (typed on production connections).
 */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { clusterStatusQuery } from '../../api/operations/cluster-status.ts';
import { opsKey } from '../../api/operations/keys.ts';
import type { CertificateRecord } from '../../api/operations/list-certificates.ts';
import { searchByValue } from '../../api/operations/search-by-value.ts';
import { updateNodeMutation } from '../../api/operations/update-node.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { IconButton } from '../../components/IconButton.tsx';
import type { ConnectionProfile } from '../connections/model.ts';
import { normalizeSerial, serialListed, serialProblem } from './model.ts';

interface NodeRow {
  name: string;
  url?: string | null;
  revoked_certificates?: string[] | null;
  [attribute: string]: unknown;
}

/** hdb_nodes rows by name; `'*'` = every row. Keyed under search_by_value/system/hdb_nodes. */
function hdbNodesQuery(client: OpsClient, name: string) {
  return queryOptions({
    queryKey: opsKey(client, 'search_by_value', 'system', 'hdb_nodes', { name }),
    queryFn: ({ signal }) =>
      searchByValue(client, { database: 'system', table: 'hdb_nodes', attribute: 'name', value: name }, signal) as Promise<NodeRow[]>,
  });
}

type Pending = { action: 'revoke'; serial: string } | { action: 'allow'; serial: string };

interface RevokeSerialDialogProps {
  client: OpsClient;
  profile: ConnectionProfile;
  certificates: readonly CertificateRecord[];
  initialSerial?: string | undefined;
  onClose: () => void;
}

export function RevokeSerialDialog({ client, profile, certificates, initialSerial, onClose }: RevokeSerialDialogProps) {
  const queryClient = useQueryClient();
  const listId = useId();
  const self = useQuery(clusterStatusQuery(client)).data?.node_name;
  const rows = useQuery(hdbNodesQuery(client, '*'));
  const peers = (rows.data ?? []).filter((row) => typeof row.name === 'string' && row.name !== self).sort((a, b) => a.name.localeCompare(b.name));
  const [chosenPeer, setChosenPeer] = useState('');
  const peer = chosenPeer || peers[0]?.name || '';
  const row = useQuery({ ...hdbNodesQuery(client, peer), enabled: peer !== '', staleTime: 0 });
  const current = row.data?.[0]?.revoked_certificates ?? [];
  const [serial, setSerial] = useState(initialSerial ?? '');
  const [touched, setTouched] = useState(false);
  const [pending, setPending] = useState<Pending | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const update = useMutation(updateNodeMutation(client));

  const problem = serialProblem(serial) ?? (peer && row.data && serialListed(current, serial) ? `Already revoked for ${peer}` : null);
  const knownSerials = certificates.filter((c) => !c.is_authority && c.details?.serial_number);
  const certificateNamed = (entry: string) => certificates.find((c) => c.details?.serial_number && normalizeSerial(c.details.serial_number) === normalizeSerial(entry))?.name;

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    setDone(null);
    if (problem || !peer) return;
    update.reset();
    setPending({ action: 'revoke', serial: normalizeSerial(serial) });
  }

  async function apply(change: Pending) {
    try {
      // update_node replaces the whole list: start from what the node holds now.
      const fresh = await queryClient.fetchQuery({ ...hdbNodesQuery(client, peer), staleTime: 0 });
      const list = fresh[0]?.revoked_certificates ?? [];
      const next =
        change.action === 'revoke'
          ? serialListed(list, change.serial)
            ? list
            : [...list, change.serial]
          : list.filter((entry) => normalizeSerial(entry) !== normalizeSerial(change.serial));
      await update.mutateAsync({ hostname: peer, revoked_certificates: next });
      await queryClient.invalidateQueries({ queryKey: opsKey(client, 'search_by_value', 'system', 'hdb_nodes') });
      setPending(null);
      setTouched(false);
      if (change.action === 'revoke') setSerial('');
      setDone(
        change.action === 'revoke'
          ? `Serial ${change.serial} is revoked for ${peer}.`
          : `Serial ${change.serial} is allowed again for ${peer}.`,
      );
    } catch {
      // shown in the confirmation from update.error
    }
  }

  return (
    <Dialog title="Revoke a certificate serial for a peer" onClose={onClose} wide testId="revoke-dialog">
      <div className="stack">
        <p className="muted small">
          <strong>{profile.name}</strong> refuses replication connections from the peer that present a certificate with a revoked serial. The list is kept in the
          peer’s <code>system.hdb_nodes</code> record and changed with <code>update_node</code>.
        </p>
        <ErrorNotice error={rows.error} onRetry={() => void rows.refetch()} />
        {rows.isPending && <p className="muted">Reading system.hdb_nodes…</p>}
        {rows.data && peers.length === 0 && (
          <EmptyState title="No peers to revoke for">
            This node has no peer in <code>system.hdb_nodes</code>. Connect it to another node (Cluster view, or <code>add_node</code>); the peer then shows here.
          </EmptyState>
        )}
        {peers.length > 0 && (
          <form className="stack" onSubmit={submit} noValidate>
            <label className="field">
              <span>Peer</span>
              <select
                value={peer}
                onChange={(e) => {
                  setChosenPeer(e.target.value);
                  setDone(null);
                  update.reset();
                }}
              >
                {peers.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name}
                    {p.url ? ` — ${p.url}` : ''}
                  </option>
                ))}
              </select>
            </label>

            <section aria-labelledby={`${listId}-current`} className="revoked-box" data-testid="revoked-list">
              <h4 id={`${listId}-current`}>Revoked for {peer}</h4>
              <ErrorNotice error={row.error} onRetry={() => void row.refetch()} />
              {row.isPending ? (
                <p className="muted small">Reading…</p>
              ) : current.length === 0 ? (
                <p className="muted small">No serial is revoked for {peer}: every certificate it presents that chains to a trusted CA is accepted.</p>
              ) : (
                <ul className="revoked-serials">
                  {current.map((entry) => (
                    <li key={entry}>
                      <span>
                        <span className="mono">{entry}</span>
                        {certificateNamed(entry) && <span className="muted small"> · {certificateNamed(entry)} on this node</span>}
                      </span>
                      <IconButton
                        icon="trash"
                        className="danger"
                        label={`Allow serial ${entry} again`}
                        onClick={() => {
                          setDone(null);
                          update.reset();
                          setPending({ action: 'allow', serial: entry });
                        }}
                      />
                    </li>
                  ))}
                </ul>
              )}
            </section>

            <label className="field">
              <span>Serial number to revoke</span>
              <input
                value={serial}
                onChange={(e) => {
                  setSerial(e.target.value);
                  setDone(null);
                }}
                list={`${listId}-serials`}
                placeholder="e.g. 3FA2C4… (hex; colons allowed)"
                spellCheck={false}
                autoComplete="off"
                className="mono"
                aria-invalid={touched && !!problem}
                autoFocus={!initialSerial}
              />
              <datalist id={`${listId}-serials`}>
                {knownSerials.map((c) => (
                  <option key={c.name} value={c.details!.serial_number!}>
                    {c.name}
                  </option>
                ))}
              </datalist>
              {touched && problem ? (
                <span className="field-error">{problem}</span>
              ) : (
                <span className="field-hint">Type it, or pick one of this node’s certificates from the suggestions.</span>
              )}
            </label>
            <div role="status" aria-live="polite" data-testid="revoke-result">
              {done && <p className="notice notice-ok">{done}</p>}
            </div>
            <div className="dialog-actions">
              <button type="button" className="button-secondary" onClick={onClose}>
                Close
              </button>
              <button type="submit" className="button-danger" disabled={!peer}>
                Revoke serial…
              </button>
            </div>
          </form>
        )}
        {peers.length === 0 && (
          <div className="dialog-actions">
            <button type="button" className="button-secondary" onClick={onClose}>
              Close
            </button>
          </div>
        )}
      </div>
      {pending && (
        <ConfirmDialog
          title={pending.action === 'revoke' ? `Revoke this serial for ${peer}?` : `Allow this serial again for ${peer}?`}
          confirmLabel={pending.action === 'revoke' ? 'Revoke serial' : 'Allow serial'}
          requireTyping={profile.production ? profile.name : undefined}
          busy={update.isPending}
          error={update.error}
          onCancel={() => {
            update.reset();
            setPending(null);
          }}
          onConfirm={() => void apply(pending)}
        >
          {pending.action === 'revoke' ? (
            <p>
              <strong>{profile.name}</strong> will refuse <strong>{peer}</strong> when it presents the certificate with serial{' '}
              <code className="break">{pending.serial}</code>. If that is the certificate {peer} replicates with, the link drops until {peer} presents another one.
            </p>
          ) : (
            <p>
              <strong>{profile.name}</strong> will accept <strong>{peer}</strong>’s certificate with serial <code className="break">{pending.serial}</code> again.
            </p>
          )}
        </ConfirmDialog>
      )}
    </Dialog>
  );
}
