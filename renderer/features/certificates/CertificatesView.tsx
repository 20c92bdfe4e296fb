/**
 * Certificates of the connected node (SPEC 3): list_certificates as a keyboard-navigable table
 * with expiry warnings, the selected certificate's details below it, and the actions: add (PEM
 * pasted or from files), remove (confirmed; typed on production connections), and revoke a
 * serial for a peer (update_node revoked_certificates).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { listCertificatesQuery } from '../../api/operations/list-certificates.ts';
import { removeCertificateMutation } from '../../api/operations/remove-certificate.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon } from '../../components/Icon.tsx';
import { IconButton } from '../../components/IconButton.tsx';
import type { ConnectionProfile } from '../connections/model.ts';
import { useViewState } from '../connections/view-state.ts';
import { AddCertificateDialog } from './AddCertificateDialog.tsx';
import { CertificateDetail } from './CertificateDetail.tsx';
import { CertificateList } from './CertificateList.tsx';
import { EXPIRY_WARNING_DAYS, expirySummary, sortCertificates } from './model.ts';
import { RevokeSerialDialog } from './RevokeSerialDialog.tsx';
import './certificates.css';

type Open = { kind: 'add' } | { kind: 'remove'; name: string } | { kind: 'revoke'; serial?: string } | null;

function names(list: string[]): string {
  return list.map((n) => `“${n}”`).join(', ');
}

export function CertificatesView({ client, profile }: { client: OpsClient; profile: ConnectionProfile }) {
  const queryClient = useQueryClient();
  const certificates = useQuery(listCertificatesQuery(client));
  const [selected, setSelected] = useViewState<string | null>(profile.id, 'certificates:selected', null);
  const [open, setOpen] = useState<Open>(null);
  const remove = useMutation(removeCertificateMutation(client));
  const nowMs = certificates.dataUpdatedAt || Date.now();
  const records = sortCertificates(certificates.data ?? []);
  const selectedRecord = records.find((r) => r.name === selected) ?? null;
  const summary = expirySummary(records, nowMs);

  // A certificate removed elsewhere (or on another refresh) is no longer selected.
  useEffect(() => {
    if (certificates.data && selected && !certificates.data.some((r) => r.name === selected)) setSelected(null);
  }, [certificates.data, selected, setSelected]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: listCertificatesQuery(client).queryKey });

  async function confirmRemove(name: string) {
    try {
      await remove.mutateAsync({ name });
      await refresh();
      if (selected === name) setSelected(null);
      setOpen(null);
      // The focused row is gone: keep keyboard users in the list.
      requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="certificates-table"] tbody tr[tabindex="0"]')?.focus());
    } catch {
      // shown in the dialog from remove.error
    }
  }

  const removing = open?.kind === 'remove' ? records.find((r) => r.name === open.name) : undefined;

  return (
    <div className="certs-view">
      <div className="view-toolbar">
        <div>
          <h3>Certificates</h3>
          <span className="muted small">
            On <strong>{profile.name}</strong>
            {certificates.data ? ` · ${records.length} certificate${records.length === 1 ? '' : 's'}, ${records.filter((r) => r.is_authority).length} CA` : ''}
          </span>
        </div>
        <div className="row">
          <IconButton icon="refresh" label="Refresh certificates" onClick={() => void refresh()} disabled={certificates.isFetching} />
          <button type="button" className="button-secondary" onClick={() => setOpen({ kind: 'revoke' })}>
            Revoke a serial…
          </button>
          <button type="button" onClick={() => setOpen({ kind: 'add' })}>
            <Icon name="plus" />
            Add certificate
          </button>
        </div>
      </div>

      <ErrorNotice error={certificates.error} onRetry={() => void certificates.refetch()} />
      {certificates.isPending && !certificates.error && <p className="muted pad">Loading certificates…</p>}

      {(summary.expired.length > 0 || summary.expiring.length > 0) && (
        <div className={`notice ${summary.expired.length ? 'notice-error' : 'notice-warn'} cert-summary`} role="status" data-testid="expiry-summary">
          <p>
            {summary.expired.length > 0 && (
              <>
                <strong>Expired:</strong> {names(summary.expired)}.{' '}
              </>
            )}
            {summary.expiring.length > 0 && (
              <>
                <strong>Expiring within {EXPIRY_WARNING_DAYS} days:</strong> {names(summary.expiring)}.{' '}
              </>
            )}
            Replace them before peers refuse them.
          </p>
        </div>
      )}

      {certificates.data &&
        (records.length === 0 ? (
          <EmptyState
            title="No certificates on this node"
            action={
              <button type="button" onClick={() => setOpen({ kind: 'add' })}>
                <Icon name="plus" />
                Add certificate
              </button>
            }
          >
            A Peerdesk node creates its own CA and node certificate on first start; a HarperDB node lists the ones from its <code>tls</code> settings. Add a
            certificate (and its private key) for this node to present, or a CA it should trust for its peers.
          </EmptyState>
        ) : (
          <>
            <CertificateList records={records} selected={selected} nowMs={nowMs} onOpen={setSelected} onRemove={(name) => setOpen({ kind: 'remove', name })} />
            <p className="muted small list-hint">
              ↑/↓ move between certificates, Enter shows one, Delete removes it. Validity turns to a warning {EXPIRY_WARNING_DAYS} days before expiry.
            </p>
            {selectedRecord ? (
              <CertificateDetail
                key={selectedRecord.name}
                record={selectedRecord}
                nowMs={nowMs}
                onClose={() => setSelected(null)}
                onRemove={() => setOpen({ kind: 'remove', name: selectedRecord.name })}
                onRevoke={(serial) => setOpen({ kind: 'revoke', serial })}
              />
            ) : (
              <p className="muted cert-detail-placeholder">Select a certificate to see all its details and its PEM.</p>
            )}
          </>
        ))}

      {open?.kind === 'add' && (
        <AddCertificateDialog
          client={client}
          nodeLabel={profile.name}
          existing={records}
          onClose={() => setOpen(null)}
          onAdded={async (name) => {
            setOpen(null);
            // Select once the list holds it, or the stale list would clear the selection.
            await refresh();
            setSelected(name);
          }}
        />
      )}
      {open?.kind === 'remove' && (
        <ConfirmDialog
          title="Remove this certificate?"
          confirmLabel="Remove certificate"
          requireTyping={profile.production ? profile.name : undefined}
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            remove.reset();
            setOpen(null);
          }}
          onConfirm={() => void confirmRemove(open.name)}
        >
          <p>
            Remove <strong>{open.name}</strong> from <strong>{profile.name}</strong>
            {removing?.private_key_name ? <>, and delete its private key file <code>{removing.private_key_name}</code></> : ''}?
          </p>
          <p className="muted small spaced">
            {removing?.is_authority
              ? 'The node stops trusting this CA: peers whose certificates it signed are refused unless another trusted CA signed them.'
              : 'If the node presents this certificate, it switches to another valid certificate naming it; with none left, TLS connections fail.'}
          </p>
        </ConfirmDialog>
      )}
      {open?.kind === 'revoke' && (
        <RevokeSerialDialog client={client} profile={profile} certificates={records} initialSerial={open.serial} onClose={() => setOpen(null)} />
      )}
    </div>
  );
}
