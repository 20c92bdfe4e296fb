/**
 * One certificate in full: kind, subject, issuer, names, serial, validity with how long is
 * left, uses, which private key file the node holds for it (the name only: key contents never
 * leave the node), and the PEM with copy and download. Actions: revoke its serial for a peer
 * (leaf certificates), remove.
 */
import { useState } from 'react';
import type { CertificateRecord } from '../../api/operations/list-certificates.ts';
import { Icon } from '../../components/Icon.tsx';
import { IconButton } from '../../components/IconButton.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { downloadText } from '../../lib/download.ts';
import { KindTags, UsesList } from './CertificateList.tsx';
import { expiryOf, subjectAltNames } from './model.ts';
import { formatDistinguishedName, isSelfSigned } from './dn.ts';

interface CertificateDetailProps {
  record: CertificateRecord;
  nowMs: number;
  onClose: () => void;
  onRemove: () => void;
  onRevoke: (serial: string) => void;
}

function when(value: string | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

/** Copies with the async clipboard API, or a hidden textarea where that is unavailable. */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // fall through: no permission in this context
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the clipboard is not available here: select the text and copy it');
}

export function CertificateDetail({ record, nowMs, onClose, onRemove, onRevoke }: CertificateDetailProps) {
  const details = record.details ?? {};
  const expiry = expiryOf(record, nowMs);
  const names = subjectAltNames(details.subject_alt_name);
  const [copyState, setCopyState] = useState<{ ok: boolean; text: string } | null>(null);

  async function copy() {
    try {
      await copyText(record.certificate);
      setCopyState({ ok: true, text: 'PEM copied to the clipboard' });
    } catch (error) {
      setCopyState({ ok: false, text: `Could not copy: ${(error as Error).message}` });
    }
  }

  return (
    <section className="card cert-detail" aria-labelledby="cert-detail-title" data-testid="certificate-detail">
      <div className="pane-heading">
        <h3 id="cert-detail-title">
          {record.name}
          <KindTags record={record} />
        </h3>
        <div className="pane-actions">
          {!record.is_authority && details.serial_number && (
            <button type="button" className="button-secondary" onClick={() => onRevoke(details.serial_number!)}>
              Revoke for a peer…
            </button>
          )}
          <button type="button" className="button-danger" onClick={onRemove}>
            Remove
          </button>
          <IconButton icon="close" label="Close details" onClick={onClose} />
        </div>
      </div>
      <div className="cert-detail-body">
        <dl className="facts" data-testid="certificate-facts">
          <dt>Validity</dt>
          <dd>
            <StatusBadge tone={expiry.tone}>{expiry.label}</StatusBadge>
            <span className="block small" data-testid="certificate-expiry">
              {expiry.description}
            </span>
          </dd>
          <dt>Valid from</dt>
          <dd className="mono">{when(details.valid_from)}</dd>
          <dt>Valid until</dt>
          <dd className="mono">{when(details.valid_to)}</dd>
          <dt>Subject</dt>
          <dd>{formatDistinguishedName(details.subject) || '—'}</dd>
          <dt>Issuer</dt>
          <dd>
            {formatDistinguishedName(details.issuer) || '—'}
            {isSelfSigned(record) && <span className="muted small block">Self-signed: the issuer is the certificate itself.</span>}
          </dd>
          <dt>Names (SANs)</dt>
          <dd>
            {names.length ? (
              <ul className="plain-list" aria-label="Subject alternative names">
                {names.map((name) => (
                  <li key={name} className="mono">
                    {name}
                  </li>
                ))}
              </ul>
            ) : (
              <span className="muted">none</span>
            )}
          </dd>
          <dt>Serial</dt>
          <dd className="mono" data-testid="certificate-serial">
            {details.serial_number ?? '—'}
          </dd>
          <dt>Uses</dt>
          <dd>
            <UsesList uses={record.uses} />
          </dd>
          <dt>Private key</dt>
          <dd data-testid="certificate-key">
            {record.private_key_name ? (
              <>
                <span className="mono">{record.private_key_name}</span>
                <span className="muted small block">A file on the node; its contents never leave it.</span>
              </>
            ) : (
              <span className="muted">
                None held by this node{record.is_authority ? ': it trusts this CA but cannot sign with it.' : ': it cannot present this certificate.'}
              </span>
            )}
          </dd>
        </dl>
        <div className="pem-block">
          <div className="pane-heading">
            <h4>PEM</h4>
            <div className="pane-actions">
              <button type="button" className="button-secondary button-small" onClick={() => void copy()}>
                <Icon name="copy" size={14} />
                Copy PEM
              </button>
              <button type="button" className="button-secondary button-small" onClick={() => downloadText(`${record.name.replace(/[^A-Za-z0-9._-]/g, '_')}.pem`, record.certificate, 'application/x-pem-file')}>
                <Icon name="download" size={14} />
                Download
              </button>
            </div>
          </div>
          <pre className="json pem" tabIndex={0} aria-label={`PEM of ${record.name}`} data-testid="certificate-pem">
            {record.certificate.trim()}
          </pre>
          <p role="status" aria-live="polite" className={`small ${copyState && !copyState.ok ? 'field-error' : 'muted'}`}>
            {copyState?.text ?? ''}
          </p>
        </div>
      </div>
    </section>
  );
}
